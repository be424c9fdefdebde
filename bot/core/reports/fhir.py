"""The FHIR R4 export: a Bundle of Encounters (one per attendance record) and a
Provenance per signed-off session, written entry by entry from `ReportLine`s — the same
text whether the lines were streamed from the store (bot.core.reports.export) or made
from report rows (bot.core.reports.render.to_fhir)."""

from __future__ import annotations

import hashlib
import itertools
import json
import re
import uuid
from collections.abc import Iterator, Mapping, Sequence
from datetime import tzinfo
from typing import TYPE_CHECKING

from bot.core.domain import ATTENDED, ReportLine
from bot.core.timeutil import iso_local

if TYPE_CHECKING:
    from bot.core.attendance.signoff import SignOff

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
_ATTENDED = frozenset(s.value for s in ATTENDED)
_ROLLCALL = "urn:rollcall:attendance"  # our own code system for status and flags
_PROVENANCE_TYPES = "http://terminology.hl7.org/CodeSystem/provenance-participant-type"
#: JSON without spaces (and through json's C encoder, which `indent` would turn off)
_COMPACT = (",", ":")

#: uuid5 namespace of rollcall's FHIR resources (fullUrl urn:uuid:… and Encounter.id)
FHIR_NAMESPACE = uuid.UUID("5b0c5d1e-6f0a-4c8e-9a51-7d3f2a8e4c11")
_FHIR_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")
_NAMESPACED = hashlib.sha1(FHIR_NAMESPACE.bytes, usedforsecurity=False)


def fhir_uuid(kind: str, *key: str) -> str:
    """A stable UUID (v5) for a record's key: the same record, the same id, every export.
    (`uuid.uuid5(FHIR_NAMESPACE, name)`, without building a UUID object per record.)"""
    h = _NAMESPACED.copy()
    h.update("\x1f".join((kind, *key)).encode())
    b = bytearray(h.digest()[:16])
    b[6] = (b[6] & 0x0F) | 0x50  # version 5
    b[8] = (b[8] & 0x3F) | 0x80  # RFC 4122 variant
    x = b.hex()
    return f"{x[:8]}-{x[8:12]}-{x[12:16]}-{x[16:20]}-{x[20:]}"


def _ref(resource: str, system: str, value: str) -> dict[str, object]:
    """A literal reference when the id is a valid FHIR id, else a logical one."""
    if _FHIR_ID.fullmatch(value):
        return {"reference": f"{resource}/{value}"}
    return {"type": resource, "identifier": {"system": system, "value": value}}


def _period(r: ReportLine, tz: tzinfo) -> tuple[dict[str, str], bool]:
    """(period, attended). An attended record's period is the stay, clipped to the
    session, and never shorter than the minutes (attested minutes without presence
    take the session's window); anyone else's is the session's planned window."""
    if r.status not in _ATTENDED:
        return {"start": iso_local(r.session_start, tz), "end": iso_local(r.session_end, tz)}, False
    start = max(r.first_seen or r.checked_in_at or r.session_start, r.session_start)
    end = min(r.last_seen or r.session_end, r.session_end)
    if end <= start or (end - start).total_seconds() < r.attended_minutes * 60 - 59:
        start, end = r.session_start, r.session_end
    return {"start": iso_local(start, tz), "end": iso_local(end, tz)}, True


def _encounter(r: ReportLine, tz: tzinfo, eid: str) -> dict[str, object]:
    """The Encounter entry of one record (see `fhir_chunks`); `eid`, its id."""
    period, attended = _period(r, tz)
    encounter: dict[str, object] = {
        "resourceType": "Encounter",
        "id": eid,
        "identifier": [
            {"system": "urn:rollcall:session", "value": r.session_id},
            {"system": "urn:rollcall:group", "value": r.group_id},
        ],
        "status": _FHIR_STATUS.get(r.status, "unknown"),
        "class": {
            "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
            "code": "VR",
            "display": "virtual",
        },
        "subject": _ref("Patient", "urn:rollcall:person", r.person_id),
        "period": period,
        "extension": [
            {"url": f"{_ROLLCALL}:status", "valueCode": r.status},
            *({"url": f"{_ROLLCALL}:flag", "valueCode": f} for f in r.flags),
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
                [{"url": f"{_ROLLCALL}:participation", "valueCode": r.participation}]
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


def fhir_chunks(
    lines: Sequence[ReportLine], signed: Mapping[str, SignOff], tz: tzinfo
) -> Iterator[str]:
    """A FHIR R4 Bundle (type "collection") of Encounter resources, one per record:
    the participant as `subject` (Patient/<participant_id>), the session and group as
    identifiers, the attended span as `period` and the minutes as `length` (only for
    someone who attended; length never exceeds the period), and rollcall's own status
    and flags (attested_minutes among them) as extensions, so an EHR can import what a
    billing team needs. Every `fullUrl` is `urn:uuid:` + a UUID v5 of the record's key,
    and `Encounter.id` is that UUID, whatever the configured ids look like; a signed-off
    session (`signed`: session id -> its sign-off) adds a Provenance (see
    `_provenances`)."""
    # written entry by entry, one a line: the bundle's id needs every fullUrl first
    # (cheap), never every resource at once
    eids = [fhir_uuid("encounter", r.session_id, r.person_id) for r in lines]
    provenances = _provenances(lines, eids, signed, tz)
    urls = [f"urn:uuid:{eid}" for eid in eids] + [str(p["fullUrl"]) for p in provenances]
    head = {"resourceType": "Bundle", "id": fhir_uuid("bundle", *urls), "type": "collection"}
    yield json.dumps(head, separators=_COMPACT)[:-1] + ',"entry":['
    encounters = (_encounter(r, tz, eid) for r, eid in zip(lines, eids, strict=True))
    for n, entry in enumerate(itertools.chain(encounters, provenances)):
        yield ("\n" if n == 0 else ",\n") + json.dumps(entry, separators=_COMPACT)
    yield "\n]}\n"


def _provenances(
    lines: Sequence[ReportLine], eids: Sequence[str], signed: Mapping[str, SignOff], tz: tzinfo
) -> list[dict[str, object]]:
    """One FHIR Provenance per signed-off session: the facilitator as the `attester`
    (provenance-participant-type), `recorded` = the sign-off time, targets = the
    session's Encounters in this bundle."""
    targets: dict[str, list[str]] = {}
    for r, eid in zip(lines, eids, strict=True):
        if r.session_id in signed:
            targets.setdefault(r.session_id, []).append("Encounter/" + eid)
    out: list[dict[str, object]] = []
    for sid in sorted(targets):
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
