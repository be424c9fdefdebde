"""The FHIR export: a Bundle of Encounters an EHR can import."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.core.domain import AttendanceRecord, Flag, Session, Status
from bot.core.reports.fhir import fhir_uuid
from bot.core.reports.render import CHUNK, ReportRow, render, render_chunks

START = datetime(2026, 11, 30, 23, tzinfo=UTC)
SESSION = Session(id="g-1", group_id="g", start=START, end=START + timedelta(hours=3))


def test_fhir_bundle_of_encounters() -> None:
    rows = [
        ReportRow(
            session=SESSION,
            record=AttendanceRecord(
                session_id="g-1",
                group_id="g",
                person_id="p-001",
                status=Status.PARTIAL,
                attended_minutes=120,
                first_seen=START + timedelta(minutes=2),
                last_seen=START + timedelta(minutes=122),
                flags=(Flag.LEFT_EARLY,),
            ),
        ),
        ReportRow(
            session=SESSION,
            record=AttendanceRecord(
                session_id="g-1",
                group_id="g",
                person_id="p-002",
                status=Status.EXCUSED,
                verified_by="f-001",
                flags=(Flag.OVERRIDE,),
            ),
        ),
    ]
    bundle = json.loads(render("fhir", rows, ZoneInfo("America/New_York")))
    assert bundle["resourceType"] == "Bundle" and bundle["type"] == "collection"
    first, second = (e["resource"] for e in bundle["entry"])
    assert first["resourceType"] == "Encounter" and first["status"] == "finished"
    assert first["subject"] == {"reference": "Patient/p-001"}
    assert first["period"] == {
        "start": "2026-11-30T18:02:00-05:00",
        "end": "2026-11-30T20:02:00-05:00",
    }
    assert first["length"]["value"] == 120 and first["length"]["code"] == "min"
    codes = [x["valueCode"] for x in first["extension"] if "valueCode" in x]
    assert codes == ["partial", "left_early"]
    camera = next(x for x in first["extension"] if x["url"].endswith(":camera-minutes"))
    assert camera["valueQuantity"]["code"] == "min"
    assert second["status"] == "cancelled"
    assert second["participant"] == [{"individual": {"reference": "Practitioner/f-001"}}]
    # no names anywhere: ids only
    assert "J." not in json.dumps(bundle)


def test_a_long_export_streams_in_pieces_that_make_one_document() -> None:
    rows = [
        ReportRow(
            session=SESSION,
            record=AttendanceRecord(
                session_id="g-1",
                group_id="g",
                person_id=f"p-{i:04d}",
                status=Status.PRESENT if i % 3 else Status.ABSENT,
                attended_minutes=170 if i % 3 else 0,
                first_seen=START,
                last_seen=START + timedelta(minutes=170),
                flags=(Flag.LATE_NOTICE,) if i % 7 == 0 else (),
            ),
        )
        for i in range(2 * CHUNK + 3)
    ]
    tz = ZoneInfo("America/New_York")
    pieces = list(render_chunks("csv", rows, tz))
    assert len(pieces) == 3 and "".join(pieces) == render("csv", rows, tz)
    table = list(csv.DictReader(io.StringIO("".join(pieces))))
    assert [r["participant_id"] for r in table] == [r.record.person_id for r in rows]
    assert table[7]["flags"] == "late_notice" and table[3]["status"] == "absent"
    fhir = list(render_chunks("fhir", rows, tz))
    assert len(fhir) == len(rows) + 2  # the head, one per encounter, the end
    bundle = json.loads("".join(fhir))
    assert [e["resource"]["id"] for e in bundle["entry"]] == [
        fhir_uuid("encounter", "g-1", r.record.person_id) for r in rows
    ]
    assert json.loads(render("fhir", [], tz))["entry"] == []
