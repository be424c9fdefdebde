"""Google Meet's attendance report (attendance tracking, Google Workspace): a sheet
the organizer gets by mail after the meeting, downloaded as CSV:

    First name,Last name,Email,Duration,Time joined,Time exited

one row per person (first join to last exit; older reports have one `Name` column),
times without an offset, sometimes a time of day alone ("5:56 PM"), which falls on
the session's day.
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

SOURCE = "meet"


def header_index(table: list[Row]) -> int | None:
    for i, row in enumerate(table):
        if (
            find(row.cells, "Time joined") is not None
            and find(row.cells, "Time exited") is not None
        ):
            return i
    return None


def parse(text: str, tz: tzinfo, day: date | None = None) -> PlatformReport:
    table = rows(text, ",")
    at = header_index(table)
    if at is None:
        raise ReportError(None, "no Meet attendance table (Time joined, Time exited columns)")
    header = table[at].cells
    first, last = find(header, "First name"), find(header, "Last name")
    name = find(header, "Name", "Full name", "Participant")
    email = find(header, "Email")
    join, leave = find(header, "Time joined"), find(header, "Time exited")
    if first is None and name is None and email is None:
        raise ReportError(table[at].line, "no name or Email column")
    needed = 1 + max(i for i in (first, last, name, email, join, leave) if i is not None)
    stays: list[ImportedStay] = []
    for row in data_rows(table, at + 1):
        check_width(row, len(header), needed)
        shown = cell(row, name) or " ".join(p for p in (cell(row, first), cell(row, last)) if p)
        stays.append(
            stay(
                line=row.line,
                name=shown,
                email=cell(row, email),
                times=span(row, (join, leave), ("Time joined", "Time exited"), tz, day),
                overnight=True,
            )
        )
    return PlatformReport(source=SOURCE, stays=tuple(stays))
