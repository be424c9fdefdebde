"""The attendance report: contract CSV columns, and table / JSON / FHIR renderings (the
HTML report, with its charts, is rendered through templates by adapters.web.report)."""

from __future__ import annotations

import csv
import io
import itertools
import json
import re
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import tzinfo
from typing import TYPE_CHECKING

from bot.core.domain import ATTENDED, AttendanceRecord, Flag, Session
from bot.core.escaping import csv_cell
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

#: FHIR R4 Encounter.status for each attendance status
_FHIR_STATUS = {
    "present": "finished",
    "late": "finished",
    "partial": "finished",
    "made_up": "cancelled",
    "absent": "cancelled",
    "excused": "cancelled",
    "unverified": "unknown",
}
_MAKEUP_KINDS = {"recorded": Flag.MAKEUP_RECORDED, "one_on_one": Flag.MAKEUP_ONE_ON_ONE}
_ROLLCALL = "urn:rollcall:attendance"  # our own code system for status and flags
_PROVENANCE_TYPES = "http://terminology.hl7.org/CodeSystem/provenance-participant-type"


@dataclass(frozen=True, slots=True, kw_only=True)
class ReportRow:
    session: Session
    record: AttendanceRecord
    signoff: SignOff | None = None  # the session's sign-off (bot.core.attendance.signoff)

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


#: uuid5 namespace of rollcall's FHIR resources (fullUrl urn:uuid:… and Encounter.id)
FHIR_NAMESPACE = uuid.UUID("5b0c5d1e-6f0a-4c8e-9a51-7d3f2a8e4c11")
_FHIR_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")


def fhir_uuid(kind: str, *key: str) -> str:
    """A stable UUID (v5) for a record's key: the same record, the same id, every export."""
    return str(uuid.uuid5(FHIR_NAMESPACE, "\x1f".join((kind, *key))))


def _ref(resource: str, system: str, value: str) -> dict[str, object]:
    """A literal reference when the id is a valid FHIR id, else a logical one."""
    if _FHIR_ID.fullmatch(value):
        return {"reference": f"{resource}/{value}"}
    return {"type": resource, "identifier": {"system": system, "value": value}}


def _period(row: ReportRow, tz: tzinfo) -> tuple[dict[str, str], bool]:
    """(period, attended). An attended record's period is the stay, clipped to the
    session, and never shorter than the minutes (attested minutes without presence
    take the session's window); anyone else's is the session's planned window."""
    r, s = row.record, row.session
    if r.status not in ATTENDED:
        return {"start": iso_local(s.start, tz), "end": iso_local(s.end, tz)}, False
    start = max(r.first_seen or r.checked_in_at or s.start, s.start)
    end = min(r.last_seen or s.end, s.end)
    if end <= start or (end - start).total_seconds() < r.attended_minutes * 60 - 59:
        start, end = s.start, s.end
    return {"start": iso_local(start, tz), "end": iso_local(end, tz)}, True


def _encounter(row: ReportRow, tz: tzinfo, eid: str) -> dict[str, object]:
    """The Encounter entry of one record (see `to_fhir`); `eid`, its id."""
    r = row.record
    period, attended = _period(row, tz)
    encounter: dict[str, object] = {
        "resourceType": "Encounter",
        "id": eid,
        "identifier": [
            {"system": "urn:rollcall:session", "value": r.session_id},
            {"system": "urn:rollcall:group", "value": r.group_id},
        ],
        "status": _FHIR_STATUS.get(r.status.value, "unknown"),
        "class": {
            "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
            "code": "VR",
            "display": "virtual",
        },
        "subject": _ref("Patient", "urn:rollcall:person", r.person_id),
        "period": period,
        "extension": [
            {"url": f"{_ROLLCALL}:status", "valueCode": r.status.value},
            *({"url": f"{_ROLLCALL}:flag", "valueCode": f.value} for f in r.flags),
            # engagement: camera time (context, never a penalty) and participation
            {
                "url": f"{_ROLLCALL}:camera-minutes",
                "valueQuantity": {
                    "value": r.camera_minutes,
                    "unit": "min",
                    "system": "http://unitsofmeasure.org",
                    "code": "min",
                },
            },
            *(
                [{"url": f"{_ROLLCALL}:participation", "valueCode": r.participation.value}]
                if r.participation
                else []
            ),
        ],
    }
    if attended:
        encounter["length"] = {
            "value": r.attended_minutes,
            "unit": "min",
            "system": "http://unitsofmeasure.org",
            "code": "min",
        }
    if r.verified_by:
        encounter["participant"] = [
            {"individual": _ref("Practitioner", "urn:rollcall:person", r.verified_by)}
        ]
    return {"fullUrl": f"urn:uuid:{eid}", "resource": encounter}


