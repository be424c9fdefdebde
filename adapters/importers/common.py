"""What every report parser shares: decoding, tables with line numbers, times, errors."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo

from bot.core.errors import UserError
from bot.core.events import Identity, ImportedStay

#: date-and-time layouts seen in the platforms' exports (US and ISO); tried in order
_STAMPS = (
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%Y %I:%M %p",
    "%m/%d/%Y, %I:%M:%S %p",
    "%m/%d/%y, %I:%M:%S %p",
    "%m/%d/%y %I:%M:%S %p",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M",
    "%m/%d/%y, %H:%M:%S",
    "%Y-%m-%d %I:%M:%S %p",
    "%Y/%m/%d %H:%M:%S",
)
#: a time of day alone (Google Meet's older reports): on the session's local day
_CLOCKS = ("%I:%M:%S %p", "%I:%M %p", "%H:%M:%S", "%H:%M")


class ReportError(UserError):
    """A malformed report: refused whole, naming the line and the reason."""

    def __init__(self, line: int | None, reason: str) -> None:
        where = f"line {line}: " if line else ""
        super().__init__(f"{where}{reason}; nothing was imported")
        self.line = line
        self.reason = reason


def decode(data: bytes) -> str:
    """The report's text: UTF-16 (Teams) or UTF-8 (with or without a BOM)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        codec = "utf-16"
    elif data.startswith(b"\xef\xbb\xbf"):
        codec = "utf-8-sig"
    elif len(data) >= 4 and data[1:4:2] == b"\x00\x00" and data[0:4:2] != b"\x00\x00":
        codec = "utf-16-le"  # UTF-16 without a byte order mark
    else:
        codec = "utf-8"
    try:
        text = data.decode(codec)
    except UnicodeDecodeError as e:
        raise ReportError(None, f"the file is not text in {codec} (byte {e.start})") from None
    if "\x00" in text:
        raise ReportError(None, "the file holds binary data, not a report")
    return text


@dataclass(frozen=True, slots=True)
class Row:
    line: int
    cells: tuple[str, ...]

    @property
    def blank(self) -> bool:
        return not any(c.strip() for c in self.cells)


def rows(text: str, delimiter: str) -> list[Row]:
    """Every row of a delimited text with the line it starts on (1-based)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    out: list[Row] = []
    line = 1
    try:
        for cells in reader:
            out.append(Row(line=line, cells=tuple(cells)))
            line = reader.line_num + 1
    except csv.Error as e:
        raise ReportError(reader.line_num or line, f"unreadable row ({e})") from None
    return out


def norm(header: str) -> str:
    return " ".join(header.replace("\ufeff", "").split()).casefold()


def find(header: Sequence[str], *names: str, prefix: bool = False) -> int | None:
    """The index of the first column named one of `names` (case- and space-insensitive)."""
    wanted = [norm(n) for n in names]
    for i, h in enumerate(header):
        got = norm(h)
        if any(got == w or (prefix and got.startswith(w)) for w in wanted):
            return i
    return None


def cell(row: Row, index: int | None) -> str:
    if index is None or index >= len(row.cells):
        return ""
    return row.cells[index].strip()


def check_width(row: Row, width: int, needed: int) -> None:
    """A data row has at most the header's `width` cells (spreadsheets may pad with
    empty ones) and at least the `needed` ones that hold what we read."""
    used = len(row.cells)
    while used > width and not row.cells[used - 1].strip():
        used -= 1
    if used > width or len(row.cells) < needed:
        raise ReportError(row.line, f"expected {width} columns, found {used}")


def _clean(text: str) -> str:
    # newer exports put a narrow no-break space before AM/PM
    return " ".join(text.replace("\u202f", " ").replace("\xa0", " ").split())


def parse_time(text: str, *, line: int, column: str, tz: tzinfo, day: date | None) -> datetime:
    """An instant from a report cell: with an offset as given, else read in `tz`; a
    time of day alone falls on `day` (the session's local day)."""
    value = _clean(text)
    if not value:
        raise ReportError(line, f"no {column}")
    parsed: datetime | None = None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        for layout in _STAMPS:
            try:
                parsed = datetime.strptime(value.upper(), layout)
                break
            except ValueError:
                continue
    if parsed is None and day is not None:
        for layout in _CLOCKS:
            try:
                clock = datetime.strptime(value.upper(), layout).time()
            except ValueError:
                continue
            parsed = datetime.combine(day, clock)
            break
    if parsed is None:
        raise ReportError(line, f"{column} {value!r} is not a date and time I can read")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=tz)
    return parsed.astimezone(UTC)


def span(
    row: Row,
    columns: tuple[int | None, int | None],
    labels: tuple[str, str],
    tz: tzinfo,
    day: date | None,
) -> tuple[datetime, datetime]:
    """The join and leave instants of a row (see `parse_time`)."""
    join, leave = columns
    return (
        parse_time(cell(row, join), line=row.line, column=labels[0], tz=tz, day=day),
        parse_time(cell(row, leave), line=row.line, column=labels[1], tz=tz, day=day),
    )


def stay(
    *,
    line: int,
    name: str,
    email: str,
    platform_id: str = "",
    times: tuple[datetime, datetime],
    overnight: bool = False,
) -> ImportedStay:
    """One stay; `overnight`: times of day alone, so a leave before the join is the next day."""
    joined, left = times
    if left < joined and overnight:
        left += timedelta(days=1)
    if left < joined:
        raise ReportError(line, "the leave time is before the join time")
    return ImportedStay(
        line=line,
        identity=Identity(
            platform_user_id=platform_id or None,
            email=email or None,
            display_name=name or None,
        ),
        joined=joined,
        left=left,
    )


def data_rows(table: Sequence[Row], start: int) -> Iterator[Row]:
    """The rows after a header up to the first blank row (the end of a section)."""
    for row in table[start:]:
        if row.blank:
            return
        yield row
