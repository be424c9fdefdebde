"""The attendance report: contract CSV columns, and table / JSON / HTML renderings."""

from __future__ import annotations

import csv
import html
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import tzinfo
from typing import TYPE_CHECKING

from bot.core.domain import AttendanceRecord, Flag, Session
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


def to_csv(rows: Sequence[ReportRow], tz: tzinfo) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: csv_cell(v) for k, v in row.cells(tz).items()})
    return buf.getvalue()


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


#: what the HTML report shows after the CSV columns: engagement and the sign-off
HTML_EXTRA = ("participation", "signed_off_by")


def _html_cells(row: ReportRow, tz: tzinfo) -> list[str]:
    r = row.record
    extra = [
        r.participation.value if r.participation else "",
        row.signoff.by if row.signoff else "",
    ]
    return [*row.cells(tz).values(), *extra]


def to_html(rows: Sequence[ReportRow], tz: tzinfo, title: str = "Attendance report") -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in (*COLUMNS, *HTML_EXTRA))
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(v)}</td>" for v in _html_cells(row, tz)) + "</tr>"
        for row in rows
    )
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        "<style>table{border-collapse:collapse}td,th{border:1px solid #999;padding:2px 6px}"
        f"</style></head><body><h1>{html.escape(title)}</h1><table><thead><tr>{head}</tr>"
        f"</thead><tbody>{body}</tbody></table></body></html>\n"
    )


def to_fhir(rows: Sequence[ReportRow], tz: tzinfo) -> str:
    """A FHIR R4 Bundle (type "collection") of Encounter resources, one per record:
    the participant as `subject` (Patient/<participant_id>), the session as the
    Encounter's `partOf`-style identifier, the attended span as `period`, the minutes
    as `length`, and rollcall's own status and flags as an extension, so an EHR can
    import what a billing team needs."""
    entries: list[dict[str, object]] = []
    for row in rows:
        c, r = row.cells(tz), row.record
        start = c["first_seen"] or c["checked_in_at"] or c["session_start"]
        end = c["last_seen"] or c["session_end"]
        encounter: dict[str, object] = {
            "resourceType": "Encounter",
            "id": f"{r.session_id}.{r.person_id}",
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
            "subject": {"reference": f"Patient/{r.person_id}"},
            "period": {"start": start, "end": end},
            "length": {
                "value": r.attended_minutes,
                "unit": "min",
                "system": "http://unitsofmeasure.org",
                "code": "min",
            },
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
        if r.verified_by:
            encounter["participant"] = [
                {"individual": {"reference": f"Practitioner/{r.verified_by}"}}
            ]
        entries.append({"fullUrl": f"urn:uuid:{r.session_id}.{r.person_id}", "resource": encounter})
    entries += _provenances(rows, tz)
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": entries}
    return json.dumps(bundle, indent=2) + "\n"


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
                f"Encounter/{row.record.session_id}.{row.record.person_id}"
            )
    out: list[dict[str, object]] = []
    for sid in sorted(signed):
        s = signed[sid]
        provenance = {
            "resourceType": "Provenance",
            "id": f"signoff.{sid}",
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
                    "who": {"reference": f"Practitioner/{s.by}"},
                }
            ],
        }
        out.append({"fullUrl": f"urn:uuid:signoff.{sid}", "resource": provenance})
    return out


def render(fmt: str, rows: Sequence[ReportRow], tz: tzinfo, title: str = "") -> str:
    if fmt == "csv":
        return to_csv(rows, tz)
    if fmt == "json":
        return to_json(rows, tz)
    if fmt == "html":
        return to_html(rows, tz, title or "Attendance report")
    if fmt == "fhir":
        return to_fhir(rows, tz)
    return to_table(rows, tz)


def sort_rows(rows: Sequence[ReportRow]) -> list[ReportRow]:
    return sorted(rows, key=lambda r: (r.session.start, r.session.id, r.record.person_id))
