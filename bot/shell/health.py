"""What /readyz checks, and the sampler that keeps the gauges of /metrics fresh.

Ready means: storage answers, the schema is at the newest migration, every enabled
adapter is connected, and the scheduler ticks. Anything else is a reason, and the
reasons are what /readyz answers with its 503 (no ids, no names: operators only).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from bot.core.logging_policy import describe
from bot.core.ports import Clock, Store
from bot.shell import metrics

log = logging.getLogger("rollcall.health")

#: seconds between two samples of the gauges (outbox, loop lag, adapters)
SAMPLE_SECONDS = 5.0


class Named(Protocol):
    name: str


class Ticking(Protocol):
    def ticking(self) -> str | None: ...


def connected(adapter: Named) -> bool:
    """An adapter says whether it is connected; a webhook-only one is while it serves."""
    return bool(getattr(adapter, "is_connected", True))


@dataclass(kw_only=True)
class Readiness:
    store: Store
    storage_url: str
    adapters: Sequence[Named] = ()
    scheduler: Ticking | None = None
    _at_head: bool = field(default=False, init=False)

    async def problems(self) -> list[str]:
        reasons: list[str] = []
        if not await self.store.ping():
            return ["storage does not answer"]
        migration = await self._migration()
        if migration:
            reasons.append(migration)
        for adapter in self.adapters:
            if not connected(adapter):
                reasons.append(f"{adapter.name} is not connected")
        if self.scheduler is not None:
            why = self.scheduler.ticking()
            if why:
                reasons.append(why)
        return reasons

    async def _migration(self) -> str | None:
        if self._at_head or self.storage_url == "memory://":
            return None
        from storage.migrate import current_revision, head_revision

        try:
            current = await current_revision(self.storage_url)
        except Exception as e:
            log.warning("reading the schema version failed: %s", describe(e))
            return "cannot read the schema version"
        head = head_revision()
        if current != head:
            return (
                f"database at migration {current or 'none'}, expected {head} (rollcall db upgrade)"
            )
        self._at_head = True  # the schema does not move back under a running bot
        return None


class Monitor:
    """Samples the gauges every `interval` seconds: the event loop's lag (how late a
    sleeping task wakes), the outbox backlog, and each adapter's connection."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        adapters: Sequence[Named] = (),
        *,
        interval: float = SAMPLE_SECONDS,
    ) -> None:
        self.store = store
        self.clock = clock
        self.adapters = adapters
        self.interval = interval
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="monitor")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        delay = 0.0
        while True:
            started = loop.time()
            await asyncio.sleep(delay)
            metrics.LOOP_LAG.set(max(0.0, loop.time() - started - delay))
            delay = self.interval
            try:
                await self.sample()
            except Exception as e:
                log.warning("sampling the gauges failed: %s", describe(e))

    async def sample(self) -> None:
        for adapter in self.adapters:
            metrics.CONNECTED.labels(platform=adapter.name).set(1 if connected(adapter) else 0)
        now = self.clock.now()
        depth, oldest = await self.store.outbox_backlog(now)
        metrics.OUTBOX_DEPTH.set(depth)
        metrics.OUTBOX_OLDEST.set(max(0.0, (now - oldest).total_seconds()) if oldest else 0.0)
