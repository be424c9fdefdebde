"""The one aiohttp server: health, metrics, and the routes adapters add."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable

from aiohttp import web

from bot.core.logging_policy import describe
from bot.core.ports import Store
from bot.shell import metrics
from bot.shell.health import Readiness

log = logging.getLogger("rollcall.web")
READINESS_KEY = web.AppKey("readiness", Readiness)
NO_STORE = {"Cache-Control": "no-store"}

#: the routes where a platform waits for our answer, for rollcall_ack_seconds
PLATFORM_ROUTES = {"/slack/events": "slack", "/zoom/webhook": "zoom", "/sms/inbound": "sms"}
ACK_SECONDS = "rollcall_ack_seconds"


async def healthz(request: web.Request) -> web.Response:
    """Alive: the process serves requests (a container's HEALTHCHECK, systemd)."""
    return web.json_response({"status": "ok"}, headers=NO_STORE)


async def readyz(request: web.Request) -> web.Response:
    """Ready for traffic: see bot.shell.health.Readiness. 503 names every reason."""
    reasons = await request.app[READINESS_KEY].problems()
    if reasons:
        return web.json_response(
            {"status": "not ready", "reasons": reasons}, status=503, headers=NO_STORE
        )
    return web.json_response({"status": "ready"}, headers=NO_STORE)


async def metrics_view(request: web.Request) -> web.Response:
    return web.Response(
        body=metrics.render(), headers={"Content-Type": "text/plain; version=0.0.4; charset=utf-8"}
    )


@web.middleware
async def time_acks(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """How long a platform waited for our answer, by platform."""
    platform = PLATFORM_ROUTES.get(request.path)
    if platform is None:
        return await handler(request)
    started = time.perf_counter()
    try:
        return await handler(request)
    finally:
        metrics.TELEMETRY.observe(ACK_SECONDS, time.perf_counter() - started, platform=platform)


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
        # the route's template, not the path: sign-in, reply and calendar paths carry tokens
        resource = request.match_info.route.resource
        route = resource.canonical if resource is not None else "unmatched"
        log.error("request to %s failed: %s", route, describe(e))
        return web.json_response({"error": "internal error"}, status=500)


def make_web_app(
    store: Store, readiness: Readiness | None = None, *, storage_url: str = "memory://"
) -> web.Application:
    app = web.Application(middlewares=[time_acks, no_tracebacks], client_max_size=1024 * 1024)
    app[READINESS_KEY] = readiness or Readiness(store=store, storage_url=storage_url)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
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
