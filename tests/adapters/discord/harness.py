"""The whole bot (SQLite store, engine, Discord adapter) against the stand-in Discord."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import discord

from adapters.discord.adapter import DEFAULT_API, DISCORD_GATEWAY, DiscordAdapter
from bot.config import parse_config
from bot.core.clock import FakeClock
from bot.shell.app import App, open_app
from storage.migrate import upgrade
from tests.fakes import discord_gateway as P
from tests.fakes.casts import discord_cast
from tests.fakes.discord import FakeDiscord

GUILD = "100000000000000001"
TEXT = "100000000000000002"
VOICE = "100000000000000003"
LOBBY = "100000000000000004"  # a voice channel bound to no group
FAC = "200000000000000001"
P1 = "200000000000000011"
P2 = "200000000000000012"
P3 = "200000000000000013"
P4 = "200000000000000014"
GUEST = "200000000000000099"
STORAGE = __import__("os").environ.get("ROLLCALL_TEST_STORAGE")
NAMES = {FAC: "Dr. R.", P1: "J.", P2: "M.", P3: "A.", P4: "K.", GUEST: "visitor"}
#: the cast's Discord ids: the facilitator, then p-001 … p-004
USERS = (FAC, P1, P2, P3, P4)


def text_channel() -> dict[str, Any]:
    return P.text_channel(TEXT, GUILD, "evening-a")


def guild(
    voice_states: list[dict[str, Any]] | None = None, *, bots: tuple[str, ...] = ()
) -> dict[str, Any]:
    states = voice_states or []
    return P.guild_create(
        GUILD,
        channels=[
            text_channel(),
            P.voice_channel(VOICE, GUILD, "Group A room"),
            P.voice_channel(LOBBY, GUILD, "Lobby"),
        ],
        voice_states=states,
        members=[
            P.member(s["user_id"], NAMES.get(s["user_id"], "x"), bot=s["user_id"] in bots)
            for s in states
        ],
    )


async def eventually(check: Callable[[], bool], within: float = 5.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not check():
        if loop.time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)


_template: Path | None = None


async def migrated_db(path: Path) -> None:
    """A migrated SQLite file at `path`: migrate once per test run, then copy."""
    global _template
    if _template is None:
        template = Path(tempfile.mkdtemp(prefix="rollcall-discord-")) / "template.db"
        await upgrade(f"sqlite:///{template}")
        _template = template
    shutil.copyfile(_template, path)


class Harness:
    def __init__(self, tmp_path: Path, start: datetime) -> None:
        self.tmp_path = tmp_path
        self.clock = FakeClock(start)
        self.fake = FakeDiscord()
        self.app: App | None = None
        self.adapter: DiscordAdapter | None = None
        self.storage_url = STORAGE or f"sqlite:///{tmp_path / 'rollcall.db'}"

    @property
    def bot(self) -> DiscordAdapter:
        assert self.adapter is not None
        return self.adapter

    @property
    def engine_app(self) -> App:
        assert self.app is not None
        return self.app

    async def start(
        self,
        voice_states: list[dict[str, Any]] | None = None,
        *,
        sharded: bool = False,
        bots: tuple[str, ...] = (),
    ) -> None:
        await self.prepare(voice_states, sharded=sharded, bots=bots)
        await self.bot.start()
        await self.ready()

    async def prepare(
        self,
        voice_states: list[dict[str, Any]] | None = None,
        *,
        sharded: bool = False,
        bots: tuple[str, ...] = (),
    ) -> None:
        """The stand-in Discord, the app and the adapter, not started yet."""
        await self.fake.start()
        self.fake.guilds[GUILD] = guild(voice_states, bots=bots)
        text = discord_cast(
            storage=self.storage_url,
            api=self.fake.api_base,
            users=USERS,
            guild=GUILD,
            text=TEXT,
            voice=VOICE,
            sharded=sharded,
        )
        config = parse_config(text, env={})
        if config.storage_url.startswith("sqlite:///"):
            await migrated_db(self.tmp_path / "rollcall.db")
        self.app = await open_app(config, clock=self.clock, migrate=False)
        self.adapter = DiscordAdapter(config.discord, self.app.engine)
        self.adapter.identify_delay = 0.0
        self.adapter.login_retry_delay = 0.01
        self.adapter.client_options = {"guild_ready_timeout": 0.05}

    async def ready(self) -> None:
        """Until the gateway is READY and the first reconciliation is done."""
        await eventually(lambda: self.bot.client is not None)
        client = self.bot.client
        assert client is not None
        await asyncio.wait_for(client.wait_until_ready(), 5)
        await eventually(lambda: self.bot.voice.reconciles >= 1)

    async def stop(self) -> None:
        if self.adapter is not None:
            await self.adapter.stop()
        if self.app is not None:
            await self.app.close()
        await self.fake.stop()
        # leave discord.py pointing at Discord again, as other tests expect
        discord.http.Route.BASE = DEFAULT_API
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = DISCORD_GATEWAY

    async def voice(self, uid: str, channel: str | None, **kw: Any) -> None:
        """A VOICE_STATE_UPDATE from the gateway; waits until the adapter handled it."""
        before = self.bot.voice.processed
        data = P.voice_state(channel, uid, guild_id=GUILD, name=NAMES.get(uid, "x"), **kw)
        await self.fake.dispatch("VOICE_STATE_UPDATE", data)
        await eventually(lambda: self.bot.voice.processed > before)

    async def interact(
        self, payload: dict[str, Any], *, callbacks: int = 1
    ) -> list[dict[str, Any]]:
        """An INTERACTION_CREATE; returns the interaction callbacks it caused."""
        before = len(self.fake.callbacks)
        await self.fake.dispatch("INTERACTION_CREATE", payload)
        await self.fake.wait_for(lambda: len(self.fake.callbacks) >= before + callbacks)
        return self.fake.callbacks[before:]

    async def command(self, name: str, uid: str, *, dm: bool = False, **kw: Any) -> dict[str, Any]:
        channel = P.dm_channel("300000000000000001", uid) if dm else text_channel()
        payload = P.slash(name, uid, guild_id=None if dm else GUILD, channel=channel, **kw)
        (cb,) = await self.interact(payload)
        return cb

    async def settle(self, work: Awaitable[Any] | None = None) -> None:
        if work is not None:
            await work
        await asyncio.sleep(0.05)
