"""The chat commands through the engine, on the in-memory store and a fake clock."""

from __future__ import annotations

import asyncio
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from adapters.memory import MemoryAdapter
from bot.core.actions import Reply
from bot.core.clock import FakeClock
from bot.core.domain import AuditEntry, EvidenceKind, Group, Person, Program, Role, Schedule, Status
from bot.core.engine import Engine
from bot.core.events import Actor, Identity, SurveySubmitted
from storage.memory import MemoryStore
from tests.surveys import survey_sent

TZ = ZoneInfo("America/New_York")
MON = datetime(2026, 11, 30, 18, 0, tzinfo=TZ)  # a Monday, 6 PM local

PEOPLE = (
    Person(id="f-001", display_name="Dr. R.", role=Role.FACILITATOR, slack_user_id="UF1"),
    Person(id="f-002", display_name="Dr. S.", role=Role.FACILITATOR),
    Person(id="a-001", display_name="Coordinator", role=Role.ADMIN),
    Person(id="p-001", display_name="J.", slack_user_id="U1"),
    Person(id="p-002", display_name="M.", slack_user_id="U2"),
    Person(id="p-003", display_name="A."),
)
GROUP_A = Group(
    id="ga",
    name="Evening Group A",
    schedule=Schedule(rrule="FREQ=WEEKLY;BYDAY=MO,WE", start=time(18), minutes=180),
    facilitators=("f-001",),
    participants=("p-001", "p-002"),
    slack_channel="CA",
)
GROUP_B = Group(id="gb", name="Group B", facilitators=("f-002",), participants=("p-003",))


class World:
    def __init__(self) -> None:
        self.store = MemoryStore()
        self.clock = FakeClock(MON - timedelta(days=2))
        self.engine = Engine(
            store=self.store, clock=self.clock, program=Program(timezone="America/New_York")
        )
        self.chat = MemoryAdapter(engine=self.engine)

    async def setup(self) -> None:
        for p in PEOPLE:
            await self.store.upsert_person(p)
        for g in (GROUP_A, GROUP_B):
            await self.store.upsert_group(g)
            for pid in g.participants:
                await self.store.seed_enrollment(pid, g.id, self.clock.now())
        self.monday = await self.engine.create_session(
            group_id="ga", start=MON, minutes=180, actor_id="test"
        )
        self.wednesday = await self.engine.create_session(
            group_id="ga", start=MON + timedelta(days=2), minutes=180, actor_id="test"
        )

    def at(self, dt: datetime) -> None:
        self.clock.set(dt)

    async def say(self, who: str, text: str, channel: str | None = "ga") -> str:
        actions = await self.chat.send(who, text, channel=channel)
        replies = [a for a in actions if isinstance(a, Reply)]
        assert replies, f"no reply to {text!r}"
        assert all(r.ephemeral for r in replies), "every reply is private"
        return "\n".join(r.text for r in replies)

    async def audit_actions(self) -> list[tuple[str, str, str]]:
        return [(a.action, a.actor_id, a.target) for a in await self.store.audit_page()]


@pytest.fixture
async def w() -> World:
    world = World()
    await world.setup()
    return world


