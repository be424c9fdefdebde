"""`rollcall report --format billing` and `rollcall outreach add|list` as a subprocess."""

from __future__ import annotations

import csv
import io
import json

from tests.e2e.conftest import GROUP, Site, assert_ok, assert_user_error, db_rows

BILLING_HEADER = (
    "participant_id,date,minutes,sessions,meets_day_rule,iso_week,week_minutes,week_days,"
    "meets_week_rule,reason"
)


def test_billing_report(scenario_site: Site) -> None:
    cli = scenario_site.cli()
    day = scenario_site.scenario.day.isoformat()
    week = scenario_site.scenario.iso_week
    out, bad = cli.run_all(
        ["report", "--format", "billing", "--group", GROUP, "--from", day, "--to", day],
        ["report", "--format", "billing", "--from", "yesterday-ish"],
    )
    assert_ok(out)
    assert out.out_lines[0] == BILLING_HEADER
    rows = {r["participant_id"]: r for r in csv.DictReader(io.StringIO(out.stdout))}
    # attended (present/late/partial, override included): 60, 28, 49, 58 minutes
    assert set(rows) == {"p-001", "p-002", "p-003", "p-006"}
    assert rows["p-001"] == {
        "participant_id": "p-001",
        "date": day,
        "minutes": "60",
        "sessions": "1",
        "meets_day_rule": "false",
        "iso_week": week,
        "week_minutes": "60",
        "week_days": "0",
        "meets_week_rule": "false",
        "reason": "day_under_180_min;week_under_540_min;week_under_3_days",
    }
    assert_user_error(bad, "--from")
    exports = db_rows(cli.db, "SELECT detail FROM audit WHERE action='report.export'")
    assert [json.loads(d)["format"] for (d,) in exports] == ["billing"]
    # the range exported is on the record with the export
    assert [(json.loads(d)["from"], json.loads(d)["to"]) for (d,) in exports] == [(day, day)]


def test_outreach_add_list_and_export(scenario_site: Site) -> None:
    cli = scenario_site.cli()
    assert_ok(
        cli.run(
            "outreach", "add", "p-004", "--how", "call", "--outcome", "reached",
            "--note", "talked it through", "--by", "f-001", "--resolves",
        )
    )  # fmt: skip
    assert_user_error(
        cli.run("outreach", "add", "p-004", "--how", "carrier-pigeon", "--outcome", "reached"),
        "how must be one of",
    )
    assert_user_error(
        cli.run("outreach", "add", "p-004", "--how", "dm", "--outcome", "reached", "--by", "p-001"),
        "--by",
    )
    listed, none, export, weekly = cli.run_all(
        ["outreach", "list", "--group", GROUP],
        ["outreach", "list", "--participant", "p-001"],
        ["participant", "export", "p-004"],
        ["weekly"],
    )
    # the weekly report counts this week's outreach
    (p4,) = [line for line in assert_ok(weekly).out_lines if line.startswith("p-004\t")]
    assert p4.endswith("\toutreach 1")
    assert not any("outreach" in line for line in weekly.out_lines if line.startswith("p-001"))
    assert_ok(listed)
    (line,) = listed.out_lines
    assert line.split("\t")[1:] == [
        "p-004", GROUP, "f-001", "call", "reached", "resolved", "talked it through"
    ]  # fmt: skip
    assert_ok(none)
    assert none.out_lines == [] and none.err_lines == ["no outreach logged"]
    data = json.loads(assert_ok(export).stdout)
    assert data["outreach"][0]["note"] == "talked it through"
    actions = [a for (a,) in db_rows(cli.db, "SELECT action FROM audit")]
    assert "outreach.add" in actions and "outreach.list" in actions


def test_html_report_has_server_drawn_charts_and_no_script(scenario_site: Site) -> None:
    cli = scenario_site.cli()
    page = assert_ok(cli.run("report", "--format", "html", "--group", GROUP)).stdout
    assert page.startswith("<!doctype html>") and "<th>participant_id</th>" in page
    assert page.count("<svg") == 2 and "Attendance rate by week" in page
    assert "<script" not in page.lower() and "http://" not in page.replace(
        'xmlns="http://www.w3.org/2000/svg"', ""
    )
