"""Schedules, reminders, the end-of-session fan-out and alerts, on a fake clock."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from adapters.memory import MemoryAdapter
from bot.config import parse_config
from bot.core.actions import ChannelPost, DirectMessage
from bot.core.clock import FakeClock
from bot.core.domain import Group, Person, Status
from bot.core.engine import Engine
from bot.core.events import Identity
from bot.core.outbox import Kind, OutboxStatus
from bot.core.outreach.autopilot import Autopilot
from bot.core.outreach.delivery import Dispatcher
from bot.core.outreach.planner import outside_quiet
from bot.core.ports import Delivery
from bot.core.seed import materialize, seed
from storage.memory import MemoryStore
from tests.fakes.casts import week_cast

NY = ZoneInfo("America/New_York")


class Inbox:
    """A notifier that keeps what it was asked to deliver (the port, not a platform)."""

    channel = "chat"
    platform = "test"

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.sent: list[tuple[datetime, str, DirectMessage]] = []
        self.posts: list[tuple[datetime, str, ChannelPost]] = []
        self.refuse: set[str] = set()

    async def deliver(self, person: Person, message: DirectMessage) -> Delivery:
        if person.id in self.refuse:
            return Delivery.UNREACHABLE
        self.sent.append((self.clock.now(), person.id, message))
        return Delivery.DELIVERED

    async def post(self, group: Group, post: ChannelPost) -> Delivery:
        self.posts.append((self.clock.now(), group.id, post))
        return Delivery.DELIVERED

    def kinds(self, person_id: str) -> list[str]:
        return [m.kind for _, p, m in self.sent if p == person_id]


class Week:
    def __init__(
        self, start: datetime, store: MemoryStore | None = None, *, cast: str | None = None
    ) -> None:
        self.config = parse_config(cast or week_cast())
        self.clock = FakeClock(start)
        self.store = store or MemoryStore()
        self.inbox = Inbox(self.clock)
        self.boot()

    def boot(self) -> None:
        """A (re)start: a new engine, dispatcher and autopilot on the same store."""
        self.engine = Engine(store=self.store, clock=self.clock, program=self.config.program)
        self.chat = MemoryAdapter(engine=self.engine)
        dispatcher = Dispatcher(
            self.store, self.clock, notifiers={"chat": [self.inbox]}, posters=[self.inbox]
        )

        async def ahead() -> int:
            return await materialize(self.store, self.config, self.clock.now())

        self.pilot = Autopilot(
            self.engine, self.config, dispatcher, store=self.store, materialize=ahead
        )

    async def start(self) -> None:
        await seed(self.store, self.config, self.clock.now())

    async def run_until(self, end: datetime, step: timedelta = timedelta(minutes=5)) -> None:
        while self.clock.now() < end:
            await self.pilot.tick(leader=True)
            self.clock.advance(step)
        await self.pilot.tick(leader=True)

    async def room(self, who: str, action: str) -> None:
        person = await self.store.get_person(who)
        assert person is not None
        await self.chat.presence(
            source="console", room_id="ga", identity=Identity(platform_user_id=who), action=action
        )


def local(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=NY)


def test_quiet_hours_move_a_message_out_of_them() -> None:
    quiet = (time(21), time(8))
    latest = local(2026, 11, 30, 18)
    # 02:00 falls in quiet hours; 08:00 is before the latest allowed moment
    assert outside_quiet(local(2026, 11, 30, 2), NY, quiet, latest) == local(2026, 11, 30, 8)
    # for a 7 AM session, 08:00 is too late: just before quiet hours began
    early = outside_quiet(local(2026, 11, 30, 6, 45), NY, quiet, local(2026, 11, 30, 7))
    assert early == local(2026, 11, 29, 20, 59)
    assert outside_quiet(local(2026, 11, 30, 12), NY, quiet, latest) == local(2026, 11, 30, 12)


async def test_a_week_across_the_dst_change_with_reminders_at_local_times() -> None:
    # 2026-11-01 is the end of daylight time in New York
    w = Week(local(2026, 10, 29, 12))
    await w.start()
    await w.run_until(local(2026, 11, 3, 0), step=timedelta(minutes=15))
    sessions = await w.store.list_sessions(group_id="ga", start_to=local(2026, 11, 10).astimezone())
    starts = [s.start.astimezone(NY) for s in sessions]
    assert [(s.day, s.hour) for s in starts[:3]] == [(30, 18), (2, 18), (4, 18)]
    # the UTC offset changes, the wall-clock time does not
    assert starts[0].utcoffset() != starts[1].utcoffset()
    # the closure on Friday Nov 6 skips that session
    assert all(s.start.astimezone(NY).date() != date(2026, 11, 6) for s in sessions)
    reminders = [(at.astimezone(NY), m) for at, p, m in w.inbox.sent if p == "p-001"]
    mon = [at for at, m in reminders if m.kind == "reminder" and "Monday" not in m.text]
    assert local(2026, 11, 1, 18) in mon  # 24 h before Monday 6 PM, across the change
    assert local(2026, 11, 2, 17, 45) in mon
    # p-003 lives in Los Angeles: their reminder says 3:00 PM, their local time
    texts = [m.text for _, p, m in w.inbox.sent if p == "p-003" and m.kind == "reminder"]
    assert any("3:00 PM" in t for t in texts)
    # the session-open post names nobody
    assert w.inbox.posts and all("J." not in p.text for _, _, p in w.inbox.posts)


async def test_restart_mid_week_loses_nothing_doubles_nothing_and_drops_stale() -> None:
    store = MemoryStore()
    w = Week(local(2026, 11, 29, 12), store)
    await w.start()
    await w.run_until(local(2026, 11, 30, 12))
    before = len(w.inbox.sent)
    assert before > 0
    # down from Monday noon to Monday 18:30: the 15-minute reminder's session started
    w.clock.set(local(2026, 11, 30, 18, 30))
    w.boot()
    await w.run_until(local(2026, 11, 30, 18, 40))
    keys = [m.key for _, _, m in w.inbox.sent]
    assert len(keys) == len(set(keys)), "nothing sent twice"
    dropped = await store.outbox_items(kind="reminder", status=OutboxStatus.DROPPED)
    assert {i.person_id for i in dropped} == {"p-001", "p-002", "p-003"}
    audit = [a for a in await store.audit_page() if a.action == "notification.dropped"]
    assert len(audit) == len(dropped)


def _digests(w: Week, to: str) -> list[DirectMessage]:
    return [
        m
        for _, p, m in w.inbox.sent
        if p == to and m.kind == "alert" and not m.key.startswith("signoff_reminder:")
    ]


async def test_end_of_session_fan_out_and_alerts_once_per_episode_unless_worse() -> None:
    w = Week(local(2026, 11, 30, 17, 0))
    await w.start()
    await w.pilot.tick(leader=True)
    w.clock.set(local(2026, 11, 30, 17, 55))
    await w.chat.send("p-001", "/checkin", channel="ga")
    await w.room("p-001", "join")
    w.clock.set(local(2026, 11, 30, 18, 0))
    await w.room("p-003", "join")
    await w.run_until(local(2026, 11, 30, 21, 30))
    assert "survey" in w.inbox.kinds("p-001") and "survey" in w.inbox.kinds("p-003")
    assert "nudge" in w.inbox.kinds("p-002")
    nudge = next(m for _, p, m in w.inbox.sent if p == "p-002" and m.kind == "nudge")
    assert "We missed you" in nudge.text and "Group B" in nudge.text  # a make-up with room
    assert "alert" not in w.inbox.kinds("f-001")  # one miss is not a pattern
    # Wednesday: p-002 misses again -> one consecutive-absence alert
    await w.run_until(local(2026, 12, 2, 21, 30), step=timedelta(minutes=30))
    # one digest for the session, M. first (two misses in a row is the most urgent)
    # (sign-off reminders are private alerts of their own, not digests)
    (digest,) = _digests(w, "f-001")
    lines = digest.text.splitlines()
    assert lines[1].startswith("1. M. has missed 2 sessions of Group A in a row.")
    assert "M.'s attendance in Group A is 0%" in lines[1] and "this week" in lines[1]
    # Friday: a third miss in the same streak is the same episode, but worse: told again;
    # the rate (still 0%) and the weekly minimum (still out of reach) are not
    await w.run_until(local(2026, 12, 4, 21, 30), step=timedelta(minutes=30))
    alerts = _digests(w, "f-001")
    assert len(alerts) == 2  # Wednesday's digest and Friday's
    (m,) = [line for line in alerts[1].text.splitlines()[1:] if " M. " in line]
    assert m.startswith("1. M. has missed 3 sessions of Group A in a row.")
    assert "attendance in Group A" not in m and "this week" not in m
    # later ticks after the same session tell nothing again
    await w.run_until(local(2026, 12, 5, 12), step=timedelta(minutes=30))
    assert len(_digests(w, "f-001")) == 2
    keys = [m.key for _, _, m in w.inbox.sent]
    assert len(keys) == len(set(keys))


async def test_weekly_minimum_flag_midweek() -> None:
    w = Week(local(2026, 11, 30, 17, 0))
    await w.start()
    # p-003 attends Monday only; by Wednesday evening they cannot reach 9 h on 3 days
    w.clock.set(local(2026, 11, 30, 18, 0))
    await w.room("p-003", "join")
    await w.run_until(local(2026, 12, 2, 21, 30), step=timedelta(minutes=30))
    weekly = [m for _, p, m in w.inbox.sent if p == "f-001" and "this week" in m.text]
    assert weekly, "a weekly-minimum alert"
    assert any("K." in m.text for m in weekly)


async def test_unreachable_dm_is_flagged_once_and_facilitators_learn_it() -> None:
    w = Week(local(2026, 11, 29, 12))
    w.inbox.refuse.add("p-002")
    await w.start()
    await w.run_until(local(2026, 11, 30, 21, 30), step=timedelta(minutes=15))
    told = [m for _, p, m in w.inbox.sent if p == "f-001" and "can't reach" in m.text]
    assert len(told) == 1
    assert await w.store.unreachable_channels("p-002") == {"chat"}
    (rec,) = await w.store.records(person_id="p-002")
    assert "dm_unreachable" in [f.value for f in rec.flags]
    # they open their DMs again: the next DM reaches them and the mark goes
    w.inbox.refuse.discard("p-002")
    await w.run_until(local(2026, 12, 2, 21, 30), step=timedelta(minutes=15))
    assert any(p == "p-002" for _, p, _ in w.inbox.sent)
    assert await w.store.unreachable_channels("p-002") == set()
    wednesday = [
        r for r in await w.store.records(person_id="p-002") if r.session_id != rec.session_id
    ]
    assert wednesday and all("dm_unreachable" not in [f.value for f in r.flags] for r in wednesday)


async def test_makeup_booking_turns_a_miss_into_made_up() -> None:
    w = Week(local(2026, 11, 30, 17, 0))
    await w.start()
    await w.run_until(local(2026, 11, 30, 21, 30), step=timedelta(minutes=30))
    (missed,) = await w.store.records(person_id="p-002")
    assert missed.status is Status.ABSENT
    (offer,) = await w.chat.send("p-002", "/makeup", channel=None)
    buttons = getattr(offer, "buttons", ())
    assert buttons and "Group B" in buttons[0].label
    (booked,) = await w.chat.press("p-002", buttons[0].action, buttons[0].value)
    assert "Booked: Group B" in getattr(booked, "text", "")
    tuesday = local(2026, 12, 1, 10, 0)
    w.clock.set(tuesday - timedelta(minutes=5))
    await w.chat.send("p-002", "/checkin", channel=None)
    await w.run_until(tuesday + timedelta(hours=3, minutes=10), step=timedelta(minutes=30))
    records = {r.session_id: r for r in await w.store.records(person_id="p-002")}
    assert records[missed.session_id].status is Status.MADE_UP
    makeup = next(r for r in records.values() if r.group_id == "gb")
    assert makeup.status is Status.PRESENT and makeup.makeup_for == missed.session_id


@pytest.mark.parametrize("kind", [Kind.SURVEY, Kind.NUDGE])
async def test_a_survey_or_nudge_a_day_late_is_still_sent_later_dropped(kind: Kind) -> None:
    from bot.core.outbox import OutboxItem

    w = Week(local(2026, 11, 30, 12))
    await w.start()
    now = w.clock.now()
    await w.store.enqueue(
        [
            OutboxItem(
                key=f"{kind}:x:p-001",
                kind=kind,
                person_id="p-001",
                due_at=now - timedelta(hours=23),
                expires_at=now + timedelta(hours=1),
                text="hello",
            ),
            OutboxItem(
                key=f"{kind}:y:p-001",
                kind=kind,
                person_id="p-001",
                due_at=now - timedelta(hours=25),
                expires_at=now - timedelta(hours=1),
                text="hello",
            ),
        ]
    )
    await w.pilot.dispatcher.drain()
    assert [m.key for _, _, m in w.inbox.sent] == [f"{kind}:x:p-001"]


async def test_a_closure_added_later_cancels_the_stored_session() -> None:
    import dataclasses

    from bot.core.domain import SessionState
    from bot.core.settings import Closure

    w = Week(local(2026, 11, 29, 17, 30))  # Monday 6 PM is within the planning horizon
    await w.start()
    await w.pilot.tick(leader=True)
    monday = "ga-20261130-1800"
    assert [i for i in await w.store.outbox_items(kind="reminder") if i.session_id == monday]
    assert (await w.store.get_session(monday)).state is SessionState.SCHEDULED  # type: ignore[union-attr]
    holiday = Closure(start=date(2026, 11, 30), end=date(2026, 11, 30), reason="snow")
    w.config = dataclasses.replace(w.config, closures=(*w.config.closures, holiday))
    w.boot()
    await w.pilot.tick(leader=True)
    assert (await w.store.get_session(monday)).state is SessionState.CANCELLED  # type: ignore[union-attr]
    audit = [(a.action, a.target) for a in await w.store.audit_page()]
    assert ("session.cancel", monday) in audit
    await w.run_until(local(2026, 11, 30, 22), step=timedelta(minutes=30))
    assert [m for _, _, m in w.inbox.sent if monday in m.key] == []  # planned ones dropped


async def test_an_advance_notice_offers_make_ups_right_away() -> None:
    w = Week(local(2026, 11, 28, 12))  # Saturday: Monday's session is ahead
    await w.start()
    await w.pilot.tick(leader=True)
    (reply,) = await w.chat.send("p-002", "/absent mon away", channel=None)
    text = getattr(reply, "text", "")
    assert "You're excused" in text and "• Group B" in text and "/makeup" in text
    (offer,) = await w.chat.send("p-002", "/makeup", channel=None)
    assert [b.label.split(" — ")[0] for b in getattr(offer, "buttons", ())][:1] == ["Group B"]


class SlowInbox(Inbox):
    """Each delivery takes `minutes` of the clock (a channel timing out, say)."""

    def __init__(self, clock: FakeClock, minutes: float) -> None:
        super().__init__(clock)
        self.minutes = minutes

    async def deliver(self, person: Person, message: DirectMessage) -> Delivery:
        self.clock.advance(timedelta(minutes=self.minutes))
        return await super().deliver(person, message)


async def test_a_slow_channel_does_not_let_a_claim_run_out_mid_batch() -> None:
    """Worker 1 claims two messages with a 5-minute lease; its channel takes 3 minutes
    per message, so the batch takes 6. Worker 2 looks at minute 6: the second message's
    claim was renewed when worker 1 started on it, so worker 2 must not send it too."""
    from bot.core.outbox import OutboxItem

    w = Week(local(2026, 11, 30, 12))
    await w.start()
    now = w.clock.now()
    await w.store.enqueue(
        [
            OutboxItem(
                key=f"reminder:{n}:p-001",
                kind=Kind.REMINDER,
                person_id="p-001",
                due_at=now,
                text=f"hello {n}",
            )
            for n in (1, 2)
        ]
    )
    slow = SlowInbox(w.clock, minutes=3)
    first = Dispatcher(w.store, w.clock, notifiers={"chat": [slow]}, worker="w1")
    second = Dispatcher(w.store, w.clock, notifiers={"chat": [w.inbox]}, worker="w2")
    original = slow.deliver
    looked: list[int] = []

    async def deliver_while_w2_looks(person: Person, message: DirectMessage) -> Delivery:
        result = await original(person, message)
        looked.append(await second.run_once())
        return result

    slow.deliver = deliver_while_w2_looks  # type: ignore[method-assign]
    assert await first.run_once() == 2
    assert looked == [0, 0]  # minute 3 and minute 6: nothing of w1's was free
    assert [m.key for _, _, m in slow.sent] == ["reminder:1:p-001", "reminder:2:p-001"]
    assert w.inbox.sent == []
    assert {i.status for i in await w.store.outbox_items()} == {OutboxStatus.SENT}


async def test_a_restart_seeds_only_what_is_new_or_changed(monkeypatch: pytest.MonkeyPatch) -> None:
    import dataclasses

    w = Week(local(2026, 11, 30, 12))
    await w.start()
    writes: list[dict[str, object]] = []
    real = w.store.seed_directory

    async def counting(**kwargs: Any) -> None:
        writes.append(kwargs)
        await real(**kwargs)

    monkeypatch.setattr(w.store, "seed_directory", counting)
    await seed(w.store, w.config, w.clock.now())
    assert writes == []  # nothing changed: nothing written
    renamed = dataclasses.replace(w.config.groups[0], name="Renamed")
    w.config = dataclasses.replace(w.config, groups=(renamed, *w.config.groups[1:]))
    await seed(w.store, w.config, w.clock.now())
    # one write, of just the changed group
    assert [(c["people"], c["groups"], c["enrollments"]) for c in writes] == [([], [renamed], [])]
    assert (await w.store.get_group(renamed.id)) == renamed
