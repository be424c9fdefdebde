"""The roll call: /roster's order and words, participation marks, pages, the end pass."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.core.actions import Reply, RosterView
from bot.core.domain import Participation
from bot.core.events import Actor, SurveySubmitted
from tests.surveys import survey_sent
from tests.unit.test_commands import MON, World

END = MON + timedelta(hours=3)


@pytest.fixture
async def w() -> World:
    world = World()
    await world.setup()
    return world


async def _view(w: World, who: str = "f-001") -> RosterView:
    (reply,) = await w.chat.send(who, "/roster", channel="ga")
    assert isinstance(reply, Reply) and reply.view is not None
    return reply.view


async def test_attention_first_and_the_words_for_notices(w: World) -> None:
    # p-002 tells us at 5:40 PM that they can't come (late notice)
    w.at(MON - timedelta(minutes=20))
    assert "less than 24 hours" in await w.say("p-002", "/absent", channel=None)
    w.at(MON + timedelta(minutes=30))
    assert "checked in" in await w.say("p-001", "/checkin")
    view = await _view(w)
    assert [(r.person_id, r.status) for r in view.rows] == [
        ("p-002", "absent — told us at 5:40 PM (late notice)"),
        ("p-001", "late"),
    ]
    assert ("absent", 1) in view.counts and ("late", 1) in view.counts
    (reply,) = [d.action for d in w.chat.delivered[-1:]]
    assert isinstance(reply, Reply) and "not here yet" not in reply.text


async def test_participation_marks_are_verifications_kept_by_later_marks(w: World) -> None:
    w.at(MON + timedelta(minutes=5))
    await w.say("p-001", "/checkin")
    view = await _view(w)
    buttons = dict(view.buttons_for)["p-001"]
    labels = [b.label for b in buttons]
    assert labels == [
        "Present",
        "Late",
        "Absent",
        "Excused",
        "Participation high",
        "Participation medium",
        "Participation low",
    ]
    high = next(b for b in buttons if b.label == "Participation high")
    (reply,) = await w.chat.press("f-001", high.action, high.value + "|0")
    assert isinstance(reply, Reply) and reply.replace_original and reply.view is not None
    row = next(r for r in reply.view.rows if r.person_id == "p-001")
    assert row.participation == "high" and row.status == "present"
    assert "participation high" in reply.text
    late = next(b for b in buttons if b.label == "Late")
    await w.chat.press("f-001", late.action, late.value)
    (rec,) = await w.store.records(session_id=w.monday.id, person_id="p-001")
    assert rec.status.value == "late" and rec.participation is Participation.HIGH
    # a participant's press is refused
    (refused,) = await w.chat.press("p-002", high.action, high.value)
    assert isinstance(refused, Reply) and "Only this group's facilitators" in refused.text


async def test_a_participation_mark_records_participation_only(w: World) -> None:
    """From the roster or `/verify … participation=`, a participation mark never freezes
    the status: it stays computed from the evidence (no override, no verified_by)."""
    w.at(MON + timedelta(minutes=20))
    await w.say("p-001", "/checkin")  # checked in 20 minutes late: late, as evidence says
    high = f"{w.monday.id}|p-001|high|0"
    (reply,) = await w.chat.press("f-001", "engage", high)
    assert isinstance(reply, Reply) and reply.view is not None
    row = next(r for r in reply.view.rows if r.person_id == "p-001")
    assert (row.status, row.participation) == ("late", "high")
    (rec,) = await w.store.records(session_id=w.monday.id, person_id="p-001")
    assert rec.flags == () and rec.verified_by is None
    # someone nobody has seen stays "not here yet", then absent: the mark is no evidence
    text = await w.say("f-001", "/verify @p-002 participation=low")
    assert text.startswith("Recorded M. with participation low for Evening Group A")
    (rec,) = await w.store.records(session_id=w.monday.id, person_id="p-002")
    assert rec.status.value == "absent" and rec.participation is Participation.LOW
    assert rec.flags == () and rec.verified_by is None
    row = next(r for r in (await _view(w)).rows if r.person_id == "p-002")
    assert row.status == "not here yet"
    # a status set afterwards overrides and keeps the participation marked before
    await w.say("f-001", "/verify @p-002 excused")
    (rec,) = await w.store.records(session_id=w.monday.id, person_id="p-002")
    assert rec.status.value == "excused" and rec.participation is Participation.LOW
    assert rec.verified_by == "f-001"
    audited = [a for a in await w.audit_actions() if a[0].startswith("attendance.")]
    assert audited == [
        ("attendance.participation", "f-001", f"{w.monday.id}/p-001"),
        ("attendance.participation", "f-001", f"{w.monday.id}/p-002"),
        ("attendance.override", "f-001", f"{w.monday.id}/p-002"),
    ]
    # minutes are attested with a status, never alone
    assert "Say the status too" in await w.say("f-001", "/verify @p-002 minutes=30")


async def test_page_button_answers_with_that_page(w: World) -> None:
    w.at(MON + timedelta(minutes=5))
    view = await _view(w)
    (reply,) = await w.chat.press("f-001", "page", f"{view.session_id}|2")
    assert isinstance(reply, Reply) and reply.view is not None and reply.view.page == 2
    (bad,) = await w.chat.press("f-001", "page", "nonsense")
    assert isinstance(bad, Reply) and "out of date" in bad.text
    (denied,) = await w.chat.press("p-001", "page", f"{view.session_id}|0")
    assert isinstance(denied, Reply) and "Only this group's facilitators" in denied.text


async def test_end_pass_until_signed_off(w: World) -> None:
    w.at(MON + timedelta(minutes=5))
    await w.say("p-001", "/checkin")
    w.at(END + timedelta(minutes=10))
    await survey_sent(w.store, w.monday.id, "p-001", "p-002")  # only a sent survey is taken
    for answers in (
        (("attended", "yes"), ("helpful", "4"), ("climate", "Hard to speak up")),
        (("helpful", "5"),),
    ):
        actor = "p-001" if len(answers) == 3 else "p-002"
        await w.engine.handle(
            SurveySubmitted(
                actor=Actor(platform="console", user_id=actor),
                session_id=w.monday.id,
                answers=answers,
                at=w.clock.now(),
                request_id=f"survey-{actor}",
            )
        )
    view = await _view(w)
    assert view.end_pass and view.title.startswith("End of session: Evening Group A")
    assert [(b.label, b.action, b.value) for b in view.controls] == [
        ("Sign off", "signoff", w.monday.id)
    ]
    assert view.notes[0] == "Survey: 2 answered."
    text = "\n".join(view.notes)
    assert "average 4.5 of 5 (2 answers)" in text
    assert "Hard to speak up: 1" in text
    assert "J." not in text and "M." not in text  # never who answered what
    assert [r.status for r in view.rows] == ["absent", "present"]  # no "not here yet" now
    (signed,) = await w.chat.press("f-001", "signoff", w.monday.id)
    assert isinstance(signed, Reply) and signed.text.startswith("Signed off")
    assert "No session is open" in await w.say("f-001", "/roster")
    # past signoff_reminder_hours an unsigned session no longer shows its end pass
    w.at(MON + timedelta(days=2, hours=3) + timedelta(hours=13))
    assert "No session is open" in await w.say("f-001", "/roster")
