"""The CLI of PRODUCT.md, run as a real subprocess against a SQLite file next to its config.

The report tests read a session that `conftest.build_scenario` drove through the engine
in-process (same database file); the expected rows below are worked out by hand from the
rules of PRODUCT.md (default policy: 15 min check-in window, 120 s reconnect gap, partial
under 0.8 x 60 = 48 min, late after 10 min, notice 24 h ahead).
"""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

from tests.e2e.conftest import (
    DB_NAME,
    GROUP,
    OTHER_GROUP,
    TIMEOUT,
    TZ,
    Cli,
    Site,
    assert_clean,
    assert_ok,
    assert_user_error,
    child_env,
    db_rows,
    db_rows_write,
    db_snapshot,
    parallel,
    write_config,
)

HEADER = (
    "session_id,group_id,session_start,session_end,participant_id,status,attended_minutes,"
    "camera_minutes,first_seen,last_seen,checked_in_at,flags,verified_by,makeup_for"
)


Hm = tuple[int, ...] | None  # a local (hh, mm[, ss]) on the session's day, or unknown

#: worked out by hand; the session runs 18:00-19:00 local
WORKSHEET: list[tuple[str, str, int, int, Hm, Hm, Hm, str, str]] = [
    # participant, status, minutes, camera, first_seen, last_seen, checked_in, flags, verified_by
    # 17:56-18:20 + 18:21:30-19:00: the 90 s gap merges; clipped to 18:00-19:00 = 60;
    # camera 18:00-18:10
    ("p-001", "present", 60, 10, (17, 56), (19, 0), (17, 55), "", ""),
    # 18:12-18:40 = 28 < 48: partial (checked before late); no check-in; gone before 18:50
    ("p-002", "partial", 28, 0, (18, 12), (18, 40), None, "seen_not_checked_in;left_early", ""),
    # 18:11:30-19:00 = 48.5 min, rounded half up: 49 >= 48; first seen after 18:10: late
    ("p-003", "late", 49, 0, (18, 11, 30), (19, 0), (18, 11), "", ""),
    # notice 30 h ahead, no evidence of attendance: excused
    ("p-004", "excused", 0, 0, None, None, None, "", ""),
    # notice 2 h ahead: absent, late_notice
    ("p-005", "absent", 0, 0, None, None, None, "late_notice", ""),
    # check-in only (the group has no presence detection): 18:02-19:00 = 58; override wins
    ("p-006", "partial", 58, 0, None, None, (18, 2), "override", "f-001"),
    ("p-007", "absent", 0, 0, None, None, None, "", ""),
]


def expected_rows(site: Site) -> list[dict[str, str]]:
    sc = site.scenario

    def when(hm: Hm) -> str:
        return sc.iso(*hm) if hm else ""

    return [
        {
            "session_id": sc.session_id,
            "group_id": GROUP,
            "session_start": sc.iso(18, 0),
            "session_end": sc.iso(19, 0),
            "participant_id": pid,
            "status": status,
            "attended_minutes": str(minutes),
            "camera_minutes": str(camera),
            "first_seen": when(first),
            "last_seen": when(last),
            "checked_in_at": when(checked_in),
            "flags": flags,
            "verified_by": by,
            "makeup_for": "",
        }
        for pid, status, minutes, camera, first, last, checked_in, flags, by in WORKSHEET
    ]


def report_args(site: Site, *more: str) -> list[str]:
    day = site.scenario.day.isoformat()
    return ["report", "--group", GROUP, "--from", day, "--to", day, *more]