def fhir_chunks(rows: Sequence[ReportRow], tz: tzinfo) -> Iterator[str]:
    """A FHIR R4 Bundle (type "collection") of Encounter resources, one per record:
    the participant as `subject` (Patient/<participant_id>), the session and group as
    identifiers, the attended span as `period` and the minutes as `length` (only for
    someone who attended; length never exceeds the period), and rollcall's own status
    and flags (attested_minutes among them) as extensions, so an EHR can import what a
    billing team needs. Every `fullUrl` is `urn:uuid:` + a UUID v5 of the record's key,
    and `Encounter.id` is that UUID, whatever the configured ids look like; a signed-off
    session adds a Provenance (see `_provenances`)."""
    # written entry by entry, one a line: the bundle's id needs every fullUrl first
    # (cheap), never every resource at once
    provenances = _provenances(rows, tz)
    eids = [fhir_uuid("encounter", r.record.session_id, r.record.person_id) for r in rows]
    urls = [f"urn:uuid:{eid}" for eid in eids] + [str(p["fullUrl"]) for p in provenances]
    head = {"resourceType": "Bundle", "id": fhir_uuid("bundle", *urls), "type": "collection"}
    yield json.dumps(head, separators=_COMPACT)[:-1] + ',"entry":['
    encounters = (_encounter(row, tz, eid) for row, eid in zip(rows, eids, strict=True))
    for n, entry in enumerate(itertools.chain(encounters, provenances)):
        yield ("\n" if n == 0 else ",\n") + json.dumps(entry, separators=_COMPACT)
    yield "\n]}\n"


def to_fhir(rows: Sequence[ReportRow], tz: tzinfo) -> str:
    """The bundle of `fhir_chunks`, as one string."""
    return "".join(fhir_chunks(rows, tz))


def _provenances(rows: Sequence[ReportRow], tz: tzinfo) -> list[dict[str, object]]:
    """One FHIR Provenance per signed-off session: the facilitator as the `attester`
    (provenance-participant-type), `recorded` = the sign-off time, targets = the
    session's Encounters in this bundle."""
    targets: dict[str, list[str]] = {}
    signed: dict[str, SignOff] = {}
    for row in rows:
        if row.signoff is not None:
            signed[row.session.id] = row.signoff
            targets.setdefault(row.session.id, []).append(
                "Encounter/" + fhir_uuid("encounter", row.record.session_id, row.record.person_id)
            )
    out: list[dict[str, object]] = []
    for sid in sorted(signed):
        s = signed[sid]
        pid = fhir_uuid("provenance", sid)
        provenance = {
            "resourceType": "Provenance",
            "id": pid,
            "target": [{"reference": ref} for ref in targets[sid]],
            "recorded": iso_local(s.at, tz),
            "agent": [
                {
                    "type": {
                        "coding": [
                            {
                                "system": _PROVENANCE_TYPES,
                                "code": "attester",
                                "display": "Attester",
                            }
                        ]
                    },
                    "who": _ref("Practitioner", "urn:rollcall:person", s.by),
                }
            ],
        }
        out.append({"fullUrl": f"urn:uuid:{pid}", "resource": provenance})
    return out


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
