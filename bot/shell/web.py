"""The one aiohttp server: health, metrics, and the routes adapters add."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from bot.core.logging_policy import describe
from bot.core.ports import Store
from bot.shell import metrics

log = logging.getLogger("rollcall.web")
STORE_KEY = web.AppKey("store", object)


async def healthz(request: web.Request) -> web.Response:
    store = request.app[STORE_KEY]
    ok = await store.ping()  # type: ignore[attr-defined]
    if ok:
        return web.json_response({"status": "ok"})
    return web.json_response({"status": "storage unavailable"}, status=503)


async def metrics_view(request: web.Request) -> web.Response:
    return web.Response(
        body=metrics.render(), headers={"Content-Type": "text/plain; version=0.0.4; charset=utf-8"}
    )


@web.middleware
async def no_tracebacks(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Anything unexpected is a plain 500 with no detail; HTTP errors pass as they are."""
    try:
        return await handler(request)
    except web.HTTPException:
        raise
    except Exception as e:
        log.error("request to %s failed: %s", request.path, describe(e))
        return web.json_response({"error": "internal error"}, status=500)


def make_web_app(store: Store) -> web.Application:
    app = web.Application(middlewares=[no_tracebacks], client_max_size=1024 * 1024)
    app[STORE_KEY] = store
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics_view)
    return app


async def start_server(app: web.Application, host: str, port: int) -> web.AppRunner:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    return runner


def bound_port(runner: web.AppRunner) -> int:
    for addr in runner.addresses:
        if isinstance(addr, tuple):
            return int(addr[1])
    raise RuntimeError("server is not listening")
