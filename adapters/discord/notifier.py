"""Direct messages through the bot: the Notifier port's "chat" channel on Discord.

Never loops: one attempt per `deliver` (discord.py itself honours a 429's
retry_after before giving up, and retries a 500/502/504 a few times). A user
whose DMs are closed (50007) is remembered for `unreachable_for`, during which
`deliver` answers UNREACHABLE without a request — Discord bans IPs that make many
failing requests. What to do next (the next channel, telling facilitators once,
the `dm_unreachable` flag) is the outbox's business, not this class's.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

import aiohttp
import discord

from adapters.discord.translate import button_specs, clip_content, delivery_for_error, rows_of
from adapters.discord.views import build_view
from bot.core.actions import DirectMessage
from bot.core.domain import Person
from bot.core.ports import Clock, Delivery

log = logging.getLogger("rollcall.discord")

DEFAULT_UNREACHABLE_FOR = timedelta(hours=24)


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

    async def deliver(self, person: Person, message: DirectMessage) -> Delivery:
        user_id = person.discord_user_id
        if not user_id or not user_id.isdigit():
            return Delivery.UNREACHABLE
        if self.known_unreachable(user_id):
            return Delivery.UNREACHABLE
        client = self._client()
        if client is None or client.is_closed():
            return Delivery.RETRY
        view = build_view(rows_of(button_specs(message.buttons)))
        try:
            channel = await client.create_dm(discord.Object(id=int(user_id)))
            if view is None:
                await channel.send(content=clip_content(message.text))
            else:
                await channel.send(content=clip_content(message.text), view=view)
        except discord.RateLimited:
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
        return result