def test_db_upgrade_is_idempotent(config_dir: Path) -> None:
    cli = Cli(config=config_dir / "config.toml", cwd=config_dir)
    first = assert_ok(cli.run("db", "upgrade"))
    tables = {r[0] for r in db_rows(cli.db, "SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"ledger", "audit", "sessions", "attendance_records", "alembic_version"} <= tables
    version = db_rows(cli.db, "SELECT version_num FROM alembic_version")
    second = assert_ok(cli.run("db", "upgrade"))
    assert first.out_lines == second.out_lines == ["database is up to date"]
    assert db_rows(cli.db, "SELECT version_num FROM alembic_version") == version
    assert len(version) == 1
    # relative to the config's directory, not the working directory
    assert (config_dir / DB_NAME).exists()


def test_session_create_list_end_cancel(scenario_site: Site) -> None:
    cli = scenario_site.cli()
    tomorrow = datetime.now(TZ).date() + timedelta(days=1)
    later = tomorrow + timedelta(days=2)
    created = [
        assert_ok(r)
        for r in cli.run_all(
            ["session", "create", "--group", GROUP, "--start", f"{tomorrow}T10:00",
             "--minutes", "90"],
            ["session", "create", "--group", OTHER_GROUP, "--start", f"{later}T09:30:00",
             "--minutes", "45", "--makeup-for", scenario_site.scenario.session_id],
        )
    ]  # fmt: skip
    ids = [r.out_lines[-1] for r in created]
    assert ids == [f"{GROUP}-{tomorrow:%Y%m%d}-1000", f"{OTHER_GROUP}-{later:%Y%m%d}-0930"]
    assert "90 min" in created[0].stdout
    not_yet, cancelled = cli.run_all(["session", "end", ids[0]], ["session", "cancel", ids[1]])
    assert_user_error(not_yet, ids[0], "hasn't started yet")
    assert assert_ok(cancelled).out_lines == [f"cancelled {ids[1]}"]

    day = scenario_site.scenario.day.isoformat()
    sid = scenario_site.scenario.session_id
    cancel_ended, every, past = cli.run_all(
        ["session", "cancel", sid],
        ["session", "list"],
        ["session", "list", "--group", GROUP, "--from", day, "--to", day],
    )
    assert_user_error(cancel_ended, sid, "already ended")
    assert [line.split("\t")[::4] for line in assert_ok(every).out_lines] == [
        [sid, "ended"],
        [ids[0], "scheduled"],
        [ids[1], "cancelled"],
    ]
    start = datetime.fromisoformat(f"{later}T09:30").replace(tzinfo=TZ).isoformat()
    assert every.out_lines[-1] == (f"{ids[1]}\t{OTHER_GROUP}\t{start}\t45 min\tcancelled\t{sid}")
    assert assert_ok(past).out_lines == [
        f"{sid}\t{GROUP}\t{scenario_site.scenario.iso(18)}\t60 min\tended"
    ]
    states = dict(db_rows(cli.db, "SELECT id, state FROM sessions"))
    assert states == {sid: "ended", ids[0]: "scheduled", ids[1]: "cancelled"}
    audit = db_rows(cli.db, "SELECT action, target FROM audit ORDER BY seq")[-3:]
    assert sorted(audit) == sorted(
        [
            ("session.create", ids[0]),
            ("session.create", ids[1]),
            ("session.cancel", ids[1]),
        ]
    )


def test_wrong_input_is_one_line_and_writes_nothing(scenario_site: Site) -> None:
    cli = scenario_site.cli()
    before = db_snapshot(cli.db)
    sid = scenario_site.scenario.session_id
    day = scenario_site.scenario.day.isoformat()
    future = (datetime.now(TZ) + timedelta(days=3)).date().isoformat()
    a_directory = scenario_site.dir / "exports"
    a_directory.mkdir()
    cases: list[tuple[list[str], tuple[str, ...]]] = [
        (["session", "create", "--group", "nope", "--start", f"{future}T10:00", "--minutes", "60"],
         ("unknown group", "nope")),
        (["session", "create", "--group", GROUP, "--start", "next tuesday", "--minutes", "60"],
         ("--start", "next tuesday")),
        (["session", "create", "--group", GROUP, "--start", f"{day}T18:30", "--minutes", "60"],
         ("overlaps", sid)),
        (["session", "create", "--group", GROUP, "--start", f"{future}T10:00", "--minutes", "0"],
         ("minutes must be between 1 and", "got 0")),
        (["session", "create", "--group", GROUP, "--start", f"{future}T10:00", "--minutes", "60",
          "--makeup-for", "no-such-session"], ("unknown session", "no-such-session")),
        (["enroll", "p-999", "--group", GROUP], ("unknown participant", "p-999")),
        (["report", "--participant", "p-999"], ("unknown participant", "p-999")),
        (["participant", "export", "p-999"], ("unknown participant", "p-999")),
        (["report", "--format", "xml"], ("--format", "csv")),
        (["session", "list", "--from", "yesterday"], ("--from", "yesterday")),
        (["report", "--out", str(a_directory)], ("--out", "cannot write", str(a_directory))),
    ]  # fmt: skip
    results = cli.run_all(*(args for args, _ in cases))
    for (_, needles), result in zip(cases, results, strict=True):
        assert_user_error(result, *needles)
    assert db_snapshot(cli.db) == before
    assert not list(scenario_site.dir.glob("*.tmp")) and not list(a_directory.iterdir())


def test_enroll_and_unenroll_write_audit_rows(scenario_site: Site) -> None:
    cli = scenario_site.cli()

    def audit_count() -> int:
        return int(db_rows(cli.db, "SELECT COUNT(*) FROM audit")[0][0])

    n = audit_count()
    steps = [
        (["enroll", "p-008", "--group", GROUP], "p-008 enrolled in adhoc", 1),
        (["enroll", "p-008", "--group", GROUP], "p-008 enrolled in adhoc (no change)", 0),
        (["unenroll", "p-008", "--group", GROUP], "p-008 unenrolled from adhoc", 1),
        (["unenroll", "p-008", "--group", GROUP], "p-008 unenrolled from adhoc (no change)", 0),
    ]
    for args, line, added in steps:
        r = assert_ok(cli.run(*args))
        assert r.out_lines == [line]
        assert audit_count() == n + added, args
        n += added
    last = db_rows(cli.db, "SELECT actor_id, action, target, detail FROM audit ORDER BY seq")[-2:]
    assert [row[:3] for row in last] == [
        ("cli", "enrollment.add", "p-008"),
        ("cli", "enrollment.remove", "p-008"),
    ]
    assert [json.loads(row[3]) for row in last] == [{"group_id": GROUP}] * 2
    assert db_rows(cli.db, "SELECT active FROM enrollments WHERE person_id='p-008' "
                   f"AND group_id='{GROUP}'") == [(0,)]  # fmt: skip


def test_lean_reports_run_on_the_report_desk_without_the_engine(scenario_site: Site) -> None:
    """`rollcall report --format csv|fhir|billing` needs only the report's desk: the
    engine (its commands, presence handling, read models) is never loaded, its start
    stays short; the other formats build it, and every format writes its audit row."""
    code = (
        "import sys; from bot.shell.cli import main; code = main(sys.argv[1:]); "
        "print('bot.core.engine' in sys.modules); sys.exit(code)"
    )
    for fmt, loaded in (("csv", False), ("fhir", False), ("billing", False), ("json", True)):
        out = scenario_site.dir / f"report.{fmt}"
        args = ("--config", str(scenario_site.config), "report", "--format", fmt, "--out", str(out))
        done = subprocess.run(
            [sys.executable, "-c", code, *args],
            cwd=scenario_site.dir,
            env=child_env(),
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
        )
        assert (done.returncode, done.stdout) == (0, f"{loaded}\n"), done.stderr
        assert out.stat().st_size > 0
    audited = db_rows(scenario_site.db, "SELECT action, detail FROM audit ORDER BY seq")
    formats = [json.loads(d)["format"] for a, d in audited if a == "report.export"]
    assert formats[-4:] == ["csv", "fhir", "billing", "json"]


def test_report_formats_match_hand_computed_rows(scenario_site: Site) -> None:
    cli = scenario_site.cli()
    out_file = scenario_site.dir / "out" / "report.csv"
    out_file.parent.mkdir()
    as_json, table, page, to_file = (
        assert_ok(r)
        for r in cli.run_all(
            report_args(scenario_site, "--format", "json"),
            report_args(scenario_site, "--participant", "p-002"),
            report_args(scenario_site, "--format", "html"),
            report_args(scenario_site, "--format", "csv", "--out", str(out_file)),
        )
    )
    want = expected_rows(scenario_site)
    assert to_file.stdout == ""
    assert to_file.err_lines == [f"wrote 7 rows to {out_file}"]
    written = out_file.read_text(encoding="utf-8")
    assert written.splitlines()[0] == HEADER
    assert list(csv.DictReader(io.StringIO(written))) == want
    assert not list(out_file.parent.glob("*.tmp"))

    records = json.loads(as_json.stdout)
    assert [r["participant_id"] for r in records] == [w["participant_id"] for w in want]
    by_id = {r["participant_id"]: r for r in records}
    assert by_id["p-001"]["attended_minutes"] == 60 and by_id["p-001"]["camera_minutes"] == 10
    assert by_id["p-002"]["flags"] == ["seen_not_checked_in", "left_early"]
    assert by_id["p-004"]["first_seen"] is None
    assert by_id["p-006"]["verified_by"] == "f-001"
    assert by_id["p-006"]["participation"] == "low"
    for w in want:
        r = by_id[w["participant_id"]]
        assert r["status"] == w["status"] and r["session_start"] == w["session_start"]

    assert table.out_lines[0].split() == [
        "session", "participant", "status", "minutes", "camera", "flags",
    ]  # fmt: skip
    assert table.out_lines[2].split() == [
        scenario_site.scenario.session_id, "p-002", "partial", "28", "0",
        "seen_not_checked_in;left_early",
    ]  # fmt: skip
    assert table.out_lines[3:] == ["1 record"]

    assert page.stdout.startswith("<!doctype html>")
    assert "<th>session_id</th>" in page.stdout and "<th>makeup_for</th>" in page.stdout
    assert "<td>late_notice</td>" in page.stdout and "Test IOP" in page.stdout
    assert "Jordan" not in page.stdout  # ids only, no names in an export

    exports = db_rows(
        cli.db, "SELECT actor_id, target, detail FROM audit WHERE action='report.export'"
    )
    assert sorted(json.loads(d)["format"] for *_, d in exports) == ["csv", "html", "json", "table"]
    assert {(a, t) for a, t, _ in exports} == {("cli", GROUP)}


def test_weekly_standing(scenario_site: Site) -> None:
    cli = scenario_site.cli()
    week = scenario_site.scenario.iso_week
    ahead = (datetime.now(TZ) + timedelta(days=14)).isocalendar()
    future = f"{ahead.year}-W{ahead.week:02d}"
    past, coming, bad = cli.run_all(
        ["weekly", "--week", week],
        ["weekly", "--week", future],
        ["weekly", "--week", "2026-W60"],
    )
    assert_ok(past)
    assert past.out_lines[0] == f"Week {week} (minimum 9 h, 3 days)"
    rows = {line.split("\t")[0]: line.split("\t")[1:] for line in past.out_lines[1:]}
    # attended (present/late/partial) minutes of the week: 60, 28, 49, -, -, 58 (override)
    assert rows["p-001"] == ["1.0 h", "1 day", "needs 8.0 h / 2 days; 0 left"]
    assert rows["p-002"] == ["0.5 h", "1 day", "needs 8.5 h / 2 days; 0 left"]
    assert rows["p-003"] == ["0.8 h", "1 day", "needs 8.2 h / 2 days; 0 left"]
    assert rows["p-004"] == ["0.0 h", "0 days", "needs 9.0 h / 3 days; 0 left"]
    assert rows["p-006"] == ["1.0 h", "1 day", "needs 8.0 h / 2 days; 0 left"]
    # the week's ended sessions without a sign-off (PRODUCT.md, Session sign-off)
    sid = scenario_site.scenario.session_id
    assert past.out_lines[-3:-1] == [
        "Not signed off: 1",
        f"{sid}\t{GROUP}\t{scenario_site.scenario.iso(18, 0)}\tnot signed off",
    ]
    # and the chain heads, a checkpoint kept with the summary (tests/e2e/test_integrity.py)
    assert re.fullmatch(
        r"Chain heads \(for audit verify --head\): ledger:\d+:[0-9a-f]{64} audit:\d+:[0-9a-f]{64}",
        past.out_lines[-1],
    )
    assert_ok(coming)
    assert coming.out_lines[0] == f"Week {future} (minimum 9 h, 3 days)"
    assert_user_error(bad, "2026-W60")


def test_participant_export_and_forget(scenario_site: Site) -> None:
    cli = scenario_site.cli()
    before = assert_ok(cli.run("participant", "export", "p-004"))
    data = json.loads(before.stdout)
    assert data["person"]["display_name"] == "Kendall"
    assert data["person"]["email"] == "kendall@example.org"
    assert [e["kind"] for e in data["evidence"]] == ["absence_notice"]
    assert data["evidence"][0]["note"] == "family visit"
    assert data["evidence"][0]["session_id"] == scenario_site.scenario.session_id
    assert [(r["session_id"], r["status"]) for r in data["records"]] == [
        (scenario_site.scenario.session_id, "excused")
    ]
    assert data["enrollments"] == [{"group_id": GROUP, "active": True}]
    assert data["presence_hints"] == []

    forgot = assert_ok(cli.run("participant", "forget", "p-004"))
    assert "p-004" in forgot.stdout and "Kendall" not in forgot.stdout
    after, report, other = cli.run_all(
        ["participant", "export", "p-004"],
        report_args(scenario_site, "--format", "csv"),
        ["participant", "export", "p-006"],
    )
    assert_ok(after)
    assert "Kendall" not in after.stdout and "kendall@" not in after.stdout
    assert "family visit" not in after.stdout
    gone = json.loads(after.stdout)
    assert gone["person"]["forgotten"] is True
    assert gone["evidence"][0]["note"] is None
    # de-identified counts stay: the report still has every row, p-004's unchanged
    assert assert_ok(report).out_lines[0] == HEADER
    assert list(csv.DictReader(io.StringIO(report.stdout))) == expected_rows(scenario_site)
    # and a restart does not bring the name back from the config
    assert db_rows(cli.db, "SELECT display_name, email FROM people WHERE id='p-004'") == [
        ("forgotten", None)
    ]
    actions = [r[0] for r in db_rows(cli.db, "SELECT action FROM audit WHERE target='p-004'")]
    assert actions == ["participant.export", "participant.forget", "participant.export"]
    # someone else's export: their own check-in note and the facilitator's note about them
    casey = json.loads(assert_ok(other).stdout)
    assert casey["person"]["display_name"] == "Casey" and not casey["person"]["forgotten"]
    notes = {e["kind"]: e["note"] for e in casey["evidence"]}
    assert notes == {"checkin": "on my phone today", "verify": "left the call early"}
    verify = next(e for e in casey["evidence"] if e["kind"] == "verify")
    assert verify["data"]["status"] == "partial" and verify["data"]["participation"] == "low"
    assert [r["status"] for r in casey["records"]] == ["partial"]


def test_audit_log_and_verify(scenario_site: Site, tmp_path: Path) -> None:
    cli = scenario_site.cli()
    log, ok = cli.run_all(["audit", "log"], ["audit", "verify"])
    assert_ok(log)
    entries = [line.split("\t") for line in log.out_lines]
    assert [int(e[0]) for e in entries] == list(range(1, len(entries) + 1))
    by_action = {e[3]: e for e in entries}
    sid = scenario_site.scenario.session_id
    assert by_action["roster.view"][2:5] == ["f-001", "roster.view", sid]
    assert by_action["attendance.override"][2:5] == ["f-001", "attendance.override", f"{sid}/p-006"]
    assert by_action["enrollment.add"][2:5] == ["f-001", "enrollment.add", "p-008"]
    assert by_action["session.end"][4] == sid
    # times in the program's offset; ids only, never names or notes
    assert by_action["roster.view"][1] == scenario_site.scenario.iso(18, 55)
    assert "Casey" not in log.stdout and "left the call" not in log.stdout
    since = scenario_site.scenario.day.isoformat()
    assert_ok(ok)
    assert ok.out_lines[0].startswith("ok: ledger ")

    altered = scenario_site.copy_to(tmp_path / "altered")
    db_rows_write(altered.db, "UPDATE ledger SET person_id = 'p-007' WHERE seq = 2")
    truncated = scenario_site.copy_to(tmp_path / "truncated")
    last = db_rows(truncated.db, "SELECT MAX(seq) FROM audit")[0][0]
    db_rows_write(truncated.db, "DELETE FROM audit WHERE seq = ?", last)
    bad_ledger, bad_audit, later = parallel(
        lambda: altered.cli().run("audit", "verify"),
        lambda: truncated.cli().run("audit", "verify"),
        lambda: cli.run("audit", "log", "--since", since),
    )
    for r in (bad_ledger, bad_audit):
        assert r.returncode == 1, str(r)
        assert_clean(r)
        assert r.stdout == ""
    assert bad_ledger.err_lines == ["TAMPERED: ledger row 2: its content was altered"]
    assert len(bad_audit.err_lines) == 1
    assert bad_audit.err_lines[0].startswith(f"TAMPERED: audit row {last}: ")
    assert_ok(later)
    assert [e.split("\t")[3] for e in later.out_lines] == [
        "attendance.override",
        "roster.view",
        "session.end",
        "enrollment.add",
    ]


def test_config_from_environment_and_unset_variable(scenario_site: Site, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    via_env = Cli(
        config=None, cwd=elsewhere, env=child_env(ROLLCALL_CONFIG=str(scenario_site.config))
    )
    broken_dir = tmp_path / "broken"
    broken = write_config(broken_dir, storage_url="sqlite:///${ROLLCALL_TEST_UNSET_DIR}/x.db")
    unset = Cli(config=broken, cwd=broken_dir)
    listed, missing = parallel(
        lambda: via_env.run("session", "list", "--group", GROUP),
        lambda: unset.run("session", "list"),
    )
    assert_ok(listed)
    assert listed.out_lines[0].split("\t")[0] == scenario_site.scenario.session_id
    assert not list(elsewhere.iterdir())  # the relative SQLite path is the config's
    assert_user_error(missing, "storage.url", "ROLLCALL_TEST_UNSET_DIR")
    assert not list(broken_dir.glob("*.db")) and not (broken_dir / "x.db").exists()
