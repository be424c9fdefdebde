"""The attendance report: contract CSV columns, and table / JSON / FHIR renderings (the
HTML report, with its charts, is rendered through templates by adapters.web.report)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import tzinfo
from typing import TYPE_CHECKING

from bot.core.domain import AttendanceRecord, Flag, ReportLine, Session
from bot.core.escaping import csv_cell
from bot.core.reports import fhir
from bot.core.timeutil import iso_local
from bot.core.words import plural

if TYPE_CHECKING:
    from bot.core.attendance.signoff import SignOff

COLUMNS = (
    "session_id",
    "group_id",
    "session_start",
    "session_end",
    "participant_id",
    "status",
    "attended_minutes",
    "camera_minutes",
    "first_seen",
    "last_seen",
    "checked_in_at",
    "flags",
    "verified_by",
    "makeup_for",
)
FORMATS = ("table", "csv", "json", "html", "fhir")

_MAKEUP_KINDS = {"recorded": Flag.MAKEUP_RECORDED, "one_on_one": Flag.MAKEUP_ONE_ON_ONE}


@dataclass(frozen=True, slots=True, kw_only=True)
class ReportRow:
    session: Session
    record: AttendanceRecord
    signoff: SignOff | None = None  # the session's sign-off (bot.core.attendance.signoff)

    def line(self) -> ReportLine:
        return ReportLine.of(self.session, self.record)

    def cells(self, tz: tzinfo) -> dict[str, str]:
        r, s = self.record, self.session
        return {
            "session_id": s.id,
            "group_id": s.group_id,
            "session_start": iso_local(s.start, tz),
            "session_end": iso_local(s.end, tz),
            "participant_id": r.person_id,
            "status": r.status.value,
            "attended_minutes": str(r.attended_minutes),
            "camera_minutes": str(r.camera_minutes),
            "first_seen": iso_local(r.first_seen, tz),
            "last_seen": iso_local(r.last_seen, tz),
            "checked_in_at": iso_local(r.checked_in_at, tz),
            "flags": ";".join(f.value for f in r.flags),
            "verified_by": r.verified_by or "",
            "makeup_for": r.makeup_for or "",
        }


#: columns that hold words (ids, status, flags): what a spreadsheet could take for a
#: formula; the others are numbers and ISO times, which never start like one
_TEXT_COLUMNS = frozenset(
    {
        "session_id",
        "group_id",
        "participant_id",
        "status",
        "flags",
        "verified_by",
        "makeup_for",
    }
)
_CSV_ESCAPED = tuple(c in _TEXT_COLUMNS for c in COLUMNS)
#: rows per chunk a streamed rendering yields
CHUNK = 500
#: JSON without spaces (and through json's C encoder, which `indent` would turn off)
_COMPACT = (",", ":")


def csv_chunks(rows: Iterable[ReportRow], tz: tzinfo) -> Iterator[str]:
    """The CSV, a few hundred rows at a time (an export writes them as they come)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(COLUMNS)
    for n, row in enumerate(rows, 1):
        cells = row.cells(tz)
        writer.writerow(
            [
                csv_cell(cells[c]) if escaped else cells[c]
                for c, escaped in zip(COLUMNS, _CSV_ESCAPED, strict=True)
            ]
        )
        if n % CHUNK == 0:
            yield buf.getvalue()
            buf.seek(0)
            buf.truncate()
    yield buf.getvalue()


def to_csv(rows: Sequence[ReportRow], tz: tzinfo) -> str:
    return "".join(csv_chunks(rows, tz))


def to_json(rows: Sequence[ReportRow], tz: tzinfo) -> str:
    out = []
    for row in rows:
        cells: dict[str, object] = dict(row.cells(tz))
        cells["attended_minutes"] = row.record.attended_minutes
        cells["camera_minutes"] = row.record.camera_minutes
        cells["flags"] = [f.value for f in row.record.flags]
        for key in ("first_seen", "last_seen", "checked_in_at", "verified_by", "makeup_for"):
            cells[key] = cells[key] or None
        cells["participation"] = (
            row.record.participation.value if row.record.participation else None
        )
        # a made_up row's make-up by recorded content or a one-on-one (also in `flags`)
        cells["makeup_kind"] = next(
            (kind for kind, flag in _MAKEUP_KINDS.items() if flag in row.record.flags), None
        )
        cells.update(_signoff_cells(row, tz))
        out.append(cells)
    return json.dumps(out, indent=2) + "\n"


def _signoff_cells(row: ReportRow, tz: tzinfo) -> dict[str, object]:
    """JSON's sign-off fields: who attested the session's record and when, and for an
    amended row what was attested (the original)."""
    s = row.signoff
    attested = s.attested.get(row.record.person_id) if s else None
    amended = Flag.AMENDED in row.record.flags
    return {
        "signed_off_by": s.by if s else None,
        "signed_off_at": iso_local(s.at, tz) if s else None,
        "amended_from": (
            {"status": attested[0], "attended_minutes": attested[1]}
            if amended and attested
            else None
        ),
    }


def to_table(rows: Sequence[ReportRow], tz: tzinfo) -> str:
    cols = ("session_id", "participant_id", "status", "attended_minutes", "camera_minutes", "flags")
    heads = ("session", "participant", "status", "minutes", "camera", "flags")
    data = [[row.cells(tz)[c] for c in cols] for row in rows]
    widths = [max([len(h)] + [len(d[i]) for d in data]) for i, h in enumerate(heads)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(heads, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    for d in data:
        lines.append("  ".join(v.ljust(w) for v, w in zip(d, widths, strict=True)).rstrip())
    lines.append(plural(len(rows), "record"))
    return "\n".join(lines) + "\n"


def fhir_chunks(rows: Sequence[ReportRow], tz: tzinfo) -> Iterator[str]:
    """The FHIR bundle of report rows, piece by piece (see bot.core.reports.fhir)."""
    signed = {r.session.id: r.signoff for r in rows if r.signoff is not None}
    return fhir.bundle_chunks([r.line() for r in rows], signed, tz)


def to_fhir(rows: Sequence[ReportRow], tz: tzinfo) -> str:
    """The bundle of `fhir_chunks`, as one string."""
    return "".join(fhir_chunks(rows, tz))


def render_chunks(
    fmt: str, rows: Sequence[ReportRow], tz: tzinfo, title: str = ""
) -> Iterator[str]:
    """`render`, piece by piece: CSV and FHIR are never held whole (a year's export)."""
    if fmt == "csv":
        return csv_chunks(rows, tz)
    if fmt == "fhir":
        return fhir_chunks(rows, tz)
    return iter((render(fmt, rows, tz, title),))


def render(fmt: str, rows: Sequence[ReportRow], tz: tzinfo, title: str = "") -> str:
    if fmt == "csv":
        return to_csv(rows, tz)
    if fmt == "json":
        return to_json(rows, tz)
    if fmt == "html":
        # templates and charts are the web adapter's (adapters.web.report): no jinja2 here
        raise ValueError("the HTML report is rendered by adapters.web.report")
    if fmt == "fhir":
        return to_fhir(rows, tz)
    return to_table(rows, tz)


def sort_rows(rows: Sequence[ReportRow]) -> list[ReportRow]:
    return sorted(rows, key=lambda r: (r.session.start, r.session.id, r.record.person_id))
