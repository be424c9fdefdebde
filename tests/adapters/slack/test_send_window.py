"""A crash in the send window (between Slack's answer and the outbox's "sent" row) does
not double a DM: the outbox marks the send as begun, the next claim passes "possibly
already sent" and the notifier finds its tagged message in the DM's history.

The real Dispatcher on a real SQLite file, the real SlackNotifier against the Web API
stand-in; the "process" that dies is a Dispatcher whose run is cut by an exception it
can't catch, as a SIGKILL cuts it (tests/e2e/test_crash_storm_slack.py does it for real).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.limits import ChannelPacer
from adapters.slack.notifier import SlackNotifier
from adapters.slack.translate import METADATA_EVENT, message_tag
from bot.core.actions import DirectMessage
from bot.core.clock import FakeClock
from bot.core.domain import Person
from bot.core.outbox import Kind, OutboxItem, OutboxStatus
from bot.core.outreach.delivery import LEASE, Dispatcher
from bot.core.ports import Delivery
from storage.migrate import upgrade
from storage.sql import SqlStore, open_store
from tests.fakes.slack import FakeSlack

PEOPLE = {
    "p-1": Person(id="p-1", display_name="Canary One", slack_user_id="U0001"),
    "p-2": Person(id="p-2", display_name="Canary Two", slack_user_id="U0002"),
}


class Killed(BaseException):
    """What a SIGKILL is to the dispatcher: nothing after it runs, no row is finished."""


class DiesAfterPosting:
    """The dead process's notifier: posts for real (or not at all), then dies."""

    channel = "chat"

    def __init__(self, notifier: SlackNotifier, *, posts: bool) -> None:
        self.notifier = notifier
        self.posts = posts

    async def deliver(self, person: Person, message: DirectMessage) -> Delivery:
        if self.posts:
            assert await self.notifier.deliver(person, message) is Delivery.DELIVERED
        raise Killed


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    server = await FakeSlack().start()
    yield server
    await server.close()


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqlStore]:
    url = f"sqlite:///{tmp_path / 'rollcall.db'}"
    await upgrade(url)
    opened = await open_store(url)
    for p in PEOPLE.values():
        await opened.upsert_person(p)
    yield opened
    await opened.close()


def _notifier(fake: FakeSlack) -> SlackNotifier:
    """A fresh one, as a restarted process has: no caches."""
    return SlackNotifier(
        AsyncWebClient(token="xoxb-test", base_url=fake.api_url), ChannelPacer(interval=0)
    )


def _posts(fake: FakeSlack, channel: str) -> list[dict[str, object]]:
    return [p for p in fake.called("chat.postMessage") if p.get("channel") == channel]


async def test_a_dm_cut_in_the_send_window_is_found_not_sent_again(
    fake: FakeSlack, store: SqlStore
) -> None:
    clock = FakeClock(datetime.now(UTC).replace(microsecond=0))
    now = clock.now()
    await store.enqueue(
        [
            OutboxItem(key="nudge:s1:p-1", kind=Kind.NUDGE, person_id="p-1", due_at=now,
                       text="We missed you today."),
            OutboxItem(key="nudge:s1:p-2", kind=Kind.NUDGE, person_id="p-2",
                       due_at=now + timedelta(seconds=1), text="We missed you today."),
        ]
    )  # fmt: skip
    clock.advance(timedelta(seconds=2))
    # the first process: p-1's DM reaches Slack, then the process dies before "sent"
    posted_then_killed = DiesAfterPosting(_notifier(fake), posts=True)
    first = Dispatcher(store, clock, notifiers={"chat": [posted_then_killed]}, worker="w1")
    with pytest.raises(Killed):
        await first.run_once(limit=1)
    # the second: it marks p-2's send as begun and dies before the request leaves
    killed_before_post = DiesAfterPosting(_notifier(fake), posts=False)
    second = Dispatcher(store, clock, notifiers={"chat": [killed_before_post]}, worker="w2")
    with pytest.raises(Killed):
        await second.run_once(limit=1)
    (p1_post,) = _posts(fake, "DU0001")
    assert p1_post["metadata"] == {
        "event_type": METADATA_EVENT,
        "event_payload": {"key": message_tag("nudge:s1:p-1")},
    }
    assert "p-1" not in str(p1_post["metadata"])  # the tag names no one
    assert _posts(fake, "DU0002") == []
    in_flight = {i.key: i for i in await store.outbox_items()}
    assert {i.status for i in in_flight.values()} == {OutboxStatus.CLAIMED}
    assert all(i.sending_at is not None for i in in_flight.values())

    # after the leases, a restarted process claims both again
    clock.advance(LEASE + timedelta(seconds=1))
    third = Dispatcher(store, clock, notifiers={"chat": [_notifier(fake)]}, worker="w3")
    assert await third.run_once() == 2
    assert len(_posts(fake, "DU0001")) == 1, "the DM that reached Slack was sent again"
    (p2_post,) = _posts(fake, "DU0002")  # the one that never left: sent, once
    assert p2_post["metadata"] == {
        "event_type": METADATA_EVENT,
        "event_payload": {"key": message_tag("nudge:s1:p-2")},
    }
    looked = fake.called("conversations.history")
    assert {h["channel"] for h in looked} == {"DU0001", "DU0002"}
    assert all(h["include_all_metadata"] in ("1", "true") for h in looked)
    done = await store.outbox_items()
    assert [(i.status, i.channel_used, i.sending_at) for i in done] == [
        (OutboxStatus.SENT, "chat", None),
        (OutboxStatus.SENT, "chat", None),
    ]


async def test_a_first_attempt_never_reads_the_history(fake: FakeSlack, store: SqlStore) -> None:
    clock = FakeClock(datetime.now(UTC).replace(microsecond=0))
    await store.enqueue(
        [OutboxItem(key="nudge:s1:p-1", kind=Kind.NUDGE, person_id="p-1", due_at=clock.now(),
                    text="We missed you today.")]
    )  # fmt: skip
    dispatcher = Dispatcher(store, clock, notifiers={"chat": [_notifier(fake)]}, worker="w")
    assert await dispatcher.run_once() == 1
    assert len(_posts(fake, "DU0001")) == 1
    assert fake.called("conversations.history") == []


async def test_without_the_history_scope_it_is_sent_at_least_once(
    fake: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    notifier = _notifier(fake)
    message = DirectMessage(
        person_id="p-1",
        text="We missed you today.",
        kind="nudge",
        key="nudge:s1:p-1",
        possibly_sent_since=datetime.now(UTC) - timedelta(minutes=6),
    )
    assert await _notifier(fake).deliver(PEOPLE["p-1"], message) is Delivery.DELIVERED
    fake.fail("conversations.history", "missing_scope")
    assert await notifier.deliver(PEOPLE["p-1"], message) is Delivery.DELIVERED
    assert len(_posts(fake, "DU0001")) == 2  # can't look: sends (at least once)
    assert "missing_scope" in caplog.text
    fake.failures.clear()
    # a history that has it (any page shape): found, not sent again
    assert await _notifier(fake).deliver(PEOPLE["p-1"], message) is Delivery.DELIVERED
    assert len(_posts(fake, "DU0001")) == 2
