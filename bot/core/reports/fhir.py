"""The FHIR R4 export: a Bundle of Encounters (one per attendance record) and a
Provenance per signed-off session, written entry by entry (one a line) from
`ReportLine`s. This module says what the bundle is, resource by resource as dicts
(`bundle_chunks`: the report rows' rendering, bot.core.reports.render.to_fhir); the
year-long export writes the same text from templates (bot.core.reports.fhir_text)."""

from __future__ import annotations

import hashlib
import itertools
import json
import re
import uuid
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime, tzinfo
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
#: the statuses of someone who attended, as text
ATTENDED_STATUSES = frozenset(s.value for s in ATTENDED)
_ROLLCALL = "urn:rollcall:attendance"  # our own code system for status and flags
STATUS_URL = f"{_ROLLCALL}:status"
FLAG_URL = f"{_ROLLCALL}:flag"
CAMERA_URL = f"{_ROLLCALL}:camera-minutes"
PARTICIPATION_URL = f"{_ROLLCALL}:participation"
_PROVENANCE_TYPES = "http://terminology.hl7.org/CodeSystem/provenance-participant-type"
#: Encounter.class: every session is virtual
CLASS = {
    "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
    "code": "VR",
    "display": "virtual",
}
#: a Quantity's unit, after its value: minutes
MINUTES = {"unit": "min", "system": "http://unitsofmeasure.org", "code": "min"}
#: JSON without spaces (and through json's C encoder, which `indent` would turn off)
_COMPACT = (",", ":")

#: uuid5 namespace of rollcall's FHIR resources (fullUrl urn:uuid:… and Encounter.id)
FHIR_NAMESPACE = uuid.UUID("5b0c5d1e-6f0a-4c8e-9a51-7d3f2a8e4c11")
_FHIR_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")
#: SHA-1 of the namespace: a UUID v5 of a name is this, updated with the name
NAMESPACED = hashlib.sha1(FHIR_NAMESPACE.bytes, usedforsecurity=False)
#: the UUID's variant digit (RFC 4122: 10xx) from the hash's
_VARIANT = {d: "89ab"[int(d, 16) & 3] for d in "0123456789abcdef"}


def dumps(value: object) -> str:
    """Compact JSON, as every entry is written."""
    return json.dumps(value, separators=_COMPACT)


def fhir_uuid(kind: str, *key: str) -> str:
    """A stable UUID (v5) for a record's key: the same record, the same id, every export.
    (`uuid.uuid5(FHIR_NAMESPACE, name)`, without building a UUID object per record.)"""
    h = NAMESPACED.copy()
    h.update("\x1f".join((kind, *key)).encode())
    return v5(h.hexdigest())


def v5(x: str) -> str:
    """The UUID v5 of a SHA-1 hex digest: its first 16 bytes, version and variant set."""
    return f"{x[:8]}-{x[8:12]}-5{x[13:16]}-{_VARIANT[x[16]]}{x[17:20]}-{x[20:32]}"


def encounter_ids(lines: Sequence[ReportLine]) -> list[str]:
    """`fhir_uuid("encounter", session_id, person_id)` of each line (the session's part
    hashed once per session: lines come session by session)."""
    out: list[str] = []
    append = out.append
    variant = _VARIANT
    session = None
    prefix = NAMESPACED
    for r in lines:
        if r[0] != session:  # r.session_id (a line is a tuple: indexing is cheaper)
            session = r[0]
            prefix = NAMESPACED.copy()
            prefix.update(f"encounter\x1f{session}\x1f".encode())
        h = prefix.copy()
        h.update(r[4].encode())  # r.person_id
        x = h.hexdigest()
        append(f"{x[:8]}-{x[8:12]}-5{x[13:16]}-{variant[x[16]]}{x[17:20]}-{x[20:32]}")  # v5
    return out


def fhir_status(status: str) -> str:
    """Encounter.status for a rollcall status."""
    return _FHIR_STATUS.get(status, "unknown")


