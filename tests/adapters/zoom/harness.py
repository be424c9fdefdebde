"""A running bot with the Zoom adapter for the Zoom sender (tests/fakes/zoom.py).

`running_bot(config_text, clock)` opens the real app (SQLite file, migrations),
mounts the Zoom adapter on the real aiohttp server on 127.0.0.1 (port 0) and
yields a `ZoomBot` whose `send` posts a payload signed as Zoom signs it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import aiohttp

from adapters.zoom.adapter import ZoomAdapter
from bot.config import parse_config
from bot.core.clock import FakeClock
from bot.shell.app import App, open_app
from bot.shell.metrics import TELEMETRY
from bot.shell.web import bound_port, make_web_app, start_server
from tests.fakes.zoom import SECRET, Response, post_signed


@dataclass(kw_only=True)
class ZoomBot:
    app: App
    adapter: ZoomAdapter
    clock: FakeClock
    url: str
    http: aiohttp.ClientSession

    async def send(
        self,
        doc: Mapping[str, Any] | bytes,
        *,
        timestamp: int | None = None,
        secret: str = SECRET,
        headers: Mapping[str, str] | None = None,
        settle: bool = True,
    ) -> Response:
        """POST as Zoom does; by default also wait for the records to be recomputed."""
        stamp = str(timestamp if timestamp is not None else int(self.clock.now().timestamp()))
        response = await post_signed(
            self.http, self.url, doc, stamp=stamp, secret=secret, headers=headers
        )
        if settle:
            await self.adapter.idle()
        return response

    async def ledger_size(self) -> int:
        return (await self.app.store.chain_head("ledger"))[0]


@asynccontextmanager
async def running_bot(
    config_text: str, clock: FakeClock, *, settle_seconds: float = 0.0
) -> AsyncIterator[ZoomBot]:
    config = parse_config(config_text, {})
    app = await open_app(config, clock=clock)
    adapter = ZoomAdapter(
        config.zoom, app.engine, settle_seconds=settle_seconds, telemetry=TELEMETRY
    )
    web_app = make_web_app(app.store)
    adapter.add_routes(web_app)
    runner = await start_server(web_app, "127.0.0.1", 0)
    await adapter.start()
    http = aiohttp.ClientSession()
    try:
        yield ZoomBot(
            app=app,
            adapter=adapter,
            clock=clock,
            url=f"http://127.0.0.1:{bound_port(runner)}/zoom/webhook",
            http=http,
        )
    finally:
        await http.close()
        await adapter.stop()
        await runner.cleanup()
        await app.close()
