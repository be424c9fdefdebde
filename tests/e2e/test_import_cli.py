"""`rollcall import FILE --session ID`, run as a real subprocess on a SQLite file, with the
vendors' report layouts (tests/adapters/importers/fixtures): a Thursday 18:00-19:00
session in America/New_York, worked out by hand (default policy):

- p-001 (zoom_email jordan@): 17:58-18:20 and 18:21-19:00:30 (a 60 s gap merges), clipped
  to 18:00-19:00 = 60 min, first seen before 18:10: present (Zoom's waiting-room row
  17:52-17:58 never counts);
- p-002 (email morgan@, matched case-insensitively): 18:14-19:00 = 46 < 48: partial;
- f-001 (email rivera@) is matched (not a guest) but keeps no record (not enrolled);
- the phone caller matches nobody: a guest to link.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from tests.e2e.conftest import (
    CONFIG_NAME,
    DB_NAME,
    GROUP,
    Cli,
    assert_ok,
    assert_user_error,
    db_snapshot,
)
from tests.fakes.casts import e2e_cast

FIXTURES = Path(__file__).parents[1] / "adapters" / "importers" / "fixtures"
REPORTS = {
    "zoom": "zoom_participants.csv",
    "teams": "teams_attendance.csv",
    "meet": "meet_attendance.csv",
}


def _site(directory: Path) -> Cli:
    text = e2e_cast(storage_url=f"sqlite:///{DB_NAME}")
    for plain, with_mail in (
        (
            'display_name = "Dr. Rivera"\n',
            'display_name = "Dr. Rivera"\nemail = "Rivera@example.org"\n',
        ),
        (
            'display_name = "Jordan"\n',
            'display_name = "Jordan"\nzoom_email = "jordan@example.org"\n',
        ),
        ('display_name = "Morgan"\n', 'display_name = "Morgan"\nemail = "morgan@example.org"\n'),
    ):
        assert plain in text
        text = text.replace(plain, with_mail)
    directory.mkdir(parents=True)
    (directory / CONFIG_NAME).write_text(text, encoding="utf-8")
    return Cli(config=directory / CONFIG_NAME, cwd=directory)


def _session(cli: Cli) -> str:
    r = assert_ok(
        cli.run(
            "session", "create", "--group", GROUP, "--start", "2026-01-15T18:00", "--minutes", "60"
        )
    )
    return r.out_lines[-1]


def _rows(cli: Cli, session_id: str) -> dict[str, dict[str, str]]:
    r = assert_ok(cli.run("report", "--group", GROUP, "--format", "csv"))
    return {
        row["participant_id"]: row
        for row in csv.DictReader(io.StringIO(r.stdout))
        if row["session_id"] == session_id
    }


@pytest.mark.parametrize("fmt", sorted(REPORTS))
def test_a_report_becomes_imported_presence(tmp_path: Path, fmt: str) -> None:
    cli = _site(tmp_path / "site")
    sid = _session(cli)
    r = assert_ok(cli.run("import", str(FIXTURES / REPORTS[fmt]), "--session", sid))
    assert f"from a {fmt} report into {sid}" in r.stdout
    assert "1 guest row(s)" in r.stdout
    rows = _rows(cli, sid)
    assert (rows["p-001"]["status"], rows["p-001"]["attended_minutes"]) == ("present", "60")
    assert rows["p-001"]["flags"] == "seen_not_checked_in;imported"
    assert rows["p-001"]["first_seen"] == "2026-01-15T17:58:00-05:00"
    assert (rows["p-002"]["status"], rows["p-002"]["attended_minutes"]) == ("partial", "46")
    assert rows["p-002"]["flags"] == "seen_not_checked_in;imported"
    assert rows["p-003"]["status"] == "absent"
    assert "f-001" not in rows
    guests = assert_ok(cli.run("guest", "list", "--group", GROUP)).out_lines
    assert len(guests) == 1
    assert guests[0].startswith(f"{fmt}:") and "Caller" in guests[0]


def test_reimport_changes_nothing_and_a_bad_file_writes_nothing(tmp_path: Path) -> None:
    cli = _site(tmp_path / "site")
    sid = _session(cli)
    report = str(FIXTURES / REPORTS["zoom"])
    assert_ok(cli.run("import", report, "--session", sid, "--format", "zoom"))
    before = db_snapshot(tmp_path / "site" / DB_NAME)
    again = assert_ok(cli.run("import", report, "--session", sid))
    assert "nothing new" in again.stdout
    assert db_snapshot(tmp_path / "site" / DB_NAME) == before

    bad = tmp_path / "bad.csv"
    good = (FIXTURES / REPORTS["zoom"]).read_text(encoding="utf-8")
    bad.write_text(good.replace("01/15/2026 06:14:00 PM", "6:14 tomorrow"), encoding="utf-8")
    other = tmp_path / "missing.csv"
    results = cli.run_all(
        ("import", str(bad), "--session", sid),
        ("import", str(other), "--session", sid),
        ("import", report, "--session", "no-such-session"),
        ("import", report, "--session", sid, "--format", "webex"),
        ("import", report, "--session", sid, "--tz", "Mars/Olympus"),
    )
    assert_user_error(results[0], "line 9:", "Join Time", "nothing was imported")
    assert_user_error(results[1], "cannot read")
    assert_user_error(results[2], "unknown session")
    assert_user_error(results[3], "--format")
    assert_user_error(results[4], "--tz")
    assert db_snapshot(tmp_path / "site" / DB_NAME) == before


def test_tz_and_a_report_of_another_day_is_refused(tmp_path: Path) -> None:
    cli = _site(tmp_path / "site")
    sid = _session(cli)
    report = str(FIXTURES / REPORTS["zoom"])
    # read as UTC, the times fall five hours before the session: nothing overlaps it
    r = cli.run("import", report, "--session", sid, "--tz", "UTC")
    assert_user_error(r, "no row of the report overlaps", "--tz")
    assert_ok(cli.run("import", report, "--session", sid, "--tz", "America/New_York"))
