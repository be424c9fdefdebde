"""Zoom's meeting participants report (web portal: Reports → Usage → Participants →
Export), comma-separated UTF-8. With "Export with meeting data" it starts with a
meeting section (`Meeting ID,Topic,Start Time,End Time,...` and one row) and a blank
line; then the participants table:

    Name (Original Name),User Email,Join Time,Leave Time,Duration (Minutes),Guest,
    In Waiting Room

one row per join (someone who rejoined has several rows), times as
`MM/DD/YYYY hh:mm:ss AM` in the account's zone, without an offset. Rows spent in the
waiting room (`In Waiting Room` = Yes) never count and are left out.
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

SOURCE = "zoom"
_YES = frozenset({"yes", "y", "true", "1"})


def header_index(table: list[Row]) -> int | None:
    for i, row in enumerate(table):
        if find(row.cells, "Join Time") is not None and find(row.cells, "Leave Time") is not None:
            return i
    return None


def parse(text: str, tz: tzinfo, day: date | None = None) -> PlatformReport:
    table = rows(text, ",")
    at = header_index(table)
    if at is None:
        raise ReportError(None, "no Zoom participants table (Join Time, Leave Time columns)")
    header = table[at].cells
    name = find(header, "Name (Original Name)", "Name", "Participant", prefix=True)
    email = find(header, "User Email", "Email")
    join, leave = find(header, "Join Time"), find(header, "Leave Time")
    waiting = find(header, "In Waiting Room")
    user_id = find(header, "User ID", "Participant ID")
    if name is None and email is None:
        raise ReportError(table[at].line, "no Name or User Email column")
    needed = 1 + max(i for i in (name, email, join, leave) if i is not None)
    stays: list[ImportedStay] = []
    for row in data_rows(table, at + 1):
        check_width(row, len(header), needed)
        if cell(row, waiting).casefold() in _YES:
            continue  # time in the waiting room never counts
        stays.append(
            stay(
                line=row.line,
                name=cell(row, name),
                email=cell(row, email),
                platform_id=cell(row, user_id),
                times=span(row, (join, leave), ("Join Time", "Leave Time"), tz, day),
            )
        )
    return PlatformReport(source=SOURCE, stays=tuple(stays))
