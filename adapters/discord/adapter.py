"""The Discord adapter: lifecycle and I/O around discord.py's gateway client.

`start()` points discord.py at `api_base_url`, logs in (a bad token fails here,
loudly), syncs the slash commands, and connects the gateway in a background task.
Interactions arrive over the gateway, so no HTTP route is added and no Ed25519
check is needed. See docs/discord.md for setting up the application.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import aiohttp
import discord
import yarl
from aiohttp import web
from discord import app_commands

from adapters.discord.client import RollcallClient, RollcallShardedClient, intents
from adapters.discord.commands import register
from adapters.discord.interactions import Interactions
from adapters.discord.notifier import DiscordNotifier
from adapters.discord.translate import VoiceSnapshot, clip_content
from adapters.discord.views import RollcallButton, RollcallPick
from adapters.discord.voice import VoiceTracker
from bot.core.actions import Action, ChannelPost, DirectMessage
from bot.core.commands import COMMANDS
from bot.core.domain import Group
from bot.core.engine import Engine
from bot.core.logging_policy import describe
from bot.core.ports import Delivery, Telemetry
from bot.core.settings import DiscordConfig
from bot.core.telemetry import NULL as NULL_TELEMETRY

log = logging.getLogger("rollcall.discord")

DEFAULT_API = "https://discord.com/api/v10"
DISCORD_GATEWAY = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
IDENTIFY_DELAY = 5.0
LOGIN_RETRY_DELAY = 5.0
MAX_LOGIN_RETRY_DELAY = 300.0
TRANSIENT = (discord.HTTPException, discord.GatewayNotFound, aiohttp.ClientError, OSError)


def _why(e: BaseException) -> str:
    status = getattr(e, "status", None)
    return f"{type(e).__name__}, status {status}" if status else type(e).__name__


def _snapshot(state: discord.VoiceState | None) -> VoiceSnapshot | None:
    if state is None or state.channel is None:
        return None
    return VoiceSnapshot(
        channel_id=str(state.channel.id),
        camera=bool(state.self_video),
        streaming=bool(state.self_stream),
    )


class DiscordAdapter:
    name = "discord"
    platform = "discord"  # as a bot.core.ports.Poster

    def __init__(
        self, config: DiscordConfig, engine: Engine, *, telemetry: Telemetry = NULL_TELEMETRY
    ) -> None:
        self.config = config
        self.engine = engine
        self.client: discord.Client | None = None
        self.tree: app_commands.CommandTree[Any] | None = None
        self.voice = VoiceTracker(engine)
        self.interactions = Interactions(engine, self.perform)
        self.interactions.telemetry = telemetry
        self.notifier = DiscordNotifier(lambda: self.client, engine)
        #: seconds between IDENTIFYs after a lost session (Discord: one per 5 s)
        self.identify_delay = IDENTIFY_DELAY
        #: first wait before logging in again when Discord was unreachable at start
        self.login_retry_delay = LOGIN_RETRY_DELAY
        #: when the gateway dropped; a stay that vanished meanwhile is closed then
        self.gap_since: datetime | None = None
        self.synced = False
        self.synced_guilds: list[int] = []
        #: extra discord.py client options (say, guild_ready_timeout)
        self.client_options: dict[str, Any] = {}
        self._task: asyncio.Task[None] | None = None

    @property
    def is_connected(self) -> bool:
        """The gateway session is up (for /readyz and rollcall_adapter_connected)."""
        client = self.client
        return client is not None and client.is_ready() and not client.is_closed()

    @property
    def poster(self) -> DiscordAdapter:
        """bot.core.ports.Poster for the outbox (see `post`)."""
        return self

    # ------------------------------------------------------------ lifecycle

    def add_routes(self, web_app: web.Application) -> None:
        """Nothing: interactions come over the gateway."""

    def _build_client(self) -> discord.Client:
        options: dict[str, Any] = {
            "intents": intents(members=bool(getattr(self.config, "members_intent", False))),
            "max_ratelimit_timeout": 30.0,
            "allowed_mentions": discord.AllowedMentions.none(),
        }
        app_id = self.config.application_id or ""
        if app_id.isdigit():
            options["application_id"] = int(app_id)
        options.update(self.client_options)
        cls = RollcallShardedClient if self.config.sharded else RollcallClient
        client = cls(self, self.interactions, **options)
        self.tree = app_commands.CommandTree(client)
        client.add_dynamic_items(RollcallButton, RollcallPick)
        return client

    async def start(self) -> None:
        """Log in (a refused token raises at once), then connect in the background. If
        Discord can't be reached now, keep trying in the background instead."""
        discord.http.Route.BASE = self.config.api_base_url.rstrip("/")
        self.client = client = self._build_client()
        try:
            await self._login(client)
        except discord.LoginFailure:
            await client.close()
            raise RuntimeError("Discord refused the bot token ([discord] token)") from None
        except TRANSIENT as e:
            log.warning("Discord is unreachable (%s); retrying in the background", _why(e))
            self._task = asyncio.create_task(self._retry_login(client), name="discord-login")
            return
        self._task = asyncio.create_task(self._connect(client), name="discord-gateway")

    async def _login(self, client: discord.Client) -> None:
        await client.login(self.config.token)
        gateway = DISCORD_GATEWAY
        if discord.http.Route.BASE != DEFAULT_API:
            # a stand-in or proxy API names its own gateway
            _, url, _ = await client.http.get_bot_gateway()
            gateway = yarl.URL(url)
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = gateway

    async def _retry_login(self, client: discord.Client) -> None:
        delay = self.login_retry_delay
        while not client.is_closed():
            await asyncio.sleep(delay)
            try:
                await self._login(client)
            except discord.LoginFailure:
                log.error("Discord refused the bot token ([discord] token); Discord is off")
                return
            except TRANSIENT as e:
                log.warning("Discord is still unreachable (%s)", _why(e))
                delay = min(delay * 2, MAX_LOGIN_RETRY_DELAY)
            else:
                await self._connect(client)
                return

    async def _connect(self, client: discord.Client) -> None:
        try:
            await client.connect(reconnect=True)
        except asyncio.CancelledError:
            raise
        except Exception as e:
            log.error("the Discord gateway connection ended: %s", describe(e))

    async def stop(self) -> None:
        if self.client is not None:
            await self.client.close()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    # ------------------------------------------------------------ gateway hooks

    async def setup(self) -> None:
        """After login: register the slash commands and sync them to the program's guilds."""
        assert self.tree is not None
        if self.synced:
            return  # a second login (after a failed first attempt) registers nothing twice
        self.synced = True
        groups = await self.engine.groups()
        ids = {g.discord_guild_id or "" for g in groups}
        guild_ids = sorted(int(i) for i in ids if i.isdigit())
        specs = [(name, spec.summary) for name, spec in COMMANDS.items()]
        register(self.tree, specs, self.interactions.command, guild_ids=guild_ids)
        for gid in guild_ids:
            try:
                await self.tree.sync(guild=discord.Object(id=gid))
                self.synced_guilds.append(gid)
            except discord.HTTPException as e:
                log.warning("syncing commands to guild %s failed: status %s", gid, e.status)
        try:
            await self.tree.sync()
        except discord.HTTPException as e:
            log.warning("syncing DM commands failed: status %s", e.status)
        await self.voice.refresh_bound()

    async def voice_changed(
        self, member: discord.Member, before: discord.VoiceState, after: discord.VoiceState
    ) -> None:
        if member.bot:
            return
        await self.voice.changed(
            str(member.guild.id),
            str(member.id),
            _snapshot(after),
            voice_session=after.session_id or before.session_id,
            display_name=member.display_name,
        )

    async def member_removed(self, guild_id: int, user_id: int) -> None:
        await self.voice.changed(str(guild_id), str(user_id), None)

    async def guild_available(self, guild: discord.Guild) -> None:
        """A guild arrived (READY, an outage ending, the bot added): reconcile its rooms."""
        left_at = self.gap_since  # read first: `connected` may end the gap meanwhile
        await self.voice.refresh_bound()
        rooms: dict[str, dict[str, VoiceSnapshot]] = {}
        for room_id in self.voice.bound:
            channel = guild.get_channel(int(room_id))
            if not isinstance(channel, discord.VoiceChannel | discord.StageChannel):
                continue
            members: dict[str, VoiceSnapshot] = {}
            for uid, state in channel.voice_states.items():
                member = guild.get_member(uid)
                snap = _snapshot(state)
                if snap is not None and not (member is not None and member.bot):
                    members[str(uid)] = snap
            rooms[room_id] = members
        await self.voice.reconcile(str(guild.id), rooms, left_at=left_at)

    async def connected(self, *, resumed: bool) -> None:
        """READY (after every guild arrived) or RESUMED: check every guild, then the gap is over."""
        client = self.client
        if client is not None:
            for guild in client.guilds:
                if not guild.unavailable:
                    await self.guild_available(guild)
        self.gap_since = None
        log.info("discord gateway %s", "resumed" if resumed else "ready")

    def disconnected(self) -> None:
        if self.gap_since is None:
            self.gap_since = self.engine.now()

    # ------------------------------------------------------------ actions out

    async def perform(self, actions: Sequence[Action]) -> None:
        """DMs and channel posts the engine returned while answering an interaction."""
        for action in actions:
            if isinstance(action, DirectMessage):
                person = await self.engine.person(action.person_id)
                if person is not None:
                    await self.notifier.deliver(person, action)
            elif isinstance(action, ChannelPost):
                group = await self.engine.group(action.group_id)
                if group is not None:
                    await self.post(group, action)

    async def post(self, group: Group, post: ChannelPost) -> Delivery:
        """bot.core.ports.Poster: a post in the group's text channel (never naming anyone —
        the core sees to that). UNREACHABLE when the group has no Discord text channel."""
        client = self.client
        if not group.discord_text_channel_id:
            return Delivery.UNREACHABLE
        if client is None:
            return Delivery.RETRY
        channel = client.get_partial_messageable(int(group.discord_text_channel_id))
        try:
            await channel.send(content=clip_content(post.text))
        except discord.HTTPException as e:
            log.warning("post to group %s failed: status %s", group.id, e.status)
            return Delivery.RETRY if e.status == 429 or e.status >= 500 else Delivery.UNREACHABLE
        except OSError:
            return Delivery.RETRY
        return Delivery.DELIVERED
