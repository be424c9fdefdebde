"""Guests on the roster and /link; meeting.ended closing stays, late deliveries after it."""

from __future__ import annotations

import itertools
from datetime import datetime
from typing import Any

from adapters.zoom.adapter import ZoomAdapter
from adapters.zoom.translate import translate
from bot.core.actions import Reply
from bot.core.attendance.presence import guest_key
from bot.core.domain import AttendanceRecord, Flag, Session, Status
from bot.core.events import Actor, CommandInvoked, Identity, PresenceBatch, PresenceObserved
from tests.adapters.zoom.conftest import local
from tests.adapters.zoom.harness import ZoomBot
from tests.fakes.zoom import (
    joined,
    left,
    meeting_ended,
    participant_event,
)

ROBIN = "Robin's iPhone"
ROBIN_KEY = guest_key("zoom", Identity(display_name=ROBIN))
_ids = itertools.count(1)


async def say(bot: ZoomBot, who: str, text: str, channel: str | None = "evening-a") -> Reply:
    command, _, rest = text.lstrip("/").partition(" ")
    (reply,) = await bot.app.engine.handle(
        CommandInvoked(
            actor=Actor(platform="console", user_id=who),
            command=command,
            text=rest,
            channel_id=channel,
            is_dm=channel is None,
            at=bot.clock.now(),
            request_id=f"t-{next(_ids)}",
        )
    )
    assert isinstance(reply, Reply) and reply.ephemeral
    return reply


async def record_of(bot: ZoomBot, session: Session, pid: str) -> AttendanceRecord:
    """The record as anyone looking now would see it (a running session's records are
    derived when looked at; an ended one's are kept up to date as evidence arrives)."""
    if session.end > bot.clock.now():
        _, records = await bot.app.engine.live_records(session.id)
        (rec,) = [r for r in records if r.person_id == pid]
        return rec
    (rec,) = await bot.app.store.records(session_id=session.id, person_id=pid)
    return rec


async def test_a_guest_is_on_the_roster_then_linked_and_counted(
    bot: ZoomBot, session: Session
) -> None:
    bot.clock.set(local(18, 30))
    await bot.send(joined(uuid="G-1", name=ROBIN, at=local(18, 2)))
    roster = await say(bot, "f-001", "/roster")
    assert roster.view is not None
    assert roster.view.guests == (f"{ROBIN} ({ROBIN_KEY})",)
    assert {r.person_id for r in roster.view.rows} == {"p-001", "p-002", "p-003", "p-004", "p-005"}
    assert ROBIN_KEY in roster.text

    # who may link, and what
    denied = await say(bot, "p-001", f"/link {ROBIN_KEY} @p-005")
    assert denied.text == "Only this group's facilitators can do that."
    assert "No guest" in (await say(bot, "f-002", f"/link {ROBIN_KEY} @p-005", None)).text
    assert "No guest" in (await say(bot, "f-001", "/link zoom:000000000000 @p-005")).text
    assert "Usage" in (await say(bot, "f-001", "/link")).text
    assert "isn't enrolled" in (await say(bot, "f-001", f"/link {ROBIN_KEY} @f-002")).text
    assert (await record_of(bot, session, "p-005")).status is Status.ABSENT

    reply = await say(bot, "f-001", f"/link @p-005 {ROBIN_KEY}")  # either order
    assert reply.text == (
        f"Linked guest {ROBIN_KEY} to Riley in Evening Group A; "
        "their time in the room now counts (1 session updated)."
    )
    rec = await record_of(bot, session, "p-005")
    assert (rec.status, rec.first_seen, rec.in_room) == (Status.PRESENT, local(18, 2), True)
    again = await say(bot, "f-001", f"/link {ROBIN_KEY} @p-005")
    assert again.text == f"Guest {ROBIN_KEY} is already linked to Riley."
    roster = await say(bot, "f-001", "/roster")
    assert roster.view is not None and roster.view.guests == ()
    audit = [(a.action, a.actor_id, a.target) for a in await bot.app.store.audit_page()]
    assert ("guest.link", "f-001", f"evening-a/{ROBIN_KEY}") in audit

    # what the guest does after the link counts too
    bot.clock.set(local(21, 5))
    await bot.send(left(uuid="G-1", name=ROBIN, at=local(20, 50)))
    rec = await record_of(bot, session, "p-005")
    assert (rec.status, rec.attended_minutes, rec.last_seen) == (Status.PRESENT, 168, local(20, 50))

    # a wrong link is corrected by linking again
    await say(bot, "f-001", f"/link {ROBIN_KEY} @p-004")
    assert (await record_of(bot, session, "p-005")).status is Status.ABSENT
    assert (await record_of(bot, session, "p-004")).attended_minutes == 168


