"""A running bot with the Zoom adapter, a SQLite file and a fake clock, for each test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.core.clock import FakeClock
from bot.core.domain import Session
from tests.adapters.zoom.harness import ZoomBot, running_bot
from tests.fakes.casts import zoom_cast

TZ = ZoneInfo("America/New_York")
START = datetime(2026, 11, 16, 18, 0, tzinfo=TZ)  # a Monday, 6 PM local


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START - timedelta(hours=1))


@pytest.fixture
async def bot(tmp_path: Path, clock: FakeClock) -> AsyncIterator[ZoomBot]:
    async with running_bot(zoom_cast(tmp_path / "bot.db"), clock) as b:
        yield b


@pytest.fixture
async def session(bot: ZoomBot) -> Session:
    return await bot.app.engine.create_session(
        group_id="evening-a", start=START, minutes=180, actor_id="test"
    )


def local(hh: int, mm: int = 0, ss: int = 0) -> datetime:
    return START.replace(hour=hh, minute=mm, second=ss)
