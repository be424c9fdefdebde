"""The top of the hour on Slack: signed /checkin slash commands against rollcall's
`POST /slack/events` (real SQLite file, durable write before the ack) and against a bare
slack-bolt app that only verifies the signature and acks. Loopback only.

    python -m benchmarks.slack_checkin [--requests 600] [--concurrency 20] [--json FILE]

Each server runs in its own process (the client in this one), so the two compete for
the same two cores the way a deployment would. Every request is a different
participant's first check-in. Prints throughput of both, their ratio (target ≥ 0.75)
and the client-side ack latency p50/p99 (target p99 < 100 ms).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import AsyncIterator
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from slack_sdk.signature import SignatureVerifier

from benchmarks._load import burst

SECRET = "bench-signing-secret"
NOW = datetime(2026, 5, 4, 22, 5, tzinfo=UTC)  # Monday 18:05 New York: sessions are open
GROUP_SIZE = 15
ROOT = str(Path(__file__).resolve().parents[1])
PYTHONPATH = os.environ.get("PYTHONPATH", "")
TIME_LIMIT = 120.0  # seconds per server, whatever the request count


# --- the servers (child processes) -------------------------------------------------------


async def _fake_web_api() -> tuple[web.AppRunner, str]:
    """auth.test is all either bolt app calls (once, then cached)."""

    async def api(request: web.Request) -> web.Response:
        return web.json_response(
            {"ok": True, "user_id": "UBOT", "bot_id": "B1", "team_id": "T1", "team": "t"}
        )

    app = web.Application()
    app.router.add_post("/api/{method}", api)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = next(a[1] for a in runner.addresses if isinstance(a, tuple))
    return runner, f"http://127.0.0.1:{port}/api/"


def _config_text(db: Path | None, api: str, people: int) -> str:
    """`people` participants in groups of 15, all in a session open now; `db` None: memory."""
    url = f"sqlite:///{db}" if db is not None else "memory://"
    lines = [
        f'[storage]\nurl = "{url}"',
        "[server]\nport = 0",
        "[slack]\nenabled = true",
        'bot_token = "xoxb-bench"',
        f'signing_secret = "{SECRET}"',
        f'api_base_url = "{api}"',
        '[program]\nname = "Bench"\ntimezone = "America/New_York"',
    ]
    for i in range(people):
        lines.append(f'[[people]]\nid = "p-{i:04d}"\ndisplay_name = "P{i}"')
        lines.append(f'slack_user_id = "U{i:06d}"')
    lines.append('[[people]]\nid = "f-1"\ndisplay_name = "F"\nrole = "facilitator"')
    for g in range(0, people, GROUP_SIZE):
        members = ", ".join(f'"p-{i:04d}"' for i in range(g, min(g + GROUP_SIZE, people)))
        lines.append(
            f'[[groups]]\nid = "g-{g // GROUP_SIZE:03d}"\nname = "Group {g // GROUP_SIZE}"\n'
            'schedule = { rrule = "FREQ=DAILY", start = "18:00", minutes = 180 }\n'
            f'facilitators = ["f-1"]\nparticipants = [{members}]\n'
            f'slack_channel = "C{g // GROUP_SIZE:05d}"'
        )
    return "\n".join(lines) + "\n"


async def _serve_ours(people: int, db: Path | None) -> web.AppRunner:
    from adapters.slack.adapter import SlackAdapter
    from bot.config import parse_config
    from bot.core.clock import FakeClock
    from bot.shell.app import open_app
    from bot.shell.gc_tuning import settle_memory
    from bot.shell.web import make_web_app, start_server

    _, api = await _fake_web_api()
    config = parse_config(_config_text(db, api, people))
    app = await open_app(config, clock=FakeClock(NOW))
    adapter = SlackAdapter(config.slack, app.engine)
    web_app = make_web_app(app.store)
    adapter.add_routes(web_app)
    runner = await start_server(web_app, "127.0.0.1", 0)
    settle_memory()  # as `rollcall run` does once it has started
    return runner


async def _serve_bare(*, inline: bool) -> web.AppRunner:
    """bolt's defaults (`inline` False): the listener runs in a task and bolt polls for
    its ack every 10 ms. `inline`: process_before_response, as rollcall runs it — no
    polling, so the fastest a bolt app can ack."""
    from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
    from slack_bolt.app.async_app import AsyncApp
    from slack_bolt.context.ack.async_ack import AsyncAck
    from slack_sdk.web.async_client import AsyncWebClient

    _, api = await _fake_web_api()
    bolt = AsyncApp(
        signing_secret=SECRET,
        client=AsyncWebClient(token="xoxb", base_url=api),
        process_before_response=inline,
    )

    @bolt.command(re.compile(r"^/"))
    async def ack_only(ack: AsyncAck) -> None:
        await ack(response_type="ephemeral", text="ok")

    async def events(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await bolt.async_dispatch(await to_bolt_request(request)))

    app = web.Application()
    app.router.add_post("/slack/events", events)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    return runner


async def _serve(kind: str, people: int, store: str) -> None:
    logging.basicConfig(level=logging.ERROR)
    with tempfile.TemporaryDirectory(prefix="rollcall-bench-") as tmp:
        db = Path(tmp) / "bench.db" if store == "sqlite" else None
        if kind == "ours":
            runner = await _serve_ours(people, db)
        else:
            runner = await _serve_bare(inline=kind == "bare-inline")
        port = next(a[1] for a in runner.addresses if isinstance(a, tuple))
        print(port, flush=True)
        # stop when the parent closes our stdin (or after the time limit)
        await asyncio.wait_for(asyncio.to_thread(sys.stdin.read), TIME_LIMIT * 2)
        await runner.cleanup()


# --- the client (this process) -----------------------------------------------------------


class _ResponseSink:
    """Where response_urls point: counts the answers that come after the ack."""

    def __init__(self) -> None:
        self.answers = 0
        self.runner: web.AppRunner | None = None
        self.url = ""

    async def start(self) -> None:
        async def respond(request: web.Request) -> web.Response:
            if "checked in" in await request.text():
                self.answers += 1
            return web.Response(text="ok")

        app = web.Application()
        app.router.add_post("/respond", respond)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", 0).start()
        port = next(a[1] for a in self.runner.addresses if isinstance(a, tuple))
        self.url = f"http://127.0.0.1:{port}/respond"

    async def close(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()


SINK = _ResponseSink()


def _body(i: int) -> str:
    return urllib.parse.urlencode(
        {
            "command": "/checkin",
            "text": "",
            "user_id": f"U{i:06d}",
            "channel_id": f"C{i // GROUP_SIZE:05d}",
            "channel_name": "group",
            "team_id": "T1",
            "response_url": SINK.url or "http://127.0.0.1:9/unused",
            "trigger_id": f"trig-{i}",
        }
    )


async def _load(
    kind: str, port: int, *, first: int, count: int, concurrency: int, expect: str
) -> dict[str, Any]:
    """Participants first … first + count - 1 check in, `concurrency` requests at a time.
    Besides the burst's figures: how many were acked "Working on it…" past the ack
    deadline and answered through response_url instead."""
    url = f"http://127.0.0.1:{port}/slack/events"
    verifier = SignatureVerifier(SECRET)
    answered_before = SINK.answers

    async def send(http: aiohttp.ClientSession, i: int) -> bool:
        body = _body(i)
        ts = str(int(time.time()))
        headers = {
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": verifier.generate_signature(timestamp=ts, body=body) or "",
            "Content-Type": "application/x-www-form-urlencoded",
        }
        async with http.post(url, data=body, headers=headers) as resp:
            text = await resp.text()
        return resp.status == 200 and expect in text

    numbers = range(first, first + count)
    result = await burst(kind, send, numbers, concurrency=concurrency, time_limit=TIME_LIMIT)
    await asyncio.sleep(0.5)  # answers still on their way to response_url
    return {**asdict(result), "answered_late": SINK.answers - answered_before}


@contextlib.asynccontextmanager
async def _server(kind: str, people: int, store: str) -> AsyncIterator[int]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "benchmarks.slack_checkin",
        "--serve",
        kind,
        "--requests",
        str(people),
        "--store",
        store,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, (ROOT, PYTHONPATH)))},
    )
    assert proc.stdout is not None and proc.stdin is not None
    line = await asyncio.wait_for(proc.stdout.readline(), 120)
    try:
        yield int(line)
    finally:
        proc.stdin.close()
        try:
            await asyncio.wait_for(proc.wait(), 10)
        except TimeoutError:
            proc.kill()
            await proc.wait()


async def bench(count: int, concurrency: int, store: str) -> dict[str, Any]:
    warmup = 20
    results: dict[str, dict[str, Any]] = {}
    await SINK.start()
    try:
        for kind, expect in (("bare", "ok"), ("bare-inline", "ok"), ("ours", "checked in")):
            async with _server(kind, count + warmup, store) as port:
                # bolt's auth.test, SQLite's first pages: the first participants warm up
                await _load(kind, port, first=0, count=warmup, concurrency=4, expect="")
                results[kind] = await _load(
                    kind, port, first=warmup, count=count, concurrency=concurrency, expect=expect
                )
    finally:
        await SINK.close()
    ours = results["ours"]["throughput"]
    return {
        **results,
        "ratio": round(ours / results["bare"]["throughput"], 3),
        "ratio_inline": round(ours / results["bare-inline"]["throughput"], 3),
        "targets": {"ratio": 0.75, "p99_ms": 100},
        "concurrency": concurrency,
        "store": store,
        "cpus": os.cpu_count(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=600)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--json", type=Path)
    parser.add_argument(
        "--store",
        choices=("sqlite", "memory"),
        default="sqlite",
        help="memory: the same run without storage, to see what storage costs",
    )
    parser.add_argument(
        "--breakdown",
        action="store_true",
        help="time each store call of sequential check-ins (no HTTP) instead",
    )
    parser.add_argument("--serve", choices=("ours", "bare", "bare-inline"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.breakdown:
        from benchmarks.breakdown import breakdown

        asyncio.run(breakdown(args.requests))
        return 0
    if args.serve:
        asyncio.run(_serve(args.serve, args.requests, args.store))
        return 0
    report = asyncio.run(bench(args.requests, args.concurrency, args.store))
    for kind in ("bare", "bare-inline", "ours"):
        r = report[kind]
        print(
            f"{kind:11}: {r['ok']}/{r['requests']} answered in the ack in {r['seconds']} s = "
            f"{r['throughput']} req/s; ack p50 {r['p50_ms']} ms, p99 {r['p99_ms']} ms, "
            f"max {r['max_ms']} ms; {r['answered_late']} answered late via response_url"
        )
    print(f"ratio ours/bare: {report['ratio']} (target ≥ 0.75); ours p99 target < 100 ms")
    print(f"ratio ours/bare-inline: {report['ratio_inline']} (the stricter baseline)")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