async def test_a_repeat_checkin_is_answered_from_memory_and_right_across_processes(
    w: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    w.at(MON - timedelta(minutes=10))
    assert "Welcome" in await w.say("p-001", "/checkin")
    calls: list[str] = []
    for name in ("append_evidence", "evidence"):
        real = getattr(w.store, name)

        async def counting(*a: object, _real: Any = real, _name: str = name, **k: object) -> Any:
            calls.append(_name)
            return await _real(*a, **k)

        monkeypatch.setattr(w.store, name, counting)
    w.at(MON + timedelta(minutes=5))
    assert "already checked in to Evening Group A (Mon 6:00 PM) at 5:50 PM" in await w.say(
        "p-001", "/checkin"
    )
    assert calls == []  # no write, no read of the ledger
    # another process (its own engine, its own memory) on the same store: the ledger's
    # unique key answers, with the first check-in's time, and nothing is doubled
    other = Engine(store=w.store, clock=w.clock, program=Program(timezone="America/New_York"))
    text = "\n".join(
        getattr(a, "text", "")
        for a in await MemoryAdapter(engine=other).send("p-001", "/checkin", channel="ga")
    )
    assert "already checked in to Evening Group A (Mon 6:00 PM) at 5:50 PM" in text
    assert calls == ["append_evidence", "evidence"]
    assert len(await w.store.evidence(person_id="p-001", kinds=[EvidenceKind.CHECKIN])) == 1


async def test_checkin_outside_a_session_names_the_next_one(w: World) -> None:
    text = await w.say("p-001", "/checkin")
    assert text == "No session is open right now; your next one is Mon 6:00 PM"


async def test_checkin_opens_15_minutes_before_and_counts_once(w: World) -> None:
    w.at(MON - timedelta(minutes=16))
    assert (await w.say("p-001", "/checkin")).startswith("No session is open")
    w.at(MON - timedelta(minutes=15))
    assert "checked in to Evening Group A (Mon 6:00 PM) at 5:45 PM" in await w.say(
        "p-001", "/checkin feeling ok"
    )
    w.at(MON + timedelta(minutes=5))
    assert "already checked in" in await w.say("p-001", "/checkin")
    checkins = await w.store.evidence(person_id="p-001", kinds=[EvidenceKind.CHECKIN])
    assert len(checkins) == 1
    assert await w.store.notes_for("p-001") == [(checkins[0].key, "feeling ok")]


async def test_unknown_person_and_not_enrolled(w: World) -> None:
    w.at(MON)
    assert "not enrolled" in await w.say("nobody", "/checkin")
    assert "not enrolled" in await w.say("f-001", "/checkin")
    # a participant of another group typing in this group's channel
    assert "not enrolled in this group" in await w.say("p-003", "/checkin")
    actions = [a[0] for a in await w.audit_actions()]
    assert "command.unknown_person" in actions
    assert "command.denied" in actions


async def test_roster_is_private_denied_to_others_and_audited(w: World) -> None:
    w.at(MON + timedelta(minutes=20))
    await w.say("p-001", "/checkin")
    denied = await w.say("p-002", "/roster")
    assert denied == "Only this group's facilitators can see the roster."
    assert await w.say("f-002", "/roster") == denied  # facilitator of another group
    actions = await w.chat.send("f-001", "/roster", channel="ga")
    (reply,) = actions
    assert isinstance(reply, Reply) and reply.ephemeral and reply.view is not None
    rows = {r.person_id: r for r in reply.view.rows}
    assert rows["p-001"].status == "late"
    assert rows["p-002"].status == "not here yet"
    audit = await w.audit_actions()
    assert ("roster.view", "f-001", w.monday.id) in audit
    assert [a for a in audit if a[0] == "command.denied"] == [
        ("command.denied", "p-002", "roster"),
        ("command.denied", "f-002", "roster"),
    ]


async def test_a_roster_goes_out_only_once_its_view_is_audited(w: World) -> None:
    """The audit row is written while the roster is worked out: the reply waits for it,
    and a view that could not be audited is not shown."""
    w.at(MON + timedelta(minutes=20))
    write = w.store.append_audit
    gate = asyncio.Event()

    async def held(entry: AuditEntry) -> None:
        if entry.action == "roster.view":
            await gate.wait()
        await write(entry)

    w.store.append_audit = held  # type: ignore[method-assign]
    answer = asyncio.ensure_future(w.chat.send("f-001", "/roster", channel="ga"))
    for _ in range(200):  # everything else is done; the audit row is not written yet
        await asyncio.sleep(0)
    assert not answer.done()
    gate.set()
    (reply,) = await answer
    assert isinstance(reply, Reply) and reply.view is not None
    assert ("roster.view", "f-001", w.monday.id) in await w.audit_actions()

    async def failing(entry: AuditEntry) -> None:
        if entry.action == "roster.view":
            raise OSError("the disk is full")
        await write(entry)

    w.store.append_audit = failing  # type: ignore[method-assign]
    (reply,) = await w.chat.send("f-001", "/roster", channel="ga")
    assert isinstance(reply, Reply) and reply.view is None


async def test_roster_button_marks_and_replaces_the_roster(w: World) -> None:
    w.at(MON + timedelta(minutes=30))
    (reply,) = await w.chat.send("f-001", "/roster", channel="ga")
    assert isinstance(reply, Reply) and reply.view is not None
    buttons = dict(reply.view.buttons_for)["p-002"]
    excused = next(b for b in buttons if b.label == "Excused")
    (updated,) = await w.chat.press("f-001", excused.action, excused.value)
    assert isinstance(updated, Reply) and updated.replace_original and updated.view
    rows = {r.person_id: r for r in updated.view.rows}
    assert rows["p-002"].status == "excused" and "override" in rows["p-002"].flags
    # a participant pressing the same button is refused and audited
    (refused,) = await w.chat.press("p-001", excused.action, excused.value)
    assert isinstance(refused, Reply) and "facilitators" in refused.text


async def test_verify_overrides_with_participation_and_validates(w: World) -> None:
    w.at(MON + timedelta(hours=1))
    text = await w.say("f-001", "/verify @p-001 present participation=high camera off, spoke")
    assert text == "Recorded J. as present for Evening Group A, Mon Nov 30, 6:00 PM."
    (rec,) = await w.store.records(person_id="p-001", session_id=w.monday.id)
    assert rec.status is Status.PRESENT and rec.verified_by == "f-001"
    assert rec.participation is not None and rec.participation.value == "high"
    assert "Usage: /verify" in await w.say("f-001", "/verify @p-001")
    assert "isn't a status" in await w.say("f-001", "/verify @p-001 here")
    assert "participation must be" in await w.say("f-001", "/verify @p-001 late participation=x")
    assert "don't know that person" in await w.say("f-001", "/verify @nobody late")
    # another group's facilitator, from a DM: the generic deny, naming nobody, audited
    denied = await w.say("f-002", "/verify @p-001 absent", channel=None)
    assert denied == "Only this group's facilitators can do that."
    assert ("command.denied", "f-002", "verify") in await w.audit_actions()
    assert ("attendance.override", "f-001", f"{w.monday.id}/p-001") in await w.audit_actions()


async def test_absent_with_notice_and_late_notice(w: World) -> None:
    w.at(MON - timedelta(days=1))
    text = await w.say("p-002", "/absent mon family visit", channel=None)
    assert "You're excused from Evening Group A on Mon Nov 30, 6:00 PM" in text
    assert "already let us know" in await w.say("p-002", "/absent 2026-11-30", channel=None)
    w.at(MON + timedelta(days=2) - timedelta(hours=3))
    text = await w.say("p-001", "/absent", channel=None)
    assert "less than 24 hours' notice" in text
    assert "couldn't find a session" in await w.say("p-001", "/absent fri", channel=None)
    w.at(MON + timedelta(days=3))
    await w.engine.end_session(w.monday.id, actor_id="test")
    await w.engine.end_session(w.wednesday.id, actor_id="test")
    (mon,) = await w.store.records(person_id="p-002", session_id=w.monday.id)
    assert mon.status is Status.EXCUSED
    (wed,) = await w.store.records(person_id="p-001", session_id=w.wednesday.id)
    assert wed.status is Status.ABSENT and [f.value for f in wed.flags] == ["late_notice"]
    assert (await w.store.notes_for("p-002"))[0][1] == "family visit"


async def test_checkout_and_attendance(w: World) -> None:
    w.at(MON - timedelta(minutes=5))
    assert "haven't checked in" in await w.say("p-001", "/checkout")
    await w.say("p-001", "/checkin")
    w.at(MON + timedelta(hours=2, minutes=54))
    assert "checked out of Evening Group A at 8:54 PM" in await w.say("p-001", "/checkout")
    w.at(MON + timedelta(hours=4))
    await w.engine.end_session(w.monday.id, actor_id="test")
    (rec,) = await w.store.records(person_id="p-001", session_id=w.monday.id)
    assert rec.status is Status.PRESENT and rec.attended_minutes == 174
    text = await w.say("p-001", "/attendance", channel=None)
    assert "attended 1 session" in text
    assert "This week: 2.9 of 9 hours, 1 of 3 days." in text
    text = await w.say("p-002", "/attendance", channel=None)
    assert "missed 1" in text


async def test_two_open_sessions_in_a_dm_offer_buttons(w: World) -> None:
    await w.store.seed_enrollment("p-001", "gb", w.clock.now())
    await w.engine.create_session(group_id="gb", start=MON, minutes=60, actor_id="test")
    w.at(MON)
    (reply,) = await w.chat.send("p-001", "/checkin", channel=None)
    assert isinstance(reply, Reply) and len(reply.buttons) == 2
    (done,) = await w.chat.press("p-001", reply.buttons[1].action, reply.buttons[1].value)
    assert isinstance(done, Reply) and "checked in to Group B" in done.text


async def test_enroll_and_unenroll_are_audited(w: World) -> None:
    assert "Enrolled A. in Evening Group A" in await w.say("f-001", "/enroll @p-003")
    assert "already enrolled" in await w.say("f-001", "/enroll @p-003")
    assert "Unenrolled A. from Evening Group A" in await w.say("f-001", "/unenroll @p-003 ga")
    assert "no group called" in await w.say("f-001", "/enroll @p-003 nope")
    assert "facilitators" in await w.say("f-001", "/enroll @p-003 gb")  # not their group
    assert "facilitators" in await w.say("p-001", "/enroll @p-003")
    # another group's participant: unenroll denies generically, without their name
    assert await w.say("f-002", "/unenroll @p-001", channel=None) == (
        "Only this group's facilitators can do that."
    )
    audit = await w.audit_actions()
    assert ("command.denied", "f-002", "unenroll") in audit
    assert ("enrollment.add", "f-001", "p-003") in audit
    assert ("enrollment.remove", "f-001", "p-003") in audit


async def test_enroll_by_slack_mention_creates_a_pseudonymous_person(w: World) -> None:
    from bot.core.events import CommandInvoked

    ev = CommandInvoked(
        actor=Actor(platform="slack", user_id="UF1"),
        command="enroll",
        text="<@U9NEW|newbie>",
        channel_id="CA",
        at=w.clock.now(),
        request_id="r1",
    )
    (reply,) = await w.engine.handle(ev)
    assert isinstance(reply, Reply) and reply.text == "Enrolled newbie in Evening Group A."
    person = await w.store.find_person(platform="slack", user_id="U9NEW")
    assert person is not None and person.id.startswith("p-") and "U9NEW" not in person.id


async def test_survey_with_anonymous_question_and_attendance_confirmation(w: World) -> None:
    w.at(MON + timedelta(hours=1))
    assert "no survey waiting" in await w.say("p-001", "/survey", channel=None)
    await w.say("p-001", "/checkin")
    # never the survey of a session still running
    assert "no survey waiting" in await w.say("p-001", "/survey", channel=None)
    w.at(MON + timedelta(hours=3, minutes=5))
    await w.engine.end_session(w.monday.id, actor_id="test")
    await survey_sent(w.store, w.monday.id, "p-001")
    (offer,) = await w.chat.send("p-001", "/survey", channel=None)
    assert isinstance(offer, Reply) and offer.survey is not None
    assert [q.id for q in offer.survey.questions] == ["attended", "helpful", "climate"]

    def submit(answers: tuple[tuple[str, str], ...], rid: str) -> SurveySubmitted:
        return SurveySubmitted(
            actor=Actor(platform="console", user_id="p-001"),
            session_id=w.monday.id,
            answers=answers,
            at=w.clock.now(),
            request_id=rid,
        )

    (bad,) = await w.engine.handle(submit((("helpful", "9"),), "s0"))
    assert isinstance(bad, Reply) and "1 to 5" in bad.text
    answers = (("attended", "yes"), ("helpful", "4"), ("climate", "Mostly OK"))
    (ok,) = await w.engine.handle(submit(answers, "s1"))
    assert isinstance(ok, Reply) and "saved" in ok.text
    (again,) = await w.engine.handle(submit(answers, "s2"))
    assert isinstance(again, Reply) and "already answered" in again.text
    entries = await w.store.evidence(session_id=w.monday.id, kinds=[EvidenceKind.SURVEY])
    anonymous = [e for e in entries if e.data.get("question") == "climate"]
    assert len(anonymous) == 1 and anonymous[0].person_id is None
    assert anonymous[0].actor_id is None and "p-001" not in anonymous[0].key
    mine = {e.data.get("question"): e.data.get("answer") for e in entries if e.person_id}
    assert mine == {None: None, "attended": True, "helpful": 4}


async def test_a_survey_not_sent_is_refused_and_changes_nothing(w: World) -> None:
    # p-002 missed Monday (absent); nobody sent them its survey
    w.at(MON + timedelta(hours=3, minutes=5))
    await w.engine.end_session(w.monday.id, actor_id="test")
    (before,) = await w.store.records(person_id="p-002", session_id=w.monday.id)
    assert before.status is Status.ABSENT
    forged = SurveySubmitted(
        actor=Actor(platform="console", user_id="p-002"),
        session_id=w.monday.id,
        answers=(("attended", "yes"),),
        at=w.clock.now(),
        request_id="s9",
    )
    (refused,) = await w.engine.handle(forged)
    assert isinstance(refused, Reply) and "wasn't sent to you" in refused.text
    (after,) = await w.store.records(person_id="p-002", session_id=w.monday.id)
    assert after == before
    assert not await w.store.evidence(person_id="p-002", kinds=[EvidenceKind.SURVEY])
    assert ("survey.refused", "p-002", w.monday.id) in await w.audit_actions()
    # the button of a survey they were not sent is refused the same way
    (pressed,) = await w.chat.press("p-002", "survey", w.monday.id)
    assert "wasn't sent to you" in getattr(pressed, "text", "")
    assert "no survey waiting" in await w.say("p-002", "/survey", channel=None)


async def test_presence_matches_people_and_keeps_guests_apart(w: World) -> None:
    await w.store.upsert_group(
        Group(
            id="ga",
            name="Evening Group A",
            facilitators=("f-001",),
            participants=("p-001", "p-002"),
            slack_channel="CA",
            zoom_meeting_id="999",
        )
    )
    w.at(MON)
    await w.chat.presence(
        source="zoom",
        room_id="999",
        identity=Identity(display_name="Somebody Else", email="x@example.org"),
        action="join",
        stream="z1",
    )
    w.at(MON + timedelta(minutes=30))
    (reply,) = await w.chat.send("f-001", "/roster", channel="ga")
    assert isinstance(reply, Reply) and reply.view is not None
    assert [g.split(" (")[0] for g in reply.view.guests] == ["Somebody Else"]
    assert all(r.person_id in {"p-001", "p-002"} for r in reply.view.rows)


async def test_help_lists_what_the_person_may_do(w: World) -> None:
    text = await w.say("p-001", "/help", channel=None)
    assert "/checkin" in text and "/roster" not in text
    assert "/roster" in await w.say("f-001", "/help", channel=None)
    assert "don't know that command" in await w.say("p-001", "/frobnicate")
