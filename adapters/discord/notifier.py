"""Direct messages through the bot: the Notifier port's "chat" channel on Discord.

Never loops: one attempt per `deliver` (discord.py itself honours a 429's
retry_after before giving up, and retries a 500/502/504 a few times). A user
whose DMs are closed (50007) is remembered for `unreachable_for`, during which
`deliver` answers UNREACHABLE without a request — Discord bans IPs that make many
failing requests. What to do next (the next channel, telling facilitators once,
the `dm_unreachable` flag) is the outbox's business, not this class's.

A crash in the send window: each DM goes with a nonce derived from its outbox key
(`enforce_nonce`: Discord returns the first message for a repeat within a few
minutes), and when the outbox says an earlier attempt may have reached Discord
(`DirectMessage.possibly_sent_since`), the DM channel's messages since then are read
first: one of ours with the same content means it was delivered. (Discord keeps no
metadata on a message; a reminder worded again later — "in 53 minutes" — is not the
same content and is sent again.) A failure Discord answered with a 4xx (a 429 past
discord.py's waits, `RateLimited`) is a refused `Retry`: nothing was sent, so the next
attempt reads nothing first.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

import aiohttp
import discord

from adapters.discord.translate import (
    button_specs,
    clip_content,
    delivery_for_error,
    message_nonce,
    rows_of,
)
from adapters.discord.views import build_view
from bot.core.actions import DirectMessage
from bot.core.domain import Person
from bot.core.ports import Clock, Delivery, Retry

log = logging.getLogger("rollcall.discord")

DEFAULT_UNREACHABLE_FOR = timedelta(hours=24)
#: how far before an unfinished attempt began the DM is read (clocks differ)
HISTORY_SKEW = timedelta(minutes=2)
#: how many of the DM's messages since then are read: a DM holds few
HISTORY_LIMIT = 50


class DiscordNotifier:
    channel = "chat"

    def __init__(
        self,
        client: Callable[[], discord.Client | None],
        clock: Clock,
        *,
        unreachable_for: timedelta = DEFAULT_UNREACHABLE_FOR,
    ) -> None:
        self._client = client
        self._clock = clock
        self.unreachable_for = unreachable_for
        self._closed_until: dict[str, datetime] = {}

    def known_unreachable(self, user_id: str) -> bool:
        until = self._closed_until.get(user_id)
        if until is None:
            return False
        if until <= self._clock.now():
            del self._closed_until[user_id]
            return False
        return True

    def _remember(self, user_id: str) -> None:
        self._closed_until[user_id] = self._clock.now() + self.unreachable_for

    async def deliver(self, person: Person, message: DirectMessage) -> Delivery | Retry:
        user_id = person.discord_user_id
        if not user_id or not user_id.isdigit():
            return Delivery.UNREACHABLE
        if self.known_unreachable(user_id):
            return Delivery.UNREACHABLE
        client = self._client()
        if client is None or client.is_closed():
            return Retry(refused=True)  # nothing was sent
        view = build_view(rows_of(button_specs(message.buttons)))
        content = clip_content(message.text)
        nonce = message_nonce(message.key)
        try:
            channel = await client.create_dm(discord.Object(id=int(user_id)))
            since = message.possibly_sent_since
            words = {content} | (
                {clip_content(message.earlier_text)} if message.earlier_text else set()
            )
            if since is not None and await _posted_since(client, channel, words, since):
                log.info("dm %s to person %s was already sent: not again", message.kind, person.id)
                return Delivery.DELIVERED
            if view is None:
                await channel.send(content=content, nonce=nonce)
            else:
                await channel.send(content=content, nonce=nonce, view=view)
        except discord.RateLimited:  # raised before sending: the wait was too long
            result = Delivery.RETRY
            status, code = 429, 0
        except discord.HTTPException as e:
            status, code = e.status, e.code
            result = delivery_for_error(status, code)
            if result is Delivery.UNREACHABLE:
                self._remember(user_id)
        except (TimeoutError, aiohttp.ClientError, OSError):
            status, code = 0, 0
            result = Delivery.RETRY
        else:
            return Delivery.DELIVERED
        log.info(
            "dm %s to person %s: %s (status %s, code %s)",
            message.kind,
            person.id,
            result.value,
            status,
            code,
        )
        if result is Delivery.RETRY and 400 <= status < 500:  # answered: not sent
            return Retry(refused=True)
        return result


async def _posted_since(
    client: discord.Client, channel: discord.DMChannel, contents: set[str], since: datetime
) -> bool:
    """Whether the DM holds a message of ours with one of these contents (the words now,
    or the words of the attempt that may have sent it), sent since about `since`
    (GET /channels/{id}/messages?after=the snowflake of that moment). A refusal is
    logged and counts as no: the message is sent then (at least once). Network errors
    propagate (retry later)."""
    me = client.user
    if me is None:
        return False
    after = discord.Object(id=discord.utils.time_snowflake(since - HISTORY_SKEW))
    try:
        async for m in channel.history(limit=HISTORY_LIMIT, after=after):
            if m.author.id == me.id and m.content in contents:
                return True
    except discord.HTTPException as e:
        log.warning("reading a DM's messages: status %s, code %s; sending again", e.status, e.code)
    return False
