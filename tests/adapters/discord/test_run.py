"""`rollcall run` with Discord enabled: the composition root starts and stops the adapter."""

from __future__ import annotations

import asyncio
from pathlib import Path

from adapters.discord.adapter import DiscordAdapter
from bot.config import parse_config
from bot.shell.app import build_adapters, build_channels, open_app
from bot.shell.runner import run
from tests.adapters.discord.harness import (
    GUILD,
    P1,
    TEXT,
    USERS,
    VOICE,
    guild,
    text_channel,
)
from tests.fakes import discord_gateway as P
from tests.fakes.casts import discord_cast
from tests.fakes.discord import FakeDiscord


def _config(tmp_path: Path, fake: FakeDiscord) -> str:
    return discord_cast(
        storage=f"sqlite:///{tmp_path / 'run.db'}",
        api=fake.api_base,
        users=USERS,
        guild=GUILD,
        text=TEXT,
        voice=VOICE,
    )


async def test_run_starts_answers_and_stops_cleanly(tmp_path: Path) -> None:
    fake = FakeDiscord()
    await fake.start()
    fake.guilds[GUILD] = guild()
    stop = asyncio.Event()
    try:
        config = parse_config(_config(tmp_path, fake), env={})
        task = asyncio.create_task(run(config, stop=stop))
        await fake.wait_for(lambda: fake.identifies() == 1, within=15)
        await fake.dispatch(
            "INTERACTION_CREATE", P.slash("checkin", P1, guild_id=GUILD, channel=text_channel())
        )
        await fake.wait_for(lambda: len(fake.callbacks) == 1)
        assert fake.callbacks[0]["data"]["content"].startswith("No session is open right now")
        stop.set()
        assert await asyncio.wait_for(task, 15) == 0
    finally:
        stop.set()
        await fake.stop()


async def test_the_outbox_finds_the_discord_notifier_and_poster(tmp_path: Path) -> None:
    fake = FakeDiscord()
    await fake.start()
    config = parse_config(
        _config(tmp_path, fake).replace(f"sqlite:///{tmp_path / 'run.db'}", "memory://"), env={}
    )
    app = await open_app(config)
    try:
        adapters = build_adapters(config, app.engine)
        channels = build_channels(config, adapters)
        (bot,) = adapters
        assert isinstance(bot, DiscordAdapter)
        assert channels.notifiers["chat"] == [bot.notifier]
        assert channels.posters == [bot]
    finally:
        await app.close()
        await fake.stop()
