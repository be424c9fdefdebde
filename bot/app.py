"""The composition root: the one place that builds concrete things and wires them."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import TextIO

from bot.clock import SystemClock
from bot.config import Config
from bot.engine import Engine
from bot.ports import Clock, Store
from bot.seed import materialize, seed
from storage.memory import MemoryStore
from storage.migrate import upgrade
from storage.sql import open_store

log = logging.getLogger("rollcall.app")


@dataclass(kw_only=True)
class App:
    config: Config
    store: Store
    engine: Engine
    clock: Clock

    async def close(self) -> None:
        await self.store.close()


async def open_app(
    config: Config, *, clock: Clock | None = None, migrate: bool = True, store: Store | None = None
) -> App:
    """Migrate, open the store, seed people/groups/enrollments and the coming sessions."""
    clock = clock or SystemClock()
    if store is None:
        if config.storage_url == "memory://":
            store = MemoryStore()
        else:
            if migrate:
                await upgrade(config.storage_url)
            store = await open_store(config.storage_url)
    now = clock.now()
    await seed(store, config, now)
    await materialize(store, config, now)
    engine = Engine(
        store=store, clock=clock, program=config.program, survey=config.survey.questions
    )
    return App(config=config, store=store, engine=engine, clock=clock)


async def run(
    config: Config,
    *,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    stop: asyncio.Event | None = None,
) -> int:
    """`rollcall run` (see bot.runner)."""
    from bot.runner import run as run_bot

    return await run_bot(config, stdin=stdin, stdout=stdout, stop=stop)
