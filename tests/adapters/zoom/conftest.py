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
from tests.fakes.zoom import MEETING, SECRET

TZ = ZoneInfo("America/New_York")
START = datetime(2026, 11, 16, 18, 0, tzinfo=TZ)  # a Monday, 6 PM local

CONFIG = """\
[storage]
url = "sqlite:///{db}"

[server]
host = "127.0.0.1"
port = 0

[zoom]
enabled = true
webhook_secret = "{secret}"

[program]
name = "Test IOP"
timezone = "America/New_York"

[[people]]
id = "f-001"
display_name = "Dr. Rivera"
role = "facilitator"

[[people]]
id = "f-002"
display_name = "Dr. Stone"
role = "facilitator"

[[people]]
id = "p-001"
display_name = "Jordan"
zoom_email = "jordan@example.org"

[[people]]
id = "p-002"
display_name = "Morgan"
zoom_registrant_id = "reg-002"

[[people]]
id = "p-003"
display_name = "Avery"
aliases = ["Sam K"]

[[people]]
id = "p-004"
display_name = "Kendall"
zoom_email = "kendall@example.org"

[[people]]
id = "p-005"
display_name = "Riley"
email = "riley@example.org"

[[groups]]
id = "evening-a"
name = "Evening Group A"
facilitators = ["f-001"]
participants = ["p-001", "p-002", "p-003", "p-004", "p-005"]
zoom_meeting_id = "{meeting_spaced}"

[[groups]]
id = "other"
name = "Other Group"
facilitators = ["f-002"]
participants = []
"""


def config_text(db: Path) -> str:
    spaced = f"{MEETING[:3]} {MEETING[3:7]} {MEETING[7:]}"  # as Zoom shows it
    return CONFIG.format(db=db, secret=SECRET, meeting_spaced=spaced)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START - timedelta(hours=1))


@pytest.fixture
async def bot(tmp_path: Path, clock: FakeClock) -> AsyncIterator[ZoomBot]:
    async with running_bot(config_text(tmp_path / "bot.db"), clock) as b:
        yield b


@pytest.fixture
async def session(bot: ZoomBot) -> Session:
    return await bot.app.engine.sessions.create(
        group_id="evening-a", start=START, minutes=180, actor_id="test"
    )


def local(hh: int, mm: int = 0, ss: int = 0) -> datetime:
    return START.replace(hour=hh, minute=mm, second=ss)
