"""Periodic upkeep while running: materialize coming sessions, end the ones that are over."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta

from bot.config import Config
from bot.domain import SessionState
from bot.engine import Engine
from bot.seed import materialize

log = logging.getLogger("rollcall.housekeeping")
TICK_SECONDS = 30.0


class Housekeeper:
    def __init__(self, engine: Engine, config: Config) -> None:
        self.engine = engine
        self.config = config

    async def tick(self) -> None:
        services = self.engine.services
        now = services.clock.now()
        await materialize(services.store, self.config, now)
        grace = timedelta(seconds=services.program.policy.reconnect_merge_seconds)
        overdue = await services.store.list_sessions(
            start_from=now - timedelta(days=2), start_to=now, states=[SessionState.SCHEDULED]
        )
        for s in overdue:
            if s.end + grace <= now:
                await services.sessions.end(s.id, actor_id="system")

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.tick()
            except Exception:
                log.exception("housekeeping tick failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), TICK_SECONDS)
