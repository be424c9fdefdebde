"""A report file's bytes → a `PlatformReport`: the format given or sniffed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, tzinfo

from adapters.importers import meet, teams, zoom
from adapters.importers.common import ReportError, decode, rows
from bot.core.events import PlatformReport

FORMATS = ("zoom", "teams", "meet")
_PARSERS: dict[str, Callable[[str, tzinfo, date | None], PlatformReport]] = {
    "zoom": zoom.parse,
    "teams": teams.parse,
    "meet": meet.parse,
}


def sniff(text: str) -> str:
    """Which platform wrote the report (ReportError when none fits)."""
    head = text[:4096]
    if "\t" in head:
        return "teams"
    try:
        table = rows(text, ",")
    except ReportError:
        table = []
    if meet.header_index(table) is not None:
        return "meet"
    if zoom.header_index(table) is not None:
        return "zoom"
    raise ReportError(
        None, "not a Zoom, Teams or Meet participant report I know (name one with --format)"
    )


def parse_report(
    data: bytes, *, fmt: str | None, tz: tzinfo, day: date | None = None
) -> PlatformReport:
    """Parse a whole report or refuse it (ReportError naming the line and the reason).
    `tz` reads times without an offset; `day` places times of day alone."""
    if fmt is not None and fmt not in _PARSERS:
        raise ReportError(None, f"--format must be one of {', '.join(FORMATS)}")
    text = decode(data)
    if not text.strip():
        raise ReportError(None, "the file is empty")
    chosen = fmt or sniff(text)
    return _PARSERS[chosen](text, tz, day)
