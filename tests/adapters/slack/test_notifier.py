"""DMs and channel posts through the Web API stand-in: errors map to a Delivery, 429s
are retried after Retry-After, one message per second per channel."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import pytest
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.limits import ChannelPacer
from adapters.slack.notifier import SlackNotifier, SlackPoster
from bot.core.actions import Button, ChannelPost, DirectMessage
from bot.core.domain import Group, Person
from bot.core.ports import Delivery, Retry
from tests.fakes.slack import FakeSlack

PERSON = Person(id="p-001", display_name="Jordan Q.", slack_user_id="U0001")


def _dm(key: str = "k1", text: str = "Your group starts in 15 minutes.") -> DirectMessage:
    return DirectMessage(
        person_id="p-001",
        text=text,
        kind="reminder",
        key=key,
        buttons=(Button(label="Can't make it", action="absent", value="s-1"),),
    )


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    server = await FakeSlack().start()
    yield server
    await server.close()


def _notifier(fake: FakeSlack, *, interval: float = 0.0, retries: int = 2) -> SlackNotifier:
    client = AsyncWebClient(token="xoxb-test", base_url=fake.api_url)
    client.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=retries))
    return SlackNotifier(client, ChannelPacer(interval=interval))


async def test_dm_opens_a_conversation_and_posts(fake: FakeSlack) -> None:
    notifier = _notifier(fake)
    assert notifier.channel == "chat"
    assert await notifier.deliver(PERSON, _dm()) is Delivery.DELIVERED
    (opened,) = fake.called("conversations.open")
    (posted,) = fake.called("chat.postMessage")
    assert opened["users"] == "U0001"
    assert posted["channel"] == "DU0001" and posted["text"].startswith("Your group starts")
    assert posted["blocks"][-1]["elements"][0]["action_id"] == "rc:absent:0"
    # the same key again is a no-op; a new one reuses the DM channel
    assert await notifier.deliver(PERSON, _dm()) is Delivery.DELIVERED
    assert await notifier.deliver(PERSON, _dm("k2")) is Delivery.DELIVERED
    assert len(fake.called("conversations.open")) == 1
    assert len(fake.called("chat.postMessage")) == 2


async def test_people_slack_cannot_reach(fake: FakeSlack) -> None:
    notifier = _notifier(fake)
    nobody = Person(id="p-9", display_name="X")
    assert await notifier.deliver(nobody, _dm()) is Delivery.UNREACHABLE
    fake.fail("conversations.open", "user_not_found")
    assert await notifier.deliver(PERSON, _dm()) is Delivery.UNREACHABLE
    fake.failures.clear()
    fake.fail("chat.postMessage", "messages_tab_disabled")
    assert await notifier.deliver(PERSON, _dm("k3")) is Delivery.UNREACHABLE
    fake.fail("chat.postMessage", "invalid_auth")
    # Slack answered: nothing was posted (the next attempt need not read the history)
    assert await notifier.deliver(PERSON, _dm("k4")) == Retry(refused=True)


async def test_429_is_retried_after_retry_after(fake: FakeSlack) -> None:
    notifier = _notifier(fake)
    fake.rate_limit("chat.postMessage", times=1, retry_after=1)
    started = time.monotonic()
    assert await notifier.deliver(PERSON, _dm()) is Delivery.DELIVERED
    assert time.monotonic() - started >= 1.0  # waited as told
    assert len(fake.called("chat.postMessage")) == 2


async def test_429_past_the_retries_is_a_refused_retry_later(fake: FakeSlack) -> None:
    notifier = _notifier(fake, retries=1)
    fake.rate_limit("chat.postMessage", times=5, retry_after=0)
    assert await notifier.deliver(PERSON, _dm()) == Retry(refused=True)
    assert len(fake.called("chat.postMessage")) == 2


async def test_network_failure_is_a_retry_never_an_exception(fake: FakeSlack) -> None:
    notifier = _notifier(fake)
    await fake.close()
    assert await notifier.deliver(PERSON, _dm()) is Delivery.RETRY


async def test_one_message_per_second_per_channel(fake: FakeSlack) -> None:
    notifier = _notifier(fake, interval=0.3)
    started = time.monotonic()
    for key in ("a", "b", "c"):
        assert await notifier.deliver(PERSON, _dm(key)) is Delivery.DELIVERED
    assert time.monotonic() - started >= 0.6


async def test_channel_posts(fake: FakeSlack) -> None:
    poster = SlackPoster(_notifier(fake))
    assert poster.platform == "slack"
    group = Group(id="g", name="Evening Group A", slack_channel="C0001")
    post = ChannelPost(group_id="g", text="Today's group is open for /checkin.", key="open:s")
    assert await poster.post(group, post) is Delivery.DELIVERED
    (posted,) = fake.called("chat.postMessage")
    assert posted["channel"] == "C0001" and posted["text"] == post.text
    assert await poster.post(Group(id="h", name="H"), post) is Delivery.UNREACHABLE
    fake.fail("chat.postMessage", "not_in_channel")
    assert await poster.post(group, post) is Delivery.UNREACHABLE


async def test_the_slack_time_zone_is_looked_up_once_and_cached(fake: FakeSlack) -> None:
    fake.user_zones["U0001"] = "America/Chicago"
    notifier = _notifier(fake)
    assert await notifier.zone_of(PERSON) == "America/Chicago"
    assert await notifier.zone_of(PERSON) == "America/Chicago"
    assert len(fake.called("users.info")) == 1
    # an unknown or bogus zone, or a failing call, is None (the program's zone is used)
    other = Person(id="p-002", display_name="M.", slack_user_id="U0002")
    fake.user_zones["U0002"] = "Mars/Olympus"
    assert await notifier.zone_of(other) is None
    fake.fail("users.info", "user_not_found")
    assert await notifier.zone_of(Person(id="p-3", display_name="K.", slack_user_id="U3")) is None
    assert await notifier.zone_of(Person(id="p-4", display_name="L.")) is None
