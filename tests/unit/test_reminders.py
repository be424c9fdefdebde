"""Reminders that know who is coming: dropped after /absent or /checkin, re-planned when
a session moves, worded when sent, the zone named once; plus the words helper."""

from __future__ import annotations

from datetime import timedelta

from bot.core.domain import Person
from bot.core.outbox import OutboxStatus
from bot.core.outreach.delivery import LEASE
from bot.core.words import plural
from tests.unit.test_autopilot import Week, local


async def _reminders(w: Week, person_id: str) -> list[str]:
    return [m.text for _, p, m in w.inbox.sent if p == person_id and m.kind == "reminder"]


async def test_no_reminder_after_absent_or_checkin() -> None:
    w = Week(local(2026, 11, 29, 17, 0))  # Sunday: Monday 6 PM is 25 h away
    await w.start()
    await w.pilot.tick(leader=True)
    # p-002 gives notice now; p-001 checks in at 5:45 PM Monday, as the 15-min one falls due
    (reply,) = await w.chat.send("p-002", "/absent mon", channel=None)
    assert "excused" in getattr(reply, "text", "")
    await w.run_until(local(2026, 11, 30, 17, 40))
    w.clock.set(local(2026, 11, 30, 17, 45))
    await w.chat.send("p-001", "/checkin", channel="ga")
    await w.run_until(local(2026, 11, 30, 18, 0))
    assert await _reminders(w, "p-002") == []
    assert len(await _reminders(w, "p-001")) == 1  # only the 24-hour one
    assert len(await _reminders(w, "p-003")) == 2
    dropped = {
        (i.person_id, i.last_error)
        for i in await w.store.outbox_items(kind="reminder", status=OutboxStatus.DROPPED)
    }
    assert dropped == {("p-002", "notice_given"), ("p-001", "checked_in")}
    audit = [a for a in await w.store.audit_page() if a.action == "notification.dropped"]
    assert {a.detail["reason"] for a in audit} == {"notice_given", "checked_in"}


async def test_relative_words_are_computed_when_sent_and_the_zone_is_named_once() -> None:
    w = Week(local(2026, 11, 30, 17, 0))
    await w.start()
    await w.pilot.tick(leader=True)
    # the dispatcher was down; it delivers the 15-minute reminder at 5:52 PM
    w.clock.set(local(2026, 11, 30, 17, 52))
    await w.pilot.dispatcher.drain()
    (text,) = await _reminders(w, "p-001")
    assert "starts in 8 minutes (6:00 PM EST)" in text
    assert text.count("EST") == 1 and "/absent" in text
    (la,) = await _reminders(w, "p-003")  # Los Angeles
    assert "(3:00 PM PST)" in la and "EST" not in la


async def test_the_24_hour_reminder_says_tomorrow() -> None:
    w = Week(local(2026, 11, 29, 17, 0))
    await w.start()
    await w.run_until(local(2026, 11, 29, 18, 5))
    (text,) = await _reminders(w, "p-001")
    assert "starts tomorrow at 6:00 PM EST" in text


async def test_a_moved_session_gets_new_reminders_and_the_old_ones_are_dropped() -> None:
    w = Week(local(2026, 11, 29, 17, 30))
    await w.start()
    await w.pilot.tick(leader=True)
    monday = "ga-20261130-1800"
    planned = [i for i in await w.store.outbox_items(kind="reminder") if i.session_id == monday]
    assert planned
    # the coordinator moves Monday's group to 7 PM: cancel and create
    await w.engine.cancel_session(monday, actor_id="cli")
    moved = await w.engine.create_session(
        group_id="ga", start=local(2026, 11, 30, 19, 0), minutes=120, actor_id="cli"
    )
    await w.run_until(local(2026, 11, 30, 19, 0), step=timedelta(minutes=15))
    texts = await _reminders(w, "p-001")
    assert texts and all("7:00 PM EST" in t for t in texts)
    assert not [m for _, _, m in w.inbox.sent if monday in m.key]
    keys = {m.key for _, _, m in w.inbox.sent if m.kind == "reminder"}
    assert all(moved.id in k for k in keys)


async def test_a_person_without_a_zone_gets_the_platforms() -> None:
    w = Week(local(2026, 11, 30, 17, 0))

    class Zones:
        async def zone_of(self, person: Person) -> str | None:
            return "America/Chicago" if person.id == "p-001" else None

    w.pilot.dispatcher.zones = Zones()
    await w.start()
    await w.run_until(local(2026, 11, 30, 17, 50))
    (text,) = await _reminders(w, "p-001")
    assert "(5:00 PM CST)" in text
    (other,) = await _reminders(w, "p-002")
    assert "(6:00 PM EST)" in other


def test_plural() -> None:
    assert plural(1, "day") == "1 day"
    assert plural(0, "day") == "0 days"
    assert plural(2, "minute") == "2 minutes"
    assert plural(3, "person") == "3 people"
    assert plural(2, "more group") == "2 more groups"
    assert plural(1.5, "hour") == "1.5 hours"


async def test_attendance_mid_session_counts_consistently() -> None:
    w = Week(local(2026, 11, 30, 17, 0))
    await w.start()
    await w.pilot.tick(leader=True)
    w.clock.set(local(2026, 11, 30, 18, 0))
    (checked,) = await w.chat.send("p-001", "/checkin", channel="ga")
    assert "checked in" in getattr(checked, "text", "").lower()
    await w.room("p-001", "join")
    w.clock.set(local(2026, 11, 30, 19, 0))
    (reply,) = await w.chat.send("p-001", "/attendance", channel=None)
    text = getattr(reply, "text", "")
    assert "attended 0 sessions" in text
    assert "0.0 of 9 hours, 0 of 3 days" in text
    assert "still running" in text


async def test_a_reminder_retried_after_a_cut_send_carries_the_words_it_was_sent_with() -> None:
    """A worker died between the send and its result; the reminder comes back after the
    lease, worded for now and carrying the words of the cut attempt, so a notifier that
    can look (Discord) finds it by them instead of sending it twice."""
    w = Week(local(2026, 11, 30, 17, 0))
    await w.start()
    await w.pilot.tick(leader=True)
    cut = local(2026, 11, 30, 17, 45)
    w.clock.set(cut)
    due = [i for i in await w.store.claim_due(cut, worker="dead", limit=100, lease=LEASE)]
    for item in due:  # the dead worker began each send, then vanished
        assert await w.store.renew_claim(item.key, worker="dead", until=cut + LEASE, sending_at=cut)
    w.clock.set(cut + LEASE + timedelta(minutes=1))
    await w.pilot.dispatcher.drain()
    retried = [m for _, p, m in w.inbox.sent if p == "p-001" and m.kind == "reminder"]
    (message,) = [m for m in retried if m.possibly_sent_since is not None]
    assert message.possibly_sent_since == cut
    assert "starts in 9 minutes" in message.text
    assert message.earlier_text is not None and "starts in 15 minutes" in message.earlier_text
