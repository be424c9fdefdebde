"""One digest per facilitator per session, most urgent first; reviews also to admins;
one alert per episode per rule, unless it got worse."""

from __future__ import annotations

from datetime import timedelta

from bot.config import parse_config
from bot.core.outbox import OutboxStatus
from tests.unit.test_autopilot import Week, local

PEOPLE = "\n".join(f'[[people]]\nid = "p-{n:03d}"\ndisplay_name = "P{n}."' for n in range(1, 21))
CONFIG = f"""
[program]
name = "Evening"
timezone = "America/New_York"
[program.policy]
max_absences_per_cycle = 2
[[people]]
id = "f-001"
display_name = "Dr. R."
role = "facilitator"
[[people]]
id = "f-002"
display_name = "Dr. S."
role = "facilitator"
[[people]]
id = "a-001"
display_name = "Coordinator"
role = "admin"
{PEOPLE}
[[groups]]
id = "ga"
name = "Group A"
schedule = {{ rrule = "FREQ=WEEKLY;BYDAY=MO,WE,FR", start = "18:00", minutes = 180 }}
facilitators = ["f-001", "f-002"]
participants = [{", ".join(f'"p-{n:03d}"' for n in range(1, 21))}]
"""


def _alerts(w: Week, to: str) -> list[str]:
    return [
        m.text
        for _, p, m in w.inbox.sent
        if p == to and m.kind == "alert" and not m.key.startswith("signoff_reminder:")
    ]


async def test_twenty_absentees_make_one_digest_per_facilitator() -> None:
    w = Week(local(2026, 11, 30, 17, 0))
    w.config = parse_config(CONFIG)
    w.boot()
    await w.start()
    # p-001 comes on Monday, nobody else comes to anything
    await w.pilot.tick(leader=True)
    w.clock.set(local(2026, 11, 30, 18, 0))
    await w.chat.send("p-001", "/checkin", channel="ga")
    await w.run_until(local(2026, 12, 2, 21, 30), step=timedelta(minutes=30))
    for fid in ("f-001", "f-002"):
        (digest,) = _alerts(w, fid)  # Monday: one miss is no pattern; Wednesday: one digest
        lines = digest.splitlines()
        assert lines[0].startswith("After Group A (Wed Dec 2, 6:00 PM): 20 people to look at")
        assert len(lines) == 21
        # the 19 with two misses in a row come first, then p-001 (a dip)
        assert all("in a row" in line for line in lines[1:20])
        assert lines[20].startswith("20. P1.") and "in a row" not in lines[20]
        # reviews (two absences in the cycle) are in the facilitators' digest too
        assert "plan a review" in lines[1]
    # the admin gets the reviews only, in one message
    (review,) = _alerts(w, "a-001")
    assert review.count("plan a review") == 19 and "in a row" not in review
    # each episode is recorded per recipient; nothing goes twice
    told = await w.store.outbox_items(person_id="f-001", kind="alert", status=OutboxStatus.SENT)
    assert {i.channel_used for i in told} == {"digest", "chat"}
    # Friday: the 19 streaks continue, worse (three in a row): told again, without
    # their unchanged rate (0%), weekly minimum (out of reach) or review (once per
    # cycle); P1. now has a streak, a lower rate and a review of their own
    await w.run_until(local(2026, 12, 4, 21, 30), step=timedelta(minutes=30))
    _, friday = _alerts(w, "f-001")
    lines = friday.splitlines()
    assert "20 people to look at" in lines[0]
    assert all(
        line.endswith("has missed 3 sessions of Group A in a row. A personal check-in may help.")
        for line in lines[1:20]
    )
    assert lines[20].startswith("20. P1. has missed 2 sessions of Group A in a row.")
    assert "P1.'s attendance in Group A is 33%" in lines[20] and "plan a review" in lines[20]
    assert _alerts(w, "a-001")[1:] == [
        "After Group A (Fri Dec 4, 6:00 PM): 1 person to look at, most urgent first.\n"
        "1. P1. has 2 absences in this 28-day cycle. Please plan a review with the "
        "coordinator (this is a prompt, not a penalty)."
    ]
    keys = [m.key for _, _, m in w.inbox.sent]
    assert len(keys) == len(set(keys))


async def test_forgetting_someone_blanks_a_digest_not_yet_sent() -> None:
    from bot.core.domain import AuditEntry

    w = Week(local(2026, 11, 30, 17, 0))
    w.config = parse_config(CONFIG)
    w.boot()
    await w.start()
    await w.pilot.tick(leader=True)
    await w.run_until(local(2026, 12, 2, 21, 0), step=timedelta(minutes=30))
    # Wednesday's session ends at 9 PM; plan its follow-ups but deliver nothing yet
    w.clock.set(local(2026, 12, 2, 21, 5))
    await w.pilot.close_sessions()
    pending = [
        i
        for i in await w.store.outbox_items(person_id="f-001", kind="alert")
        if i.status is OutboxStatus.PENDING
    ]
    assert len(pending) == 1 and "P7." in pending[0].text
    await w.store.forget_person(
        "p-007", audit=AuditEntry(at=w.clock.now(), actor_id="cli", action="participant.forget")
    )
    (blank,) = [i for i in await w.store.outbox_items(person_id="f-001") if i.key == pending[0].key]
    assert blank.text == ""


async def test_an_episode_is_told_again_only_when_it_got_worse() -> None:
    """The digest's own rule, over a real store: the same episode at the same or a lower
    level is left out; at a higher level it is told again, in a digest of its own key."""
    from datetime import UTC, datetime

    from bot.core.domain import Group, Person, Role, Session
    from bot.core.outreach.digest import Attention, digests
    from storage.memory import MemoryStore

    store = MemoryStore()
    await store.upsert_person(Person(id="f-001", display_name="Dr. R.", role=Role.FACILITATOR))
    group = Group(id="ga", name="Group A", facilitators=("f-001",))
    episode = "alert:consecutive:ga:p-001:ga-1"

    async def after(n: int, level: int) -> list[str]:
        start = datetime(2026, 11, 30, 23, tzinfo=UTC) + timedelta(days=2 * n)
        session = Session(id=f"ga-{n}", group_id="ga", start=start, end=start + timedelta(hours=3))
        found = [Attention(key=episode, person_id="p-001", urgency=1, text="x", level=level)]
        items = await digests(store, session, group, found, UTC, session.end)
        await store.enqueue(items)
        return [i.text for i in items if i.key.startswith("alert:digest:")]

    (first,) = await after(0, 2)
    assert first.startswith("After Group A") and first.endswith("1. x")
    assert await after(0, 2) == []  # the same session's follow-ups again: nothing new
    told = await store.outbox_items(person_id="f-001", kind="alert")
    assert [i.key for i in told if i.channel_used == "digest"] == [f"{episode}:to:f-001:at:2"]
    assert await after(1, 2) == []  # unchanged
    assert await after(2, 1) == []  # better
    (again,) = await after(3, 3)  # worse
    assert again.endswith("1. x")
    assert await after(4, 3) == []
    # worse again after the same session (a status corrected later): a digest of its own
    (later,) = await after(4, 5)
    keys = [i.key for i in await store.outbox_items(person_id="f-001", kind="alert")]
    assert "alert:digest:ga-4:p-001:to:f-001" in keys and later.endswith("1. x")
    (last,) = await after(4, 6)
    assert last.endswith("1. x") and "alert:digest:ga-4:p-001:to:f-001:2" in [
        i.key for i in await store.outbox_items(person_id="f-001", kind="alert")
    ]
