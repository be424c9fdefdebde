"""The FHIR export's text, fast: a year is ≈ 80,000 Encounters, and a dict per entry
through json.dumps cost several times the query that read them (issue #13). Here each
entry fills a template whose constant parts were serialized once; the values that vary
are json-encoded once per distinct value (ids, times, status, flags) and looked up.

The text is byte for byte `bot.core.reports.fhir.bundle_chunks` (the readable
definition, dict by dict), so `json.loads` of it is that bundle; the tests pin both.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import tzinfo
from typing import TYPE_CHECKING

from bot.core.domain import ReportLine
from bot.core.reports import fhir
from bot.core.reports.fhir import dumps
from bot.core.reports.memo import Memo
from bot.core.timeutil import iso_local

if TYPE_CHECKING:
    from bot.core.attendance.signoff import SignOff

# the constant text, cut from what json.dumps writes for it
_HEAD = dumps({"resourceType": "Encounter"})[:-1]  # '{"resourceType":"Encounter"'
_CLASS = dumps(fhir.CLASS)
_CAMERA = dumps({"url": fhir.CAMERA_URL, "valueQuantity": {"value": 0}})[:-3]  # …"value":
_UNIT = "," + dumps(fhir.MINUTES)[1:]  # ',"unit":"min",…}' after a quantity's value
_URN = "urn:uuid:"  # a fullUrl, before its UUID


def fhir_chunks(
    lines: Sequence[ReportLine], signed: Mapping[str, SignOff], tz: tzinfo
) -> Iterator[str]:
    """The bundle of `fhir.bundle_chunks(lines, signed, tz)`, the same pieces: the head,
    then one entry a line, then the tail."""
    eids = fhir.encounter_ids(lines)
    provenances = fhir.provenances(lines, eids, signed, tz)
    yield _bundle_head(eids, provenances)
    yield from _encounters(lines, eids, tz)
    for n, entry in enumerate(provenances, start=len(lines)):
        yield ("\n" if n == 0 else ",\n") + dumps(entry)
    yield "\n]}\n"


def _bundle_head(eids: Sequence[str], provenances: Sequence[dict[str, object]]) -> str:
    """`fhir.bundle_head`: its id's name ("bundle", then every fullUrl, joined by
    \\x1f) joined at once, not made a fullUrl at a time."""
    urls = [str(p["fullUrl"]) for p in provenances]
    sep = "\x1f" + _URN
    name = sep.join(("bundle", *eids)) if eids else "bundle"
    if urls:
        name += "\x1f" + "\x1f".join(urls)
    h = fhir.NAMESPACED.copy()
    h.update(name.encode())
    head = {"resourceType": "Bundle", "id": fhir.v5(h.hexdigest()), "type": "collection"}
    return dumps(head)[:-1] + ',"entry":['


def _encounters(lines: Sequence[ReportLine], eids: Sequence[str], tz: tzinfo) -> Iterator[str]:
    """Each line's Encounter entry (`fhir.encounter`), as text, after its separator."""
    iso = Memo(lambda dt: dumps(iso_local(dt, tz)))
    # "status":…,"class":…,"subject": and the status extension, by rollcall status
    status_of = Memo(
        lambda s: (
            f',"status":{dumps(fhir.fhir_status(s))},"class":{_CLASS},"subject":',
            dumps({"url": fhir.STATUS_URL, "valueCode": s}),
        )
    )
    subject = Memo(lambda pid: dumps(fhir.ref("Patient", pid)) + ',"period":{"start":')
    flags_of = Memo(
        lambda fs: "".join(f",{dumps({'url': fhir.FLAG_URL, 'valueCode': f})}" for f in fs)
    )
    number = Memo(dumps)
    participation_of = Memo(
        lambda p: f",{dumps({'url': fhir.PARTICIPATION_URL, 'valueCode': p})}" if p else ""
    )
    participant = Memo(
        lambda by: (
            f',"participant":[{{"individual":{dumps(fhir.ref("Practitioner", by))}}}]' if by else ""
        )
    )
    attended = fhir.ATTENDED_STATUSES
    session = identifier = planned = ""
    sep = "\n"
    for line, eid in zip(lines, eids, strict=True):
        (
            session_id,
            _,
            session_start,
            session_end,
            person_id,
            status,
            attended_minutes,
            camera_minutes,
            first_seen,
            last_seen,
            checked_in_at,
            flags,
            verified_by,
            _,
            participation,
        ) = line
        if session_id != session:  # lines come session by session
            session = session_id
            identifier = dumps(fhir.identifiers(line))
            planned = f'{iso[session_start]},"end":{iso[session_end]}}}'
        if status in attended:  # fhir.attended_span, inline (it is not None)
            start = first_seen or checked_in_at or session_start
            if start < session_start:
                start = session_start
            end = last_seen or session_end
            if end > session_end:
                end = session_end
            if end <= start or (end - start).total_seconds() < attended_minutes * 60 - 59:
                period = planned
            else:
                period = f'{iso[start]},"end":{iso[end]}}}'
            length = f',"length":{{"value":{number[attended_minutes]}{_UNIT}'
        else:
            period = planned
            length = ""
        head, ext = status_of[status]
        yield (
            f'{sep}{{"fullUrl":"urn:uuid:{eid}","resource":{_HEAD},'
            f'"id":"{eid}","identifier":{identifier}{head}{subject[person_id]}{period},'
            f'"extension":[{ext}{flags_of[flags]},{_CAMERA}{number[camera_minutes]}{_UNIT}}}'
            f"{participation_of[participation]}]{length}{participant[verified_by]}}}}}"
        )
        sep = ",\n"
