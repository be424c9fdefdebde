"""DMs through the notifier port, channel posts, and what failures map to."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from discord.utils import time_snowflake

from adapters.discord.notifier import HISTORY_SKEW, DiscordNotifier
from adapters.discord.translate import message_nonce
from bot.core.actions import Button, ChannelPost, DirectMessage
from bot.core.domain import Person
from bot.core.ports import Delivery, Notifier, Poster, Retry
from tests.adapters.discord.harness import P1, P2, TEXT, Harness
from tests.fakes.discord import Scripted

J = Person(id="p-001", display_name="J.", discord_user_id=P1)
M = Person(id="p-002", display_name="M.", discord_user_id=P2)


def dm(key: str = "r1", buttons: tuple[Button, ...] = ()) -> DirectMessage:
    return DirectMessage(
        person_id="p-001",
        text="Your group starts in 15 minutes.",
        kind="reminder",
        key=key,
        buttons=buttons,
    )


def sends(h: Harness) -> int:
    return h.fake.count("POST", "/channels/")


async def test_a_dm_is_delivered_with_its_buttons(h: Harness) -> None:
    notifier: Notifier = h.bot.notifier
    assert notifier.channel == "chat"
    button = Button(label="Answer", action="survey", value="evening-a-20261130-1800")
    assert await notifier.deliver(J, dm(buttons=(button,))) is Delivery.DELIVERED
    create, send = [r for r in h.fake.requests if r.method == "POST"]
    assert create.path == "/users/@me/channels" and create.body == {"recipient_id": int(P1)}
    assert send.body["content"] == "Your group starts in 15 minutes."
    (row,) = send.body["components"]
    assert row["components"][0]["custom_id"] == "rollcall:survey:evening-a-20261130-1800"
    # the DM channel is reused
    assert await notifier.deliver(J, dm("r2")) is Delivery.DELIVERED
    assert h.fake.count("POST", "/users/@me/channels") == 1


async def test_closed_dms_are_unreachable_and_not_tried_again_for_a_while(h: Harness) -> None:
    h.fake.closed_dms.add(P1)
    notifier = h.bot.notifier
    assert await notifier.deliver(J, dm("r1")) is Delivery.UNREACHABLE
    assert sends(h) == 1
    for i in range(5):  # a burst of reminders, surveys, nudges: no request at all
        assert await notifier.deliver(J, dm(f"again-{i}")) is Delivery.UNREACHABLE
    assert sends(h) == 1
    assert await notifier.deliver(M, dm("m1")) is Delivery.DELIVERED  # others unaffected
    h.clock.advance(notifier.unreachable_for + timedelta(seconds=1))
    h.fake.closed_dms.clear()  # they opened their DMs meanwhile
    assert await notifier.deliver(J, dm("later")) is Delivery.DELIVERED


async def test_rate_limits_are_honoured_then_reported(h: Harness) -> None:
    notifier = h.bot.notifier
    limited = {"message": "You are being rate limited.", "retry_after": 0.05, "global": False}
    via = {"Via": "1.1 google", "X-RateLimit-Scope": "user"}
    h.fake.failures["POST /channels/*/messages"] = [Scripted(429, limited, via)]
    assert await notifier.deliver(J, dm("r1")) is Delivery.DELIVERED  # waited, then sent
    assert sends(h) == 2
    # a 429 without Discord's proxy header is a Cloudflare block: no retry at all
    h.fake.failures["POST /channels/*/messages"] = [Scripted(429, limited)]
    # refused: nothing was sent, the next attempt need not read the DM first
    assert await notifier.deliver(J, dm("r2")) == Retry(refused=True)
    assert sends(h) == 3
    assert await notifier.deliver(J, dm("r3")) is Delivery.DELIVERED  # not remembered


async def test_server_errors_are_retried_later(h: Harness) -> None:
    h.fake.failures["POST /channels/*/messages"] = [Scripted(503, {"message": "unavailable"})]
    assert await h.bot.notifier.deliver(J, dm()) is Delivery.RETRY
    assert sends(h) == 1


async def test_nobody_to_reach(h: Harness) -> None:
    before = len(h.fake.requests)
    no_id = Person(id="p-009", display_name="N.")
    assert await h.bot.notifier.deliver(no_id, dm()) is Delivery.UNREACHABLE
    assert len(h.fake.requests) == before


async def test_a_stopped_client_asks_for_a_retry(h: Harness) -> None:
    await h.bot.stop()
    assert await h.bot.notifier.deliver(J, dm()) == Retry(refused=True)


async def test_network_failure_is_a_retry(h: Harness) -> None:
    notifier = DiscordNotifier(lambda: h.bot.client, h.clock)
    await h.fake.stop()  # the stand-in vanishes
    assert await notifier.deliver(J, dm()) is Delivery.RETRY


async def test_channel_posts_go_to_the_groups_text_channel(h: Harness) -> None:
    poster: Poster = h.bot
    group = await h.engine_app.store.get_group("evening-a")
    assert group is not None and poster.platform == "discord"
    post = ChannelPost(group_id="evening-a", text="The session is open for /checkin.", key="k")
    assert await poster.post(group, post) is Delivery.DELIVERED
    (sent,) = [r for r in h.fake.requests if r.path == f"/channels/{TEXT}/messages"]
    assert sent.body["content"] == "The session is open for /checkin."
    assert sent.body["allowed_mentions"] == {"parse": []}
    unbound = replace(group, discord_text_channel_id=None)
    assert await poster.post(unbound, post) is Delivery.UNREACHABLE
    h.fake.failures[f"POST /channels/{TEXT}/messages"] = [Scripted(503, {"message": "down"})]
    assert await poster.post(group, post) is Delivery.RETRY


async def test_a_dm_cut_in_the_send_window_is_found_not_sent_again(h: Harness) -> None:
    """After a crash between Discord's answer and the outbox's "sent" row, the message
    comes back marked possibly sent: found among the DM's messages, it is not sent again;
    one that never left is sent once. Every send carries the key's nonce."""
    notifier = h.bot.notifier
    assert await notifier.deliver(J, dm("r1")) is Delivery.DELIVERED  # then the crash
    (first,) = [r for r in h.fake.requests if r.method == "POST" and r.path.endswith("/messages")]
    assert first.body["nonce"] == message_nonce("r1") and first.body["enforce_nonce"] is True
    assert "p-001" not in first.body["nonce"] and len(first.body["nonce"]) <= 25
    began = datetime.now(UTC) - timedelta(seconds=5)
    again = replace(dm("r1"), possibly_sent_since=began)
    assert await notifier.deliver(J, again) is Delivery.DELIVERED
    assert sends(h) == 1  # found: nothing posted again
    (looked,) = [r for r in h.fake.requests if r.method == "GET" and r.path.endswith("/messages")]
    assert int(looked.query["after"]) == time_snowflake(began - HISTORY_SKEW)
    # the same words to someone else, or other words to J: not found, sent once
    other = replace(dm("r2"), text="Other words.", possibly_sent_since=began)
    assert await notifier.deliver(J, other) is Delivery.DELIVERED
    assert await notifier.deliver(M, replace(dm("r3"), possibly_sent_since=began)) is (
        Delivery.DELIVERED
    )
    assert sends(h) == 3
    contents = [m["content"] for m in h.fake.messages.values() if m["channel_id"] != "0"]
    assert sorted(contents) == sorted([dm().text, "Other words.", dm().text])


