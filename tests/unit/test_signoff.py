"""Session sign-off and amendments, through the engine (in-memory store, fake clock)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from fhir.resources.R4B.bundle import Bundle

from adapters.web.report import render_html
from bot.core.actions import Reply
from bot.core.domain import Flag
from bot.core.outreach.signoff_reminders import signoff_reminders
from bot.core.reports.fhir import fhir_uuid
from bot.core.reports.render import render
from tests.unit.test_commands import MON, TZ, World

END = MON + timedelta(hours=3)


@pytest.fixture
async def w() -> World:
    world = World()
    await world.setup()
    world.at(MON - timedelta(minutes=5))
    assert "checked in" in await world.say("p-001", "/checkin")
    world.at(END + timedelta(minutes=30))
    return world


async def _rows(w: World, fmt: str) -> str:
    rows = await w.engine.report_rows(group_id="ga")
    if fmt == "html":  # the HTML report is the web adapter's (templates, charts)
        return render_html(rows, TZ)
    return render(fmt, rows, TZ)


async def test_signoff_attests_the_record_and_flags_every_row(w: World) -> None:
    text = await w.say("f-001", "/signoff all accounted for")
    assert text.startswith("Signed off Evening Group A, Mon 6:00 PM at 9:30 PM: 2 people")
    assert "1 absent" in text and "1 present" in text
    data = json.loads(await _rows(w, "json"))
    monday = [r for r in data if r["session_id"] == w.monday.id]
    assert {r["participant_id"]: r["flags"] for r in monday} == {
        "p-001": ["signed_off"],
        "p-002": ["signed_off"],
    }
    assert {r["signed_off_by"] for r in monday} == {"f-001"}
    assert {r["signed_off_at"] for r in monday} == {"2026-11-30T21:30:00-05:00"}
    assert all(r["amended_from"] is None for r in monday)
    csv_text = await _rows(w, "csv")
    assert csv_text.count(",signed_off,") == 2
    assert ("session.signoff", "f-001", w.monday.id) in await w.audit_actions()
    # a second sign-off changes nothing and says who signed
    again = await w.say("f-001", "/signoff")
    assert "already signed off by Dr. R." in again
    assert [a for a in await w.audit_actions() if a[0] == "session.signoff"] == [
        ("session.signoff", "f-001", w.monday.id)
    ]


async def test_fhir_has_a_provenance_per_signed_off_session(w: World) -> None:
    await w.say("f-001", "/signoff")
    bundle = json.loads(await _rows(w, "fhir"))
    provenances = [
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Provenance"
    ]
    assert len(provenances) == 1
    (p,) = provenances
    assert p["recorded"] == "2026-11-30T21:30:00-05:00"
    assert sorted(t["reference"] for t in p["target"]) == sorted(
        f"Encounter/{fhir_uuid('encounter', w.monday.id, pid)}" for pid in ("p-001", "p-002")
    )
    (agent,) = p["agent"]
    assert agent["type"]["coding"][0] == {
        "system": "http://terminology.hl7.org/CodeSystem/provenance-participant-type",
        "code": "attester",
        "display": "Attester",
    }
    assert agent["who"] == {"reference": "Practitioner/f-001"}
    encounter_ids = {
        e["resource"]["id"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Encounter"
    }
    assert {t["reference"].split("/")[1] for t in p["target"]} <= encounter_ids
    # the Provenance is valid FHIR R4 beside the Encounters (fhir.resources validates it)
    Bundle.model_validate_json(json.dumps(bundle))


async def test_a_change_after_signoff_is_an_amendment_with_a_reason(w: World) -> None:
    await w.say("f-001", "/signoff")
    refused = await w.say("f-001", "/verify @p-002 excused")
    assert "signed off" in refused and "reason" in refused
    pressed = await w.chat.press("f-001", "mark", f"{w.monday.id}|p-002|excused")
    assert isinstance(pressed[0], Reply) and "amendment" in pressed[0].text
    (rec,) = await w.store.records(session_id=w.monday.id, person_id="p-002")
    assert rec.status.value == "absent" and Flag.AMENDED not in rec.flags

    ok = await w.say("f-001", "/verify @p-002 excused called in sick, we missed the message")
    assert "Recorded M. as excused" in ok
    (rec,) = await w.store.records(session_id=w.monday.id, person_id="p-002")
    assert rec.status.value == "excused"
    assert rec.flags == (Flag.OVERRIDE, Flag.SIGNED_OFF, Flag.AMENDED)
    data = json.loads(await _rows(w, "json"))
    row = next(r for r in data if r["participant_id"] == "p-002" and r["session_id"] == w.monday.id)
    assert row["amended_from"] == {"status": "absent", "attended_minutes": 0}
    assert row["flags"] == ["override", "signed_off", "amended"]
    assert ("attendance.amend", "f-001", f"{w.monday.id}/p-002") in await w.audit_actions()


async def test_only_the_groups_facilitators_sign_off(w: World) -> None:
    assert "Only this group's facilitators" in await w.say("p-001", "/signoff")
    assert "Only this group's facilitators" in await w.say("f-002", "/signoff", channel="ga")
    pressed = await w.chat.press("f-002", "signoff", w.monday.id)
    assert isinstance(pressed[0], Reply) and "Only this group's facilitators" in pressed[0].text
    (admin,) = await w.chat.press("a-001", "signoff", w.monday.id)
    assert isinstance(admin, Reply) and admin.text.startswith("Signed off")


async def test_one_reminder_after_signoff_reminder_hours_and_the_weekly_list(w: World) -> None:
    program = w.engine.program
    assert program.policy.signoff_reminder_hours == 12
    w.at(END + timedelta(hours=11))
    assert await signoff_reminders(w.store, program, w.clock.now()) == []
    w.at(END + timedelta(hours=12, minutes=5))
    (item,) = await signoff_reminders(w.store, program, w.clock.now())
    assert (item.person_id, item.session_id, item.kind.value) == ("f-001", w.monday.id, "alert")
    assert item.due_at == END + timedelta(hours=12)
    assert "isn't signed off yet" in item.text and "J." not in item.text
    assert await w.store.enqueue([item]) == 1
    assert await w.store.enqueue(await signoff_reminders(w.store, program, w.clock.now())) == 0
    week = MON - timedelta(days=1)
    assert [s.id for s in await w.engine.unsigned_sessions(week, week + timedelta(days=7))] == [
        w.monday.id
    ]
    await w.say("f-001", "/signoff")
    assert await signoff_reminders(w.store, program, w.clock.now()) == []
    assert await w.engine.unsigned_sessions(week, week + timedelta(days=7)) == []


async def test_engagement_in_json_html_and_fhir(w: World) -> None:
    await w.say("f-001", "/verify @p-001 present participation=high")
    await w.say("f-001", "/signoff")
    data = json.loads(await _rows(w, "json"))
    row = next(r for r in data if r["participant_id"] == "p-001" and r["session_id"] == w.monday.id)
    assert row["participation"] == "high" and row["camera_minutes"] == 0
    page = await _rows(w, "html")
    assert "<th>participation</th><th>signed_off_by</th>" in page
    assert "<td>high</td><td>f-001</td>" in page
    bundle = json.loads(await _rows(w, "fhir"))
    enc = next(
        e["resource"]
        for e in bundle["entry"]
        if e["resource"]["id"] == fhir_uuid("encounter", w.monday.id, "p-001")
    )
    ext = {x["url"].rsplit(":", 1)[1]: x for x in enc["extension"]}
    assert ext["participation"]["valueCode"] == "high"
    assert ext["camera-minutes"]["valueQuantity"]["value"] == 0
