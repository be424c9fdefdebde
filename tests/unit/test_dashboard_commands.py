"""/verify minutes=N (attested minutes), /dashboard's one-time links, the outreach log."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.core.actions import DirectMessage
from bot.core.domain import AuditEntry, Flag, Status
from bot.core.engine import Engine
from bot.core.errors import UserError
from bot.core.privacy import export_person
from bot.core.signin import SignIn
from tests.unit.test_commands import MON, World

SIGNIN = SignIn(public_url="https://rollcall.example.org", secret=b"k" * 32)


@pytest.fixture
async def w() -> World:
    world = World()
    world.engine = Engine(
        store=world.store, clock=world.clock, program=world.engine.program, signin=SIGNIN
    )
    world.chat.engine = world.engine
    await world.setup()
    return world


async def test_verify_with_attested_minutes(w: World) -> None:
    w.at(MON + timedelta(hours=3, minutes=30))
    text = await w.say("f-001", "/verify @p-001 present minutes=170 joined by phone")
    assert "Recorded J. as present" in text
    (rec,) = await w.store.records(session_id=w.monday.id, person_id="p-001")
    assert rec.status is Status.PRESENT and rec.attended_minutes == 170
    assert Flag.ATTESTED_MINUTES in rec.flags and Flag.OVERRIDE in rec.flags
    # a later verification without minutes keeps the attested minutes
    await w.say("f-001", "/verify @p-001 present participation=high")
    (rec,) = await w.store.records(session_id=w.monday.id, person_id="p-001")
    assert rec.attended_minutes == 170 and rec.participation is not None
    too_many = await w.say("f-001", "/verify @p-001 present minutes=181")
    assert "more than the session's 180" in too_many
    assert "whole number" in await w.say("f-001", "/verify @p-001 present minutes=-5")
    assert "whole number" in await w.say("f-001", "/verify @p-001 present minutes=abc")


async def test_dashboard_sends_a_private_one_time_link(w: World) -> None:
    actions = await w.chat.send("f-001", "/dashboard", channel="ga")
    dms = [a for a in actions if isinstance(a, DirectMessage)]
    (dm,) = dms
    assert dm.person_id == "f-001"
    url = dm.text.split()[-1]
    assert url.startswith("https://rollcall.example.org/dashboard/login/")
    grant = SIGNIN.check(url.rsplit("/", 1)[1], w.clock.now())
    assert grant is not None and grant.person_id == "f-001"
    assert SIGNIN.check(url.rsplit("/", 1)[1], w.clock.now() + timedelta(minutes=10)) is None
    forged = url.rsplit("/", 1)[1][:-2] + "AA"
    assert SIGNIN.check(forged, w.clock.now()) is None
    assert SIGNIN.check("nonsense", w.clock.now()) is None
    # participants get no dashboard
    text = await w.say("p-001", "/dashboard", channel=None)
    assert "facilitators and admins" in text


async def test_outreach_log_is_evidence_with_an_erasable_note(w: World) -> None:
    entry = await w.engine.record_outreach(
        person_id="p-001",
        how="call",
        outcome="reached",
        note="talked about transport",
        actor_id="f-001",
        source="web",
        resolves=True,
    )
    assert entry.group_id == "ga"
    (logged,) = await w.engine.outreach_log(person_id="p-001")
    assert (logged.how, logged.outcome, logged.resolves, logged.note) == (
        "call",
        "reached",
        True,
        "talked about transport",
    )
    data = await export_person(w.store, "p-001", w.clock.now(), "test")
    assert data["outreach"][0]["note"] == "talked about transport"
    with pytest.raises(UserError):
        await w.engine.record_outreach(
            person_id="p-001", how="pigeon", outcome="reached", actor_id="f-001", source="web"
        )
    with pytest.raises(UserError):
        await w.engine.record_outreach(
            person_id="p-001",
            how="call",
            outcome="reached",
            actor_id="f-002",
            source="web",
            within={"gb"},
        )
    forget = AuditEntry(at=w.clock.now(), actor_id="test", action="participant.forget")
    await w.store.forget_person("p-001", audit=forget)
    (logged,) = await w.engine.outreach_log(person_id="p-001")
    assert logged.note is None and logged.how == "call"
