"""The lean export (`rollcall report --format csv|fhir|billing`): the records streamed
from the store as `ReportLine`s (`Records.report_lines`, one query, chunk by chunk)
straight into the writers — no domain object per row. The text is byte for byte what
the report rows give (bot.core.reports.render, billing; tests pin it).

A year (≈ 80,000 records): CSV and billing hold one chunk at a time; FHIR holds the
lines (its bundle id needs every entry's id before the first is written), never the
resources.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import date, datetime, tzinfo

from bot.core.attendance.recorder import Recorder
from bot.core.attendance.signoff import signoffs
from bot.core.domain import BillingRules, ReportLine, SessionState
from bot.core.escaping import csv_cell
from bot.core.reports import billing, fhir_text
from bot.core.reports.csvtext import quoted
from bot.core.reports.memo import Memo
from bot.core.reports.render import COLUMNS
from bot.core.timeutil import iso_local, week_bounds

#: the formats written this way (the others render report rows: bot.core.reports.render)
LEAN_FORMATS = ("csv", "fhir", "billing")
#: FHIR entries handed on together (a write per entry would cost more than the entry)
_PIECES = 2000


class Export:
    """An export's text, piece by piece (`async for piece in export`); `rows` counts
    what was written once it has been read through (records, or billing days)."""

    def __init__(self) -> None:
        self.rows = 0
        self._pieces: AsyncIterator[str] | None = None

    def __aiter__(self) -> AsyncIterator[str]:
        if self._pieces is None:
            raise RuntimeError("an export is read once")
        pieces, self._pieces = self._pieces, None
        return pieces


async def export(
    recorder: Recorder,
    rules: BillingRules,
    tz: tzinfo,
    fmt: str,
    *,
    group_id: str | None = None,
    person_id: str | None = None,
    start_from: datetime | None = None,
    start_to: datetime | None = None,
    day_from: date | None = None,
    day_to: date | None = None,
) -> Export:
    """The export in `fmt` (one of LEAN_FORMATS). CSV and FHIR: records of sessions
    starting in [start_from, start_to); billing: the days from `day_from` to `day_to`
    (inclusive, `tz`), week totals over the whole ISO weeks. Sessions running now are
    recomputed first, as the report rows are (bot.core.reports.collect)."""
    if fmt == "billing":
        start_from = week_bounds(day_from, tz)[0] if day_from else None
        start_to = week_bounds(day_to, tz)[1] if day_to else None
    await _recompute_running(recorder, group_id, start_from, start_to)
    lines = recorder.store.report_lines(
        group_id=group_id, person_id=person_id, start_from=start_from, start_to=start_to
    )
    out = Export()
    if fmt == "csv":
        out._pieces = _csv(lines, tz, out)
    elif fmt == "fhir":
        out._pieces = _fhir(recorder, lines, tz, out)
    elif fmt == "billing":
        out._pieces = _billing(lines, tz, rules, day_from, day_to, out)
    else:
        raise ValueError(f"not a lean export format: {fmt!r}")
    return out


async def _recompute_running(
    recorder: Recorder, group_id: str | None, start_from: datetime | None, start_to: datetime | None
) -> None:
    now = recorder.clock.now()
    for s in await recorder.store.list_sessions(
        group_id=group_id,
        start_from=start_from,
        start_to=start_to,
        states=[SessionState.SCHEDULED],
    ):
        if s.opens_at(recorder.policy) <= now:
            await recorder.recompute(s)


class CsvLines:
    """A line's CSV text (its "\\n" included), byte for byte what `csv.writer` writes of
    its `ReportRow.cells` with `csv_cell` (the words escaped against spreadsheet
    formulas; numbers and times never need it): each distinct id, word and time
    escaped and quoted once (bot.core.reports.csvtext), the line joined from them."""

    def __init__(self, tz: tzinfo) -> None:
        self._iso = Memo(lambda dt: quoted(iso_local(dt, tz)))
        self._word = Memo(lambda text: quoted(csv_cell(text or "")))
        self._flags = Memo(lambda flags: quoted(csv_cell(";".join(flags))))
        self._session: tuple[str, str] = ("", "")
        self._prefix = ""

    def __call__(self, line: ReportLine) -> str:
        iso, word = self._iso, self._word
        # lines come session by session; a record's group is its own (kept per line)
        if line.session_id != self._session[0] or line.group_id != self._session[1]:
            self._session = (line.session_id, line.group_id)
            self._prefix = (
                f"{word[line.session_id]},{word[line.group_id]},"
                f"{iso[line.session_start]},{iso[line.session_end]},"
            )
        return (
            f"{self._prefix}{word[line.person_id]},{word[line.status]},"
            f"{line.attended_minutes},{line.camera_minutes},"
            f"{iso[line.first_seen]},{iso[line.last_seen]},{iso[line.checked_in_at]},"
            f"{self._flags[line.flags]},{word[line.verified_by]},{word[line.makeup_for]}\n"
        )


async def _csv(
    chunks: AsyncIterator[list[ReportLine]], tz: tzinfo, out: Export
) -> AsyncIterator[str]:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(COLUMNS)
    yield buf.getvalue()
    text = CsvLines(tz)
    async for chunk in chunks:
        out.rows += len(chunk)
        yield "".join(map(text, chunk))


async def _fhir(
    recorder: Recorder, chunks: AsyncIterator[list[ReportLine]], tz: tzinfo, out: Export
) -> AsyncIterator[str]:
    lines: list[ReportLine] = []
    async for chunk in chunks:
        lines += chunk
    out.rows = len(lines)
    signed = await signoffs(recorder.store, {line.session_id for line in lines})
    pieces: list[str] = []
    for piece in fhir_text.fhir_chunks(lines, signed, tz):
        pieces.append(piece)
        if len(pieces) >= _PIECES:
            yield "".join(pieces)
            pieces.clear()
    yield "".join(pieces)


async def _billing(
    chunks: AsyncIterator[list[ReportLine]],
    tz: tzinfo,
    rules: BillingRules,
    day_from: date | None,
    day_to: date | None,
    out: Export,
) -> AsyncIterator[str]:
    tally = billing.Tally(tz)
    async for chunk in chunks:
        tally.add(chunk)
    days = [
        d
        for d in tally.summaries(rules)
        if (day_from is None or d[1] >= day_from) and (day_to is None or d[1] <= day_to)
    ]
    out.rows = len(days)
    yield "".join(billing.csv_lines(days))
