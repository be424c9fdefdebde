"""Microsoft Teams' meeting attendance report (the meeting's Attendance tab →
Download), UTF-16 with tabs between cells, in numbered sections:

    1. Summary                  Meeting title, Attended participants, Start time,
                                End time, Meeting duration, Average attendance time
    2. Participants             Name, First Join, Last Leave, In-Meeting Duration,
                                Email, Participant ID (UPN), Role
    3. In-Meeting Activities    Name, Join Time, Leave Time, Duration, Email, Role

Times look like `1/15/26, 5:56:01 PM` (the organizer's locale), without an offset.
Each join and leave is read from the In-Meeting Activities section; a report without
it (or an older one, "Meeting Summary" then `Full Name, Join Time, Leave Time, ...`)
is read from whichever table has join and leave times, First Join / Last Leave last.
"""

from __future__ import annotations

from datetime import date, tzinfo

from adapters.importers.common import (
    ReportError,
    Row,
    cell,
    check_width,
    data_rows,
    find,
    rows,
    span,
    stay,
)
from bot.core.events import ImportedStay, PlatformReport

SOURCE = "teams"
_JOIN = ("Join Time", "Join time", "First Join")
_LEAVE = ("Leave Time", "Leave time", "Last Leave")


def _table(table: list[Row]) -> int | None:
    """The header row to read: one with Join Time (each join), else First Join."""
    fallback = None
    for i, row in enumerate(table):
        if find(row.cells, "Join Time") is not None and find(row.cells, "Leave Time") is not None:
            return i
        if fallback is None and find(row.cells, "First Join") is not None:
            fallback = i
    return fallback


def parse(text: str, tz: tzinfo, day: date | None = None) -> PlatformReport:
    table = rows(text, "\t")
    at = _table(table)
    if at is None:
        raise ReportError(
            None, "no Teams participants table (Join Time / First Join, Leave Time columns)"
        )
    header = table[at].cells
    name = find(header, "Name", "Full Name")
    email = find(header, "Email")
    upn = find(header, "Participant ID (UPN)", "Participant ID")
    join, leave = find(header, *_JOIN), find(header, *_LEAVE)
    if join is None or leave is None:
        raise ReportError(table[at].line, "the table has no leave time column")
    if name is None and email is None and upn is None:
        raise ReportError(table[at].line, "no Name or Email column")
    needed = 1 + max(i for i in (name, email, upn, join, leave) if i is not None)
    join_label, leave_label = header[join].strip(), header[leave].strip()
    stays: list[ImportedStay] = []
    for row in data_rows(table, at + 1):
        check_width(row, len(header), needed)
        address = cell(row, email) or (cell(row, upn) if "@" in cell(row, upn) else "")
        stays.append(
            stay(
                line=row.line,
                name=cell(row, name),
                email=address,
                platform_id=cell(row, upn),
                times=span(row, (join, leave), (join_label, leave_label), tz, day),
            )
        )
    return PlatformReport(source=SOURCE, stays=tuple(stays))
