"""APScheduler 3.11 only wakes rollcall up; what is due lives in our own tables.

One process is the scheduler leader (PostgreSQL advisory lock, or a lock file next to
a SQLite database); every process delivers the outbox.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime
from typing import Protocol

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.core.logging_policy import describe
from bot.core.outreach.autopilot import Autopilot
from bot.core.retention import Retention
from bot.shell import metrics

log = logging.getLogger("rollcall.scheduler")
TICK_SECONDS = 15


class Leadership(Protocol):
    async def try_acquire(self) -> bool:
        """True while this process is (or has just become) the leader."""
        ...

    async def release(self) -> None: ...

    def why_not(self) -> str:
        """Why this process is not the leader, for the log."""
        ...


class Scheduler:
    def __init__(
        self,
        autopilot: Autopilot,
        leadership: Leadership,
        tick_seconds: float = TICK_SECONDS,
        retention: Retention | None = None,
    ) -> None:
        self.autopilot = autopilot
        self.retention = retention
        self.leadership = leadership
        self.tick_seconds = tick_seconds
        self._aps = AsyncIOScheduler(timezone="UTC")
        self._leader: bool | None = None
        self._running: asyncio.Task[object] | None = None
        self._stopping = False
        #: time.monotonic() of the end of the last tick (for /readyz)
        self.last_tick: float | None = None
        self.started_at: float | None = None

    async def tick(self) -> None:
        self._running = asyncio.current_task()
        try:
            await self._tick()
        except asyncio.CancelledError:
            if not self._stopping:
                raise
            # cancelled by stop(): the next start picks up where this left off
        finally:
            self._running = None

    async def _tick(self) -> None:
        leader = await self.leadership.try_acquire()
        if leader != self._leader:
            if leader:
                log.info("this process is the scheduler leader")
            else:
                log.warning("scheduler not started here: %s", self.leadership.why_not())
            self._leader = leader
        metrics.LEADER.set(1 if leader else 0)
        try:
            await self.autopilot.tick(leader=leader)
        except Exception as e:
            log.error("scheduler tick failed: %s", describe(e))
        if leader and self.retention is not None:
            try:
                await self.retention.tick()
            except Exception as e:
                log.error("retention purge failed: %s", describe(e))
        metrics.TICKS.inc()
        self.last_tick = time.monotonic()

    def ticking(self) -> str | None:
        """None while the scheduler ticks on time, else why not (for /readyz)."""
        now = time.monotonic()
        allowed = max(3 * self.tick_seconds, 30.0)
        if self.last_tick is None:
            if self.started_at is None:
                return "scheduler not started"
            if now - self.started_at > allowed:
                return "scheduler has not ticked since start"
            return None
        if now - self.last_tick > allowed:
            return f"scheduler has not ticked for {now - self.last_tick:.0f} s"
        return None

    def start(self) -> None:
        # no job store I/O: a memory job store; misfires coalesce into one run
        self._aps.add_job(
            self.tick,
            "interval",
            seconds=self.tick_seconds,
            id="tick",
            max_instances=1,
            coalesce=True,
            misfire_grace_time=None,
            next_run_time=datetime.now(UTC),  # at once: rebuilds the plan after a restart
        )
        self._aps.start()
        self.started_at = time.monotonic()

    async def stop(self, grace: float = 5.0) -> None:
        """Stop waking up; let a tick in flight finish (up to `grace` seconds), else
        cancel it. Nothing is lost either way: what is due lives in the store."""
        self._stopping = True
        if self._aps.running:
            self._aps.shutdown(wait=False)
        task = self._running
        if task is not None and not task.done():
            done, _ = await asyncio.wait({task}, timeout=grace)
            if not done:
                task.cancel()
                await asyncio.wait({task}, timeout=grace)
        await self.leadership.release()
        metrics.LEADER.set(0)
