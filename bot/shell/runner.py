"""`rollcall run`: the long-running process (server, scheduler, adapters, console),
wired from what bot.shell.app builds.

Kept apart from bot.shell.app so that the short CLI commands don't import what only a
running bot needs (the web server, the scheduler, the platform SDKs)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import sys
from datetime import timedelta
from typing import Protocol, TextIO

from bot.config import Config
from bot.core.logging_policy import describe
from bot.core.outreach.autopilot import Autopilot
from bot.core.outreach.delivery import LEASE, Dispatcher
from bot.core.retention import Retention
from bot.core.seed import materialize
from bot.shell import metrics
from bot.shell.app import (
    add_calendar_feed,
    build_adapters,
    build_channels,
    build_dashboard,
    console_adapter,
    open_app,
    reply_link,
    scheduler_leader,
)
from bot.shell.gc_tuning import settle_memory
from bot.shell.health import SAMPLE_SECONDS, Monitor, Readiness
from bot.shell.scheduler import TICK_SECONDS, Scheduler
from bot.shell.web import bound_port, make_web_app, start_server
from storage.backup import RunLock, sqlite_path

log = logging.getLogger("rollcall.app")


class Console(Protocol):
    """The console adapter, as the running process uses it."""

    async def run(self) -> None: ...
    def stop(self) -> None: ...


async def run(
    config: Config,
    *,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    stop: asyncio.Event | None = None,
) -> int:
    """`rollcall run`: the HTTP server, the scheduler, and the enabled adapters (the
    console when no platform is enabled). Stops on SIGTERM/SIGINT or end of console input."""
    app = await open_app(config)
    run_lock = await _hold_run_lock(config.storage_url)
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    readiness = Readiness(store=app.store, storage_url=config.storage_url)
    web_app = make_web_app(app.store, readiness)
    platforms = build_adapters(config, app.engine)
    readiness.adapters = platforms
    adapters = [build_dashboard(config, app.engine, app.clock), *platforms]
    for adapter in adapters:
        adapter.add_routes(web_app)
    add_calendar_feed(web_app, app.engine)
    runner = await start_server(web_app, config.server.host, config.server.port)
    for adapter in adapters:
        await adapter.start()
    log.info("listening on %s:%d", config.server.host, bound_port(runner))
    settle_memory()
    tasks: list[asyncio.Task[None]] = []
    console: Console | None = None
    if not (config.slack.enabled or config.discord.enabled):
        console = console_adapter(app.engine, stdin=stdin or sys.stdin, stdout=stdout or sys.stdout)
        tasks.append(asyncio.create_task(_console_then_stop(console, stop), name="console"))
    channels = build_channels(config, adapters, console)
    tick_seconds = _env_seconds("ROLLCALL_TICK_SECONDS", TICK_SECONDS)
    dispatcher = Dispatcher(
        app.store,
        app.clock,
        notifiers=channels.notifiers,
        posters=channels.posters,
        worker=f"{socket.gethostname()}:{os.getpid()}",
        lease=timedelta(
            seconds=_env_seconds("ROLLCALL_OUTBOX_LEASE_SECONDS", LEASE.total_seconds())
        ),
        program=config.program,
        zones=channels.zones,
        reply_link=reply_link(config),
        telemetry=metrics.TELEMETRY,
        drain_seconds=tick_seconds,
    )

    async def materialize_ahead() -> int:
        return await materialize(app.store, config, app.clock.now())

    autopilot = Autopilot(
        app.engine, config, dispatcher, store=app.store, materialize=materialize_ahead
    )
    scheduler = Scheduler(
        autopilot,
        scheduler_leader(config),
        tick_seconds=tick_seconds,
        retention=Retention(app.store, app.clock, config.privacy),
    )
    scheduler.start()
    readiness.scheduler = scheduler
    monitor = Monitor(
        app.store,
        app.clock,
        platforms,
        interval=_env_seconds("ROLLCALL_SAMPLE_SECONDS", SAMPLE_SECONDS),
    )
    monitor.start()
    try:
        await stop.wait()
    finally:
        if console is not None:
            console.stop()
        await monitor.stop()
        await scheduler.stop()
        await channels.close()
        for adapter in reversed(adapters):
            try:
                await adapter.stop()
            except Exception as e:
                log.error("stopping the %s adapter failed: %s", adapter.name, describe(e))
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await runner.cleanup()
        await app.close()
        if run_lock is not None:
            run_lock.release()
    return 0


async def _hold_run_lock(url: str) -> RunLock | None:
    """On SQLite: tell `rollcall restore` and `db downgrade` that a bot runs here."""
    db = sqlite_path(url)
    if db is None:
        return None
    lock = RunLock(db)
    await asyncio.to_thread(lock.acquire_shared)
    return lock


def _env_seconds(name: str, default: float) -> float:
    """Operator tuning knobs (how often the scheduler wakes, how long a claim lasts)."""
    raw = os.environ.get(name, "")
    try:
        value = float(raw) if raw else default
    except ValueError:
        log.warning("%s is not a number; using %s", name, default)
        return default
    return value if value > 0 else default


async def _console_then_stop(console: Console, stop: asyncio.Event) -> None:
    try:
        await console.run()
    finally:
        stop.set()
