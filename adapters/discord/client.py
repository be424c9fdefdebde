"""The discord.py client: gateway events in, handed to the adapter's hooks.

One small subclass per client kind (plain or AutoSharded); the event methods live
in a mixin so both behave the same. Handlers never raise into discord.py: a
failure is logged with the event name and ids only.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Protocol

import discord

from adapters.discord.views import InteractionHandler
from bot.core.logging_policy import describe

log = logging.getLogger("rollcall.discord")


class GatewayHooks(Protocol):
    """What the adapter does with gateway events (adapter.py implements it)."""

    identify_delay: float

    async def setup(self) -> None: ...
    async def voice_changed(
        self, member: discord.Member, before: discord.VoiceState, after: discord.VoiceState
    ) -> None: ...
    async def member_removed(self, guild_id: int, user_id: int) -> None: ...
    async def guild_available(self, guild: discord.Guild) -> None: ...
    async def connected(self, *, resumed: bool) -> None: ...
    def disconnected(self) -> None: ...


def intents(*, members: bool = False) -> discord.Intents:
    """guilds (channels, and voice states at startup) + voice_states. Neither is
    privileged. `members` (privileged) only adds member-removal events; the bot works
    without it because Discord disconnects a removed member from voice anyway."""
    chosen = discord.Intents.none()
    chosen.guilds = True
    chosen.voice_states = True
    chosen.members = members
    return chosen


class _Events:
    hooks: GatewayHooks
    interactions: InteractionHandler

    async def _safely(self, name: str, coro: Any) -> None:
        try:
            await coro
        except Exception as e:
            log.error("discord %s handler failed: %s", name, describe(e))

    async def setup_hook(self) -> None:
        await self._safely("setup", self.hooks.setup())

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        # Discord allows one IDENTIFY per 5 seconds; the first one needs no wait
        if not initial:
            await asyncio.sleep(self.hooks.identify_delay)

    async def on_voice_state_update(
        self, member: discord.Member, before: discord.VoiceState, after: discord.VoiceState
    ) -> None:
        await self._safely("voice_state_update", self.hooks.voice_changed(member, before, after))

    async def on_raw_member_remove(self, payload: discord.RawMemberRemoveEvent) -> None:
        await self._safely(
            "member_remove", self.hooks.member_removed(payload.guild_id, payload.user.id)
        )

    async def on_guild_available(self, guild: discord.Guild) -> None:
        await self._safely("guild_available", self.hooks.guild_available(guild))

    async def on_guild_join(self, guild: discord.Guild) -> None:
        await self._safely("guild_join", self.hooks.guild_available(guild))

    async def on_ready(self) -> None:
        await self._safely("ready", self.hooks.connected(resumed=False))

    async def on_shard_ready(self, shard_id: int) -> None:
        # AutoShardedClient: a shard that IDENTIFYs again after a lost session
        await self._safely("shard_ready", self.hooks.connected(resumed=False))

    async def on_resumed(self) -> None:
        await self._safely("resumed", self.hooks.connected(resumed=True))

    async def on_disconnect(self) -> None:
        self.hooks.disconnected()


class RollcallClient(_Events, discord.Client):
    def __init__(
        self, hooks: GatewayHooks, interactions: InteractionHandler, **options: Any
    ) -> None:
        super().__init__(**options)
        self.hooks = hooks
        self.interactions = interactions


class RollcallShardedClient(_Events, discord.AutoShardedClient):
    def __init__(
        self, hooks: GatewayHooks, interactions: InteractionHandler, **options: Any
    ) -> None:
        super().__init__(**options)
        self.hooks = hooks
        self.interactions = interactions
