"""The dispatcher's drain at its edges: stopped mid-way, long, refused, held back."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from bot.core.actions import DirectMessage
from bot.core.clock import FakeClock
from bot.core.domain import Person
from bot.core.outbox import Kind, OutboxItem, OutboxStatus
from bot.core.outreach.delivery import Dispatcher
from bot.core.ports import Delivery, Retry
from storage.memory import MemoryStore

NOW = datetime(2026, 5, 4, 21, 45, tzinfo=UTC)
PEOPLE = [Person(id=f"p-{i}", display_name=f"P{i}", channels=("chat",)) for i in range(3)]


class Gate:
    """A chat notifier whose sends wait until the test lets them go."""

    channel = "chat"

    def __init__(self) -> None:
        self.entered = asyncio.Event()
        self.go = asyncio.Event()
        self.sent: list[str] = []

    async def deliver(self, person: Person, message: DirectMessage) -> Delivery:
        self.entered.set()
        await self.go.wait()
        self.sent.append(message.key)
        return Delivery.DELIVERED


def _item(key: str, person: Person, minutes: int = 0) -> OutboxItem:
    return OutboxItem(
        key=key,
        kind=Kind.NUDGE,
        person_id=person.id,
        due_at=NOW - timedelta(minutes=minutes),
        text=f"message {key}",
    )


async def _store() -> MemoryStore:
    store = MemoryStore()
    for p in PEOPLE:
        await store.upsert_person(p)
    return store


async def test_a_cancelled_drain_gives_back_what_it_never_began_to_send() -> None:
    store = await _store()
    clock = FakeClock(NOW)
    gate = Gate()
    # one person's three messages: the first is sent (and held), two wait behind it
    await store.enqueue([_item(f"m{i}", PEOPLE[0], 3 - i) for i in range(3)])
    dispatcher = Dispatcher(store, clock, notifiers={"chat": [gate]}, worker="w1")
    drain = asyncio.create_task(dispatcher.drain())
    await gate.entered.wait()
    drain.cancel()
    await asyncio.gather(drain, return_exceptions=True)

    clock.advance(timedelta(seconds=1))  # well inside the 5-minute lease
    again = await store.claim_due(clock.now(), worker="w2", limit=10, lease=timedelta(minutes=5))
    assert [i.key for i in again] == ["m1", "m2"]  # in order, at once
    assert [i.attempts for i in again] == [0, 0]  # no attempt counted
    assert all(i.sending_at is None for i in again)
    # the one in flight may have gone out: it keeps its claim until its lease ends
    first = await store.outbox_items(status=OutboxStatus.CLAIMED)
    assert {i.key: i.claimed_by for i in first}["m0"] == "w1"


class Slow:
    """A chat notifier each send of which takes (fake) `seconds`."""

    channel = "chat"

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.elapsed = 0.0
        self.sent: list[str] = []

    def monotonic(self) -> float:
        return self.elapsed

    async def deliver(self, person: Person, message: DirectMessage) -> Delivery:
        await asyncio.sleep(0)
        self.elapsed += self.seconds
        self.sent.append(message.key)
        return Delivery.DELIVERED


async def test_a_drain_stops_claiming_after_its_time_and_the_next_goes_on() -> None:
    store = MemoryStore()
    crowd = [Person(id=f"c-{i:03d}", display_name="C", channels=("chat",)) for i in range(200)]
    for p in crowd:
        await store.upsert_person(p)
    await store.enqueue([_item(f"r-{p.id}", p) for p in crowd])
    slow = Slow(seconds=1.0)
    dispatcher = Dispatcher(
        store,
        FakeClock(NOW),
        notifiers={"chat": [slow]},
        drain_seconds=15.0,
        monotonic=slow.monotonic,
    )
    first = await dispatcher.drain()
    # a 2,000-item drain would have taken 200 s here, past the scheduler's 45 s window
    assert 0 < first < 200
    assert slow.elapsed < 15.0 + 16 + 1  # claims stop at 15 s; the sends under way end
    handled = first
    while handled < 200:
        more = await dispatcher.drain()
        assert more > 0
        handled += more
    assert sorted(slow.sent) == sorted(f"r-{p.id}" for p in crowd)  # each once


class Scripted:
    """A chat notifier answering from a script; it keeps what each send was told."""

    channel = "chat"

    def __init__(self, *answers: Delivery | Retry) -> None:
        self.answers = list(answers)
        self.since: list[datetime | None] = []

    async def deliver(self, person: Person, message: DirectMessage) -> Delivery | Retry:
        self.since.append(message.possibly_sent_since)
        return self.answers.pop(0)


async def test_a_refusal_clears_the_send_mark_an_unknown_outcome_keeps_it() -> None:
    store = await _store()
    clock = FakeClock(NOW)
    # refused (nothing sent), then timed out (maybe sent), then refused, then delivered
    chat = Scripted(Retry(refused=True), Delivery.RETRY, Retry(refused=True), Delivery.DELIVERED)
    dispatcher = Dispatcher(store, clock, notifiers={"chat": [chat]})
    await store.enqueue([_item("m", PEOPLE[0])])
    starts = []
    for _ in range(4):
        starts.append(clock.now())
        assert await dispatcher.drain() == 1
        clock.advance(timedelta(hours=1))
    # the second attempt need not look for the first; the third and fourth must look
    # for the second (a refusal after it proves nothing about it)
    assert chat.since == [None, None, starts[1], starts[1]]
    [sent] = await store.outbox_items(status=OutboxStatus.SENT)
    assert sent.sending_at is None
