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


def fhir_chunks(
    lines: Sequence[ReportLine], signed: Mapping[str, SignOff], tz: tzinfo
) -> Iterator[str]:
    """The bundle of `fhir.bundle_chunks(lines, signed, tz)`, the same pieces: the head,
    then one entry a line, then the tail."""
    eids = fhir.encounter_ids(lines)
    provenances = fhir.provenances(lines, eids, signed, tz)
    yield fhir.bundle_head(eids, provenances)
    yield from _encounters(lines, eids, tz)
    for n, entry in enumerate(provenances, start=len(lines)):
        yield ("\n" if n == 0 else ",\n") + dumps(entry)
    yield "\n]}\n"


def _encounters(lines: Sequence[ReportLine], eids: Sequence[str], tz: tzinfo) -> Iterator[str]:
    """Each line's Encounter entry (`fhir.encounter`), as text, after its separator."""
    iso = Memo(lambda dt: dumps(iso_local(dt, tz)))
    # "status":…,"class":…,"subject": and the status extension, by rollcall status
    status = Memo(
        lambda s: (
            f',"status":{dumps(fhir.fhir_status(s))},"class":{_CLASS},"subject":',
            dumps({"url": fhir.STATUS_URL, "valueCode": s}),
        )
    )
    subject = Memo(lambda pid: dumps(fhir.ref("Patient", pid)) + ',"period":{"start":')
    flags = Memo(
        lambda fs: "".join(f",{dumps({'url': fhir.FLAG_URL, 'valueCode': f})}" for f in fs)
    )
    number = Memo(dumps)
    participation = Memo(
        lambda p: f",{dumps({'url': fhir.PARTICIPATION_URL, 'valueCode': p})}" if p else ""
    )
    participant = Memo(
        lambda by: (
            f',"participant":[{{"individual":{dumps(fhir.ref("Practitioner", by))}}}]' if by else ""
        )
    )
    attended_span = fhir.attended_span
    session = identifier = planned = ""
    sep = "\n"
    for r, eid in zip(lines, eids, strict=True):
        if r.session_id != session:  # lines come session by session
            session = r.session_id
            identifier = dumps(fhir.identifiers(r))
            planned = f'{iso[r.session_start]},"end":{iso[r.session_end]}}}'
        span = attended_span(r)
        if span is None:
            period = planned
            length = ""
        else:
            period = f'{iso[span[0]]},"end":{iso[span[1]]}}}'
            length = f',"length":{{"value":{number[r.attended_minutes]}{_UNIT}'
        head, ext = status[r.status]
        yield (
            f'{sep}{{"fullUrl":"urn:uuid:{eid}","resource":{_HEAD},'
            f'"id":"{eid}","identifier":{identifier}{head}{subject[r.person_id]}{period},'
            f'"extension":[{ext}{flags[r.flags]},{_CAMERA}{number[r.camera_minutes]}{_UNIT}}}'
            f"{participation[r.participation]}]{length}{participant[r.verified_by]}}}}}"
        )
        sep = ",\n"
