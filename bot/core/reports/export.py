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


class CsvCells:
    """A line's CSV cells in COLUMNS order, as `ReportRow.cells` + `csv_cell` give them
    (the words escaped against spreadsheet formulas; numbers and times never need it),
    each distinct id, word and time formatted once."""

    def __init__(self, tz: tzinfo) -> None:
        self._iso = Memo(lambda dt: iso_local(dt, tz))
        self._word = Memo(lambda text: csv_cell(text or ""))
        self._flags = Memo(lambda flags: csv_cell(";".join(flags)))
        self._session = ""
        self._prefix: tuple[str, ...] = ()

    def __call__(self, line: ReportLine) -> tuple[object, ...]:
        iso, word = self._iso, self._word
        if line.session_id != self._session:  # lines come session by session
            self._session = line.session_id
            self._prefix = (
                csv_cell(line.session_id),
                csv_cell(line.group_id),
                iso[line.session_start],
                iso[line.session_end],
            )
        return (
            *self._prefix,
            word[line.person_id],
            word[line.status],
            line.attended_minutes,
            line.camera_minutes,
            iso[line.first_seen],
            iso[line.last_seen],
            iso[line.checked_in_at],
            self._flags[line.flags],
            word[line.verified_by],
            word[line.makeup_for],
        )


async def _csv(
    chunks: AsyncIterator[list[ReportLine]], tz: tzinfo, out: Export
) -> AsyncIterator[str]:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(COLUMNS)
    cells = CsvCells(tz)
    async for chunk in chunks:
        writer.writerows(map(cells, chunk))
        out.rows += len(chunk)
        yield buf.getvalue()
        buf.seek(0)
        buf.truncate()
    yield buf.getvalue()


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
        for d in tally.days(rules)
        if (day_from is None or d.date >= day_from) and (day_to is None or d.date <= day_to)
    ]
    out.rows = len(days)
    yield billing.to_csv(days)
