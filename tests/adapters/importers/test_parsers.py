"""The report parsers against files laid out as the vendors document them (fixtures/)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from adapters.importers.common import ReportError
from adapters.importers.translate import parse_report, sniff
from bot.core.events import PlatformReport

FIXTURES = Path(__file__).parent / "fixtures"
NY = ZoneInfo("America/New_York")
DAY = date(2026, 1, 15)


def local(hh: int, mm: int, ss: int = 0) -> datetime:
    return datetime(2026, 1, 15, hh, mm, ss, tzinfo=NY).astimezone(UTC)


def read(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def spans(report: PlatformReport) -> list[tuple[str | None, datetime, datetime]]:
    return [(s.identity.email, s.joined, s.left) for s in report.stays]


def test_zoom_rows_are_stays_without_the_waiting_room() -> None:
    report = parse_report(read("zoom_participants.csv"), fmt=None, tz=NY, day=DAY)
    assert report.source == "zoom"
    assert spans(report) == [
        ("rivera@example.org", local(17, 50, 12), local(19, 1, 40)),
        # 17:52-17:58 was spent in the waiting room: left out
        ("JORDAN@Example.org", local(17, 58), local(18, 20)),
        ("jordan@example.org", local(18, 21), local(19, 0, 30)),
        ("morgan@example.org", local(18, 14), local(19, 0)),
        (None, local(18, 5), local(18, 55)),
    ]
    assert report.stays[-1].identity.display_name == "Caller, Phone"
    assert [s.line for s in report.stays] == [5, 7, 8, 9, 10]


def test_teams_utf16_reads_each_join_from_in_meeting_activities() -> None:
    data = read("teams_attendance.csv")
    assert data.startswith(b"\xff\xfe")
    report = parse_report(data, fmt=None, tz=NY, day=DAY)
    assert report.source == "teams"
    assert spans(report) == [
        ("rivera@example.org", local(17, 50, 12), local(19, 1, 40)),
        ("jordan@example.org", local(17, 58), local(18, 20)),
        ("jordan@example.org", local(18, 21), local(19, 0, 30)),
        ("morgan@example.org", local(18, 14), local(19, 0)),
        (None, local(18, 5), local(18, 55)),
    ]
    assert report.stays[0].line == 18


def test_teams_without_activities_uses_first_join_and_last_leave() -> None:
    text = read("teams_attendance.csv").decode("utf-16")
    cut = text.split("3. In-Meeting Activities")[0]
    report = parse_report(cut.encode("utf-16"), fmt="teams", tz=NY, day=DAY)
    assert ("jordan@example.org", local(17, 58), local(19, 0, 30)) in spans(report)
    assert report.stays[1].identity.platform_user_id == "jordan@example.org"


def test_meet_times_of_day_fall_on_the_session_day() -> None:
    report = parse_report(read("meet_attendance.csv"), fmt=None, tz=NY, day=DAY)
    assert report.source == "meet"
    assert spans(report) == [
        ("rivera@example.org", local(17, 50), local(19, 1)),
        ("jordan@example.org", local(17, 58), local(19, 0)),
        ("MORGAN@example.org", local(18, 14), local(19, 0)),
        (None, local(18, 5), local(18, 55)),
    ]
    assert report.stays[0].identity.display_name == "Dr. Rivera"


def test_tz_reads_times_without_an_offset() -> None:
    report = parse_report(read("zoom_participants.csv"), fmt="zoom", tz=UTC, day=DAY)
    assert report.stays[0].joined == datetime(2026, 1, 15, 17, 50, 12, tzinfo=UTC)


def test_an_offset_in_the_file_wins_over_tz() -> None:
    text = (
        "Name,User Email,Join Time,Leave Time\n"
        "A,a@x.org,2026-01-15T23:00:00+00:00,2026-01-16T00:00:00Z\n"
    )
    report = parse_report(text.encode(), fmt="zoom", tz=NY, day=DAY)
    assert spans(report) == [("a@x.org", local(18, 0), local(19, 0))]


@pytest.mark.parametrize(
    ("fmt", "text", "needle"),
    [
        (
            "zoom",
            "Name,User Email,Join Time,Leave Time\nA,a@x.org,yesterday,01/15/2026 07:00 PM\n",
            "line 2: Join Time 'yesterday' is not a date and time",
        ),
        (
            "zoom",
            "Name,User Email,Join Time,Leave Time\n"
            "A,a@x.org,01/15/2026 06:00 PM,01/15/2026 07:00 PM\n"
            "B,b@x.org,01/15/2026 07:00 PM,01/15/2026 06:00 PM\n",
            "line 3: the leave time is before the join time",
        ),
        (
            "zoom",
            "Name,User Email,Join Time,Leave Time\nA,a@x.org,01/15/2026 06:00 PM\n",
            "line 2: expected 4 columns, found 3",
        ),
        (
            "zoom",
            "Name,User Email,Join Time,Leave Time\nA,a@x.org,01/15/2026 06:00 PM,,x,y\n",
            "line 2: expected 4 columns, found 6",
        ),
        (
            "zoom",
            "Name,User Email,Join Time,Leave Time\nA,a@x.org,01/15/2026 06:00 PM,\n",
            "line 2: no Leave Time",
        ),
        ("meet", "Name,User Email,Join Time,Leave Time\n", "no Meet attendance table"),
        (None, "hello,world\n1,2\n", "not a Zoom, Teams or Meet participant report"),
        (None, "", "the file is empty"),
        ("webex", "x", "--format must be one of zoom, teams, meet"),
    ],
)
def test_malformed_files_are_refused_naming_the_line(
    fmt: str | None, text: str, needle: str
) -> None:
    with pytest.raises(ReportError) as e:
        parse_report(text.encode(), fmt=fmt, tz=NY, day=DAY)
    assert needle in str(e.value)
    assert str(e.value).endswith("nothing was imported")


def test_binary_and_bad_encodings_are_refused() -> None:
    with pytest.raises(ReportError, match="not text"):
        parse_report(b"\x89PNG\r\n\x1a\n\xff\xfe\xfa", fmt=None, tz=NY)
    with pytest.raises(ReportError, match="binary"):
        parse_report(b"ab\x00cd\x00\x00\x00", fmt=None, tz=NY)


def test_sniff() -> None:
    assert sniff("a\tb\n") == "teams"
    assert sniff("First name,Last name,Email,Duration,Time joined,Time exited\n") == "meet"
    assert sniff("Name (Original Name),User Email,Join Time,Leave Time\n") == "zoom"