async def test_a_reminder_reworded_since_the_cut_send_is_found_by_its_earlier_words(
    h: Harness,
) -> None:
    """A reminder is worded at each attempt: the retry says "in 9 minutes" where the cut
    send said "in 15 minutes". Matched by the earlier attempt's words, it is not sent
    again; without them it would be; words that were never sent are not taken for it."""
    notifier = h.bot.notifier
    began = datetime.now(UTC) - timedelta(seconds=5)
    now_words = "Your group starts in 9 minutes."
    assert await notifier.deliver(J, dm("r1")) is Delivery.DELIVERED  # then the crash
    retry = replace(dm("r1"), text=now_words, possibly_sent_since=began, earlier_text=dm().text)
    assert await notifier.deliver(J, retry) is Delivery.DELIVERED
    assert sends(h) == 1  # found by the words it was sent with: not sent again
    assert await notifier.deliver(M, dm("r2")) is Delivery.DELIVERED  # then the crash
    blind = replace(dm("r2"), text=now_words, possibly_sent_since=began)
    assert await notifier.deliver(M, blind) is Delivery.DELIVERED
    assert sends(h) == 3  # without the earlier words: sent twice
    never = replace(retry, key="r9", earlier_text="Your group starts in 20 minutes.")
    assert await notifier.deliver(J, never) is Delivery.DELIVERED
    assert sends(h) == 4


async def test_a_first_attempt_never_reads_the_dm(h: Harness) -> None:
    assert await h.bot.notifier.deliver(J, dm("r1")) is Delivery.DELIVERED
    assert h.fake.count("GET", "/channels/") == 0