def ref(resource: str, value: str) -> dict[str, object]:
    """A reference to a person: a literal one when the id is a valid FHIR id, else a
    logical one."""
    if _FHIR_ID.fullmatch(value):
        return {"reference": f"{resource}/{value}"}
    return {"type": resource, "identifier": {"system": "urn:rollcall:person", "value": value}}


def identifiers(r: ReportLine) -> list[dict[str, str]]:
    """Encounter.identifier: the session and the group."""
    return [
        {"system": "urn:rollcall:session", "value": r.session_id},
        {"system": "urn:rollcall:group", "value": r.group_id},
    ]


def attended_span(r: ReportLine) -> tuple[datetime, datetime] | None:
    """An attended record's period: the stay, clipped to the session, and never shorter
    than the minutes (attested minutes without presence take the session's window);
    None for anyone who did not attend (their period is the session's planned window)."""
    if r.status not in ATTENDED_STATUSES:
        return None
    start = max(r.first_seen or r.checked_in_at or r.session_start, r.session_start)
    end = min(r.last_seen or r.session_end, r.session_end)
    if end <= start or (end - start).total_seconds() < r.attended_minutes * 60 - 59:
        return r.session_start, r.session_end
    return start, end


def encounter(r: ReportLine, tz: tzinfo, eid: str) -> dict[str, object]:
    """The Encounter entry of one record (see `bundle_chunks`); `eid`, its id."""
    span = attended_span(r)
    start, end = span or (r.session_start, r.session_end)
    resource: dict[str, object] = {
        "resourceType": "Encounter",
        "id": eid,
        "identifier": identifiers(r),
        "status": fhir_status(r.status),
        "class": CLASS,
        "subject": ref("Patient", r.person_id),
        "period": {"start": iso_local(start, tz), "end": iso_local(end, tz)},
        "extension": [
            {"url": STATUS_URL, "valueCode": r.status},
            *({"url": FLAG_URL, "valueCode": f} for f in r.flags),
            # engagement: camera time (context, never a penalty) and participation
            {"url": CAMERA_URL, "valueQuantity": {"value": r.camera_minutes, **MINUTES}},
            *(
                [{"url": PARTICIPATION_URL, "valueCode": r.participation}]
                if r.participation
                else []
            ),
        ],
    }
    if span is not None:
        resource["length"] = {"value": r.attended_minutes, **MINUTES}
    if r.verified_by:
        resource["participant"] = [{"individual": ref("Practitioner", r.verified_by)}]
    return {"fullUrl": f"urn:uuid:{eid}", "resource": resource}


def bundle_chunks(
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
    `provenances`). Pieces: the head, one entry a line, the tail."""
    # written entry by entry: the bundle's id needs every fullUrl first (cheap), never
    # every resource at once
    eids = encounter_ids(lines)
    provs = provenances(lines, eids, signed, tz)
    yield bundle_head(eids, provs)
    encounters = (encounter(r, tz, eid) for r, eid in zip(lines, eids, strict=True))
    for n, entry in enumerate(itertools.chain(encounters, provs)):
        yield ("\n" if n == 0 else ",\n") + dumps(entry)
    yield "\n]}\n"


def bundle_head(eids: Sequence[str], provs: Sequence[dict[str, object]]) -> str:
    """The bundle's text up to its first entry; its id hashes every entry's fullUrl."""
    urls = [f"urn:uuid:{eid}" for eid in eids] + [str(p["fullUrl"]) for p in provs]
    head = {"resourceType": "Bundle", "id": fhir_uuid("bundle", *urls), "type": "collection"}
    return dumps(head)[:-1] + ',"entry":['


def provenances(
    lines: Sequence[ReportLine], eids: Sequence[str], signed: Mapping[str, SignOff], tz: tzinfo
) -> list[dict[str, object]]:
    """One FHIR Provenance per signed-off session: the facilitator as the `attester`
    (provenance-participant-type), `recorded` = the sign-off time, targets = the
    session's Encounters in this bundle."""
    targets: dict[str, list[str]] = {}
    if signed:
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
            "target": [{"reference": target} for target in targets[sid]],
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
                    "who": ref("Practitioner", s.by),
                }
            ],
        }
        out.append({"fullUrl": f"urn:uuid:{pid}", "resource": provenance})
    return out
