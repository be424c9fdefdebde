"""Every FHIR bundle rollcall exports validates against the FHIR R4 models (fhir.resources)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from fhir.resources.R4B.bundle import Bundle

from bot.core.domain import AttendanceRecord, Flag, Session, Status
from bot.core.reports.render import ReportRow, render

NY = ZoneInfo("America/New_York")
START = datetime(2026, 11, 30, 23, tzinfo=UTC)
# ids as an operator may configure them: spaces, colons, slashes, long
SESSION = Session(
    id="evening a:2026-11-30T18:00/" + "x" * 70,
    group_id="evening a",
    start=START,
    end=START + timedelta(hours=3),
)


def _row(pid: str, status: Status, minutes: int = 0, **kw: object) -> ReportRow:
    return ReportRow(
        session=SESSION,
        record=AttendanceRecord(
            session_id=SESSION.id,
            group_id=SESSION.group_id,
            person_id=pid,
            status=status,
            attended_minutes=minutes,
            **kw,  # type: ignore[arg-type]
        ),
    )


ROWS = [
    _row(
        "p-001",
        Status.PARTIAL,
        120,
        first_seen=START - timedelta(minutes=10),
        last_seen=START + timedelta(minutes=122),
        flags=(Flag.LEFT_EARLY,),
    ),
    _row(
        "person one@example",
        Status.PRESENT,
        170,
        verified_by="f 001",
        flags=(Flag.OVERRIDE, Flag.ATTESTED_MINUTES),
    ),
    _row("p-003", Status.ABSENT),
    _row("p-004", Status.EXCUSED, verified_by="f-001", flags=(Flag.OVERRIDE,)),
]


def _minutes(period: dict[str, str]) -> float:
    start = datetime.fromisoformat(period["start"])
    end = datetime.fromisoformat(period["end"])
    return (end - start).total_seconds() / 60


def test_bundle_validates_with_uuid_full_urls_and_valid_ids() -> None:
    text = render("fhir", ROWS, NY)
    bundle = Bundle.model_validate_json(text)
    assert bundle.type == "collection" and len(bundle.entry or []) == 4
    data = json.loads(text)
    for entry in data["entry"]:
        full = entry["fullUrl"]
        assert full.startswith("urn:uuid:")
        assert uuid.UUID(full.removeprefix("urn:uuid:")).version == 5
        assert entry["resource"]["id"] == full.removeprefix("urn:uuid:")
    # stable across exports: the same record, the same id
    assert (
        json.loads(render("fhir", ROWS, NY))["entry"][0]["fullUrl"] == data["entry"][0]["fullUrl"]
    )


def test_period_and_length_tell_the_same_story() -> None:
    resources = [e["resource"] for e in json.loads(render("fhir", ROWS, NY))["entry"]]
    partial, attested, absent, excused = resources
    # the stay, clipped to the session: 18:00–20:02, 120 minutes attended within it
    assert partial["period"] == {
        "start": "2026-11-30T18:00:00-05:00",
        "end": "2026-11-30T20:02:00-05:00",
    }
    assert partial["length"]["value"] == 120 <= _minutes(partial["period"])
    # attested minutes without presence: the session's window, 170 minutes, flagged
    assert attested["length"]["value"] == 170 <= _minutes(attested["period"])
    assert {"url": "urn:rollcall:attendance:flag", "valueCode": "attested_minutes"} in attested[
        "extension"
    ]
    assert attested["subject"]["identifier"]["value"] == "person one@example"
    assert attested["participant"][0]["individual"]["identifier"]["value"] == "f 001"
    # nobody attended: a planned window, no length
    for r in (absent, excused):
        assert r["status"] == "cancelled" and "length" not in r
        assert _minutes(r["period"]) == 180
    assert excused["participant"] == [{"individual": {"reference": "Practitioner/f-001"}}]
