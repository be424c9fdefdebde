from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import discord
import pytest

from adapters.discord.adapter import DEFAULT_API, DISCORD_GATEWAY
from tests.adapters.discord.harness import Harness

TZ = ZoneInfo("America/New_York")
START = datetime(2026, 11, 30, 18, 0, tzinfo=TZ)  # a Monday, 6 PM


@pytest.fixture
async def h(tmp_path: Path) -> AsyncIterator[Harness]:
    """The bot on a session Mon 6–9 PM, connected to the stand-in Discord at 5:50 PM."""
    harness = Harness(tmp_path, START - timedelta(minutes=10))
    try:
        await harness.start()
        await harness.engine_app.engine.create_session(
            group_id="evening-a", start=START, minutes=180, actor_id="test"
        )
        yield harness
    finally:
        await harness.stop()


@pytest.fixture(autouse=True)
def _discord_points_at_discord_again() -> Iterator[None]:
    """The adapter sets discord.py's API base and gateway (process-wide): undo it."""
    yield
    discord.http.Route.BASE = DEFAULT_API
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = DISCORD_GATEWAY
