"""The outbox dispatcher over the Slack stand-in: a 429 with Retry-After for one DM
channel holds that channel only; every other person's reminder goes meanwhile, and
each message is delivered exactly once, one person's in the order they were due."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.limits import ChannelPacer
from adapters.slack.notifier import SlackNotifier
from bot.core.clock import FakeClock
from bot.core.domain import Person
from bot.core.outbox import Kind, OutboxItem, OutboxStatus
from bot.core.outreach.delivery import CONCURRENCY, Dispatcher
from storage.memory import MemoryStore
from tests.fakes.slack import FakeSlack

NOW = datetime(2026, 5, 4, 21, 45, tzinfo=UTC)
PEOPLE = [
    Person(id=f"p-{i:02d}", display_name=f"P{i}", slack_user_id=f"U{i:02d}") for i in range(40)
]


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    server = await FakeSlack().start()
    yield server
    await server.close()


async def _world(fake: FakeSlack, *, interval: float) -> tuple[MemoryStore, Dispatcher]:
    store = MemoryStore()
    for p in PEOPLE:
        await store.upsert_person(p)
    client = AsyncWebClient(token="xoxb-test", base_url=fake.api_url)
    client.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=2))
    notifier = SlackNotifier(client, ChannelPacer(interval=interval))
    return store, Dispatcher(store, FakeClock(NOW), notifiers={"chat": [notifier]})


def _item(key: str, person: Person, minutes: int = 0) -> OutboxItem:
    return OutboxItem(
        key=key,
        kind=Kind.REMINDER,
        person_id=person.id,
        due_at=NOW - timedelta(minutes=minutes),
        text=f"message {key}",
    )


def _posts(fake: FakeSlack) -> list[tuple[str, str]]:
    return [(str(p["channel"]), str(p["text"])) for p in fake.called("chat.postMessage")]


async def test_a_429_holds_only_its_own_channel(fake: FakeSlack) -> None:
    store, dispatcher = await _world(fake, interval=0.0)
    limited = PEOPLE[0]
    # the limited person's two messages are due first (in this order), everyone else's after
    items = [_item("first", limited, 2), _item("second", limited, 1)]
    items += [_item(f"r-{p.id}", p) for p in PEOPLE[1:]]
    await store.enqueue(items)
    fake.rate_limit_channel(f"D{limited.slack_user_id}", times=1, retry_after=1)

    assert await dispatcher.drain() == len(items)

    posts = _posts(fake)
    ok = posts[1:]  # the first post is the 429 (then retried)
    assert posts[0] == ("DU00", "message first")
    # exactly once each, besides the one answered 429
    assert Counter(ok) == Counter(
        [("DU00", "message first"), ("DU00", "message second")]
        + [(f"D{p.slack_user_id}", f"message r-{p.id}") for p in PEOPLE[1:]]
    )
    # while DU00 waited out its Retry-After, every other person's reminder went
    retried = ok.index(("DU00", "message first"))
    assert {c for c, _ in ok[:retried]} == {f"D{p.slack_user_id}" for p in PEOPLE[1:]}
    # and one person's messages keep their order
    assert ok.index(("DU00", "message second")) > retried
    sent = await store.outbox_items(status=OutboxStatus.SENT)
    assert sorted(i.key for i in sent) == sorted(i.key for i in items)


async def test_never_two_messages_at_once_to_one_person(fake: FakeSlack) -> None:
    store, dispatcher = await _world(fake, interval=0.05)
    few = PEOPLE[:3]
    await store.enqueue(
        [_item(f"{p.id}-{n}", p, 10 - n) for n in range(4) for p in few]  # 12, interleaved
    )
    assert await dispatcher.drain() == 12
    posts = _posts(fake)
    assert len(posts) == 12 and len(set(posts)) == 12
    for p in few:
        mine = [text for channel, text in posts if channel == f"D{p.slack_user_id}"]
        assert mine == [f"message {p.id}-{n}" for n in range(4)]


async def test_a_batch_is_bounded_and_the_rest_waits_for_the_next_drain(fake: FakeSlack) -> None:
    store, dispatcher = await _world(fake, interval=0.0)
    await store.enqueue([_item(f"r-{p.id}", p) for p in PEOPLE])
    assert await dispatcher.run_once(limit=CONCURRENCY // 2) == CONCURRENCY // 2
    assert len(fake.called("chat.postMessage")) == CONCURRENCY // 2
    assert await dispatcher.drain(max_items=10) == 10
    assert await dispatcher.drain() == len(PEOPLE) - CONCURRENCY // 2 - 10
    assert await dispatcher.drain() == 0
    assert len(set(_posts(fake))) == len(PEOPLE) == len(fake.called("chat.postMessage"))
