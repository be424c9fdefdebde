"""/healthz says the process is alive; /readyz says it can take traffic: storage answers,
the schema is at head, every enabled adapter is connected, the scheduler ticks — else
503 with every reason."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from bot.shell.health import Readiness
from bot.shell.web import bound_port, make_web_app, start_server
from storage.migrate import downgrade, upgrade
from storage.sql import open_store


@dataclass
class Platform:
    name: str
    is_connected: bool = True


@dataclass
class Ticks:
    why: str | None = None

    def ticking(self) -> str | None:
        return self.why


@asynccontextmanager
async def serving(readiness: Readiness) -> AsyncIterator[str]:
    runner = await start_server(make_web_app(readiness.store, readiness), "127.0.0.1", 0)
    try:
        yield f"http://127.0.0.1:{bound_port(runner)}"
    finally:
        await runner.cleanup()


async def get(url: str) -> tuple[int, Any]:
    async with aiohttp.ClientSession() as http, http.get(url) as resp:
        assert resp.headers["Cache-Control"] == "no-store"
        return resp.status, await resp.json()


async def test_readyz_names_every_reason_and_healthz_stays_alive(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'r.db'}"
    await upgrade(url, "0001")
    store = await open_store(url)
    discord, ticks = Platform("discord", is_connected=False), Ticks("scheduler has not ticked")
    readiness = Readiness(
        store=store, storage_url=url, adapters=[Platform("slack"), discord], scheduler=ticks
    )
    closed = False
    try:
        async with serving(readiness) as base:
            status, body = await get(f"{base}/readyz")
            assert status == 503
            assert body["status"] == "not ready"
            reasons = body["reasons"]
            assert len(reasons) == 3, reasons
            assert "database at migration 0001" in reasons[0]
            assert "rollcall db upgrade" in reasons[0]
            assert reasons[1:] == ["discord is not connected", "scheduler has not ticked"]
            assert await get(f"{base}/healthz") == (200, {"status": "ok"})

            await upgrade(url)
            discord.is_connected = True
            ticks.why = None
            assert await get(f"{base}/readyz") == (200, {"status": "ready"})

            await store.close()  # storage gone: not ready, still alive
            closed = True
            await downgrade(url, "base")
            (tmp_path / "r.db").unlink()
            (tmp_path / "r.db").mkdir()  # nothing can open it now
            store2 = await open_store(url)
            readiness.store = store2
            try:
                status, body = await get(f"{base}/readyz")
                assert (status, body["reasons"]) == (503, ["storage does not answer"])
                assert (await get(f"{base}/healthz"))[0] == 200
            finally:
                await store2.close()
    finally:
        if not closed:
            await store.close()


async def test_a_scheduler_that_never_started_or_stopped_ticking_is_a_reason() -> None:
    from bot.shell.scheduler import Scheduler
    from storage.leader import AlwaysLeader

    scheduler = Scheduler(None, AlwaysLeader(), tick_seconds=1)  # type: ignore[arg-type]
    assert scheduler.ticking() == "scheduler not started"
    scheduler.started_at = 0.0  # started long ago (time.monotonic's epoch), never ticked
    assert scheduler.ticking() == "scheduler has not ticked since start"
    scheduler.last_tick = 1.0
    why = scheduler.ticking()
    assert why is not None and why.startswith("scheduler has not ticked for ")