async def test_meeting_ended_closes_open_stays_even_those_delivered_late(
    bot: ZoomBot, session: Session
) -> None:
    bot.clock.set(local(18, 0, 5))
    await bot.send(joined(uuid="U-1", name="J", email="jordan@example.org", at=local(17, 55)))
    bot.clock.set(local(20, 30, 2))
    ended = meeting_ended(local(20, 30))
    assert (await bot.send(ended)).body == {"status": "stored"}
    assert (await bot.send(ended)).body == {"status": "unchanged"}  # redelivered
    rec = await record_of(bot, session, "p-001")
    assert (rec.attended_minutes, rec.last_seen, rec.in_room) == (150, local(20, 30), False)

    # Kendall's join reaches us only after the meeting ended; her leave never does
    bot.clock.set(local(20, 45))
    await bot.send(joined(uuid="U-4", name="K", email="kendall@example.org", at=local(19)))
    rec = await record_of(bot, session, "p-004")
    assert (rec.attended_minutes, rec.last_seen) == (90, local(20, 30))

    # Morgan's join and leave both come late, the join first: the leave still wins
    await bot.send(joined(uuid="U-2", name="M", registrant_id="reg-002", at=local(18, 10)))
    assert (await record_of(bot, session, "p-002")).last_seen == local(20, 30)
    bot.clock.set(local(21, 20))
    await bot.send(left(uuid="U-2", name="M", registrant_id="reg-002", at=local(19, 10)))
    rec = await record_of(bot, session, "p-002")
    assert (rec.status, rec.attended_minutes, rec.last_seen) == (Status.PARTIAL, 60, local(19, 10))
    assert rec.flags == (Flag.SEEN_NOT_CHECKED_IN, Flag.LEFT_EARLY)

    # the meeting's end is in the ledger once; another meeting's end changes nothing
    size = await bot.ledger_size()
    assert (await bot.send(meeting_ended(local(21), meeting="11122233344"))).status == 200
    assert await bot.ledger_size() == size


async def test_breakout_rooms_do_not_split_a_stay(bot: ZoomBot, session: Session) -> None:
    bot.clock.set(local(21, 1))
    me = {"uuid": "U-3", "name": "Sam K"}
    for doc in (
        joined(at=local(18), **me),
        left(at=local(19), leave_reason="left the meeting to join breakout room", **me),
        participant_event("meeting.participant_joined_breakout_room", at=local(19), **me),
        participant_event(
            "meeting.participant_left_breakout_room",
            at=local(19, 40),
            leave_reason="leave breakout room to join main meeting",
            **me,
        ),
        left(at=local(21), **me),
    ):
        assert (await bot.send(doc)).status == 200
    rec = await record_of(bot, session, "p-003")
    assert (rec.status, rec.attended_minutes) == (Status.PRESENT, 180)


async def test_leaving_the_meeting_from_a_breakout_room_ends_the_stay(
    bot: ZoomBot, session: Session
) -> None:
    bot.clock.set(local(21, 1))
    me = {"uuid": "U-3", "name": "Sam K"}
    gone = "left the meeting. Reason : left the meeting"
    for doc in (
        joined(at=local(18), **me),
        left(at=local(19), leave_reason="left the meeting to join breakout room", **me),
        participant_event("meeting.participant_joined_breakout_room", at=local(19), **me),
        participant_event(
            "meeting.participant_left_breakout_room", at=local(20), leave_reason=gone, **me
        ),
    ):
        assert (await bot.send(doc)).status == 200
    size = await bot.ledger_size()
    # Zoom's own participant_left for the same stay changes nothing
    assert (await bot.send(left(at=local(20), leave_reason=gone, **me))).status == 200
    assert await bot.ledger_size() == size
    rec = await record_of(bot, session, "p-003")
    assert (rec.attended_minutes, rec.last_seen) == (120, local(20))


async def test_waiting_room_is_not_presence(bot: ZoomBot, session: Session) -> None:
    bot.clock.set(local(21, 1))
    me = {"uuid": "U-1", "name": "J", "email": "jordan@example.org"}

    def ev(event: str, at: datetime) -> dict[str, Any]:
        return participant_event(f"meeting.participant_{event}", at=at, **me)

    assert (await bot.send(ev("joined_waiting_room", local(17, 50)))).body == {"status": "ignored"}
    assert (await bot.send(ev("admitted", local(18, 20)))).body == {"status": "stored"}
    # Zoom's own "joined" for the same moment is the same event
    assert (await bot.send(ev("joined", local(18, 20)))).body == {"status": "unchanged"}
    assert (await bot.send(ev("put_in_waiting_room", local(20, 20)))).body == {"status": "stored"}
    assert (await bot.send(ev("left_waiting_room", local(20, 25)))).body == {"status": "ignored"}
    rec = await record_of(bot, session, "p-001")
    assert (rec.first_seen, rec.last_seen, rec.attended_minutes) == (
        local(18, 20),
        local(20, 20),
        120,
    )


async def test_start_catches_up_on_evidence_stored_but_not_recomputed(
    bot: ZoomBot, session: Session
) -> None:
    bot.clock.set(local(19))
    ev = translate(joined(uuid="U-1", name="J", email="jordan@example.org", at=local(18)))
    assert isinstance(ev, PresenceObserved)
    # stored in one batch, then the process died before the batch settled
    stored = await bot.app.engine.handle(PresenceBatch(events=(ev,)))
    assert stored.entries != (None,)
    assert await bot.app.store.records(session_id=session.id, person_id="p-001") == []
    fresh = ZoomAdapter(bot.app.config.zoom, bot.app.engine)
    await fresh.start()
    await fresh.idle()
    await fresh.stop()
    rec = await record_of(bot, session, "p-001")
    assert rec.status is Status.PRESENT and rec.in_room
