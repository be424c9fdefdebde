"""Make-ups by recorded content or a one-on-one check-in, through the engine: the
facilitator's `/verify @p made_up kind=…`, the participant's /makeup and reflection, and
the record in every report (CSV flags, JSON, FHIR, HTML)."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from datetime import timedelta

import pytest
from fhir.resources.R4B.bundle import Bundle

from adapters.memory import MemoryAdapter
from adapters.web.report import render_html
from bot.core.actions import DirectMessage, Reply
from bot.core.domain import EvidenceKind, Flag, Policy, Program, Status
from bot.core.engine import Engine
from bot.core.events import Actor, SurveySubmitted
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
    await world.engine.end_session(world.monday.id, actor_id="test")  # p-002 was absent
    return world


async def _record(w: World, pid: str = "p-002") -> tuple[Status, tuple[Flag, ...], str | None]:
    (rec,) = await w.store.records(session_id=w.monday.id, person_id=pid)
    return rec.status, rec.flags, rec.verified_by


async def _reflect(w: World, session_id: str, **answers: str) -> str:
    actions = await w.engine.handle(
        SurveySubmitted(
            actor=Actor(platform="console", user_id="p-002"),
            session_id=session_id,
            answers=tuple(answers.items()),
            at=w.clock.now(),
            request_id=f"reflect-{len(answers)}-{answers.get('watched')}",
        )
    )
    return "\n".join(a.text for a in actions if isinstance(a, Reply))


async def _report(w: World, fmt: str) -> str:
    rows = await w.engine.report_rows(group_id="ga")
    return render_html(rows, TZ) if fmt == "html" else render(fmt, rows, TZ)


async def test_recorded_content_offered_then_confirmed_by_a_reflection(w: World) -> None:
    assert await _record(w) == (Status.ABSENT, (), None)
    # /makeup lists the alternatives the program allows, to ask for
    text = await w.say("p-002", "/makeup", channel=None)
    assert "no session with room to make up Mon Nov 30, 6:00 PM" in text
    assert "recorded content or a one-on-one check-in instead — ask them" in text

    assert "Say which make-up" in await w.say("f-001", "/verify @p-002 made_up")
    actions = await w.chat.send("f-001", "/verify @p-002 made_up kind=recorded", channel="ga")
    reply = next(a for a in actions if isinstance(a, Reply))
    assert reply.text.startswith("Offered M. recorded content as the make-up for Evening Group A")
    (dm,) = [a for a in actions if isinstance(a, DirectMessage)]
    assert dm.person_id == "p-002" and "/makeup" in dm.text and dm.kind == "notice"
    assert await _record(w) == (Status.ABSENT, (), None)  # an offer is not a make-up yet
    assert "already offered" in await w.say("f-001", "/verify @p-002 made_up kind=recorded")

    (listed,) = await w.chat.send("p-002", "/makeup", channel=None)
    assert isinstance(listed, Reply) and "offered you a recording" in listed.text
    watched = next(b for b in listed.buttons if b.action == "reflect")
    assert watched.value == w.monday.id and "I've watched the recording" in watched.label
    (form,) = await w.chat.press("p-002", watched.action, watched.value)
    assert isinstance(form, Reply) and form.survey is not None
    assert [q.id for q in form.survey.questions] == ["watched", "takeaway"]
    # someone it wasn't offered to gets nothing
    (other,) = await w.chat.press("p-001", "reflect", w.monday.id)
    assert isinstance(other, Reply) and "no recording waiting for you" in other.text

    # not watched all of it: nothing is stored
    assert "Once you've watched all of it" in await _reflect(
        w, form.survey.session_id, watched="no"
    )
    assert await _record(w) == (Status.ABSENT, (), None)
    done = await _reflect(
        w, form.survey.session_id, watched="yes", takeaway="breathing before I answer"
    )
    assert done == "Thank you — Evening Group A, Mon Nov 30, 6:00 PM now counts as made up."
    assert await _record(w) == (Status.MADE_UP, (Flag.MAKEUP_RECORDED,), None)
    assert "already sent" in await _reflect(w, form.survey.session_id, watched="yes")
    entries = await w.store.evidence(
        session_id=w.monday.id, person_id="p-002", kinds=[EvidenceKind.MAKEUP_ALTERNATIVE]
    )
    assert sorted((e.data["stage"], e.actor_id) for e in entries) == [
        ("done", "p-002"),
        ("offered", "f-001"),
    ]
    audit = await w.audit_actions()
    assert ("makeup.offer", "f-001", f"{w.monday.id}/p-002") in audit
    assert ("makeup.recorded", "p-002", f"{w.monday.id}/p-002") in audit
    # nothing left to make up
    assert "no missed session" in await w.say("p-002", "/makeup", channel=None)

    # every report says made_up, and which make-up
    rows = list(csv.DictReader(io.StringIO(await _report(w, "csv"))))
    row = next(r for r in rows if r["participant_id"] == "p-002")
    assert (row["status"], row["flags"], row["makeup_for"]) == ("made_up", "makeup_recorded", "")
    assert list(rows[0]) == [
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
    ]
    data = json.loads(await _report(w, "json"))
    item = next(r for r in data if r["participant_id"] == "p-002")
    assert (item["status"], item["flags"], item["makeup_kind"]) == (
        "made_up",
        ["makeup_recorded"],
        "recorded",
    )
    assert next(r for r in data if r["participant_id"] == "p-001")["makeup_kind"] is None
    bundle = json.loads(await _report(w, "fhir"))
    Bundle.model_validate_json(json.dumps(bundle))
    (enc,) = [
        e["resource"]
        for e in bundle["entry"]
        if e["resource"]["subject"] == {"reference": "Patient/p-002"}
    ]
    codes = {(x["url"].rsplit(":", 1)[1], x.get("valueCode")) for x in enc["extension"]}
    assert {("status", "made_up"), ("flag", "makeup_recorded")} <= codes
    html = await _report(w, "html")
    assert "made_up" in html and "makeup_recorded" in html


async def test_a_one_on_one_is_made_up_at_once_and_beats_an_earlier_absent(w: World) -> None:
    await w.say("f-001", "/verify @p-002 absent no word from them")
    assert await _record(w) == (Status.ABSENT, (Flag.OVERRIDE,), "f-001")
    w.at(END + timedelta(days=1))
    text = await w.say("f-001", "/verify @p-002 made_up kind=one_on_one met by video")
    assert text.startswith("Recorded a one-on-one check-in with M. as the make-up")
    assert await _record(w) == (Status.MADE_UP, (Flag.OVERRIDE, Flag.MAKEUP_ONE_ON_ONE), "f-001")
    assert ("makeup.one_on_one", "f-001", f"{w.monday.id}/p-002") in await w.audit_actions()
    csv_text = await _report(w, "csv")
    assert ",made_up,0,0,,,,override;makeup_one_on_one,f-001," in csv_text
    # a later correction by the facilitator wins again
    await w.say("f-001", "/verify @p-002 absent the call did not happen")
    assert (await _record(w))[0] is Status.ABSENT
    # someone who was there has nothing to make up; another group's person is denied
    assert "no missed session to make up" in await w.say(
        "f-001", "/verify @p-001 made_up kind=one_on_one"
    )
    assert "Only this group's facilitators" in await w.say(
        "f-002", "/verify @p-002 made_up kind=one_on_one", channel=None
    )


async def test_after_signoff_a_one_on_one_is_an_amendment(w: World) -> None:
    await w.say("f-001", "/signoff")
    refused = await w.say("f-001", "/verify @p-002 made_up kind=one_on_one")
    assert "amendment" in refused and "reason" in refused
    await w.say("f-001", "/verify @p-002 made_up kind=one_on_one met on Tuesday")
    status, flags, _ = await _record(w)
    assert status is Status.MADE_UP
    assert flags == (Flag.OVERRIDE, Flag.SIGNED_OFF, Flag.AMENDED, Flag.MAKEUP_ONE_ON_ONE)
    assert ("attendance.amend", "f-001", f"{w.monday.id}/p-002") in await w.audit_actions()


async def test_the_program_decides_which_alternatives_exist(w: World) -> None:
    def program_offering(*kinds: str) -> None:  # as a config file would set it
        policy = replace(Policy(), makeup_alternatives=kinds)
        program = Program(timezone="America/New_York", policy=policy)
        w.engine = Engine(store=w.store, clock=w.clock, program=program)
        w.chat = MemoryAdapter(engine=w.engine)

    program_offering("one_on_one")
    refused = await w.say("f-001", "/verify @p-002 made_up kind=recorded")
    assert refused == "This program doesn't offer recorded content as a make-up."
    text = await w.say("p-002", "/makeup", channel=None)
    assert "offer a one-on-one check-in instead" in text and "recorded" not in text
    program_offering()
    assert "ask them" not in await w.say("p-002", "/makeup", channel=None)
