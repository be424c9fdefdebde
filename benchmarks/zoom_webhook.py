"""A whole program joining at once on Zoom: signed `meeting.participant_joined` webhooks
against rollcall's `POST /zoom/webhook` (real SQLite file, durable write before the
ack, records recomputed in the background) and against a bare aiohttp handler that
only verifies the HMAC and answers 200. Loopback only.

    python -m benchmarks.zoom_webhook [--requests 2000] [--concurrency 50] [--json FILE]

Each server runs in its own process (the client in this one). Every request is a
different join (its own participant uuid) of one of 300 configured people in 20
groups, each group bound to its own meeting. Prints the throughput of both, their
ratio (target ≥ 0.5) and the client-side ack latency p50/p99 (Zoom wants < 3 s).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import hmac
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from benchmarks._load import Burst, burst

SECRET = "bench-zoom-secret"
NOW = datetime(2026, 5, 4, 22, 5, tzinfo=UTC)  # Monday 18:05 New York: sessions are open
PEOPLE = 300
GROUP_SIZE = 15
ROOT = str(Path(__file__).resolve().parents[1])
TIME_LIMIT = 120.0  # seconds per server, whatever the request count


def _meeting(group: int) -> str:
    return f"8574635{group:04d}"


def _sign(stamp: str, body: bytes) -> str:
    mac = hmac.new(SECRET.encode(), b"v0:" + stamp.encode() + b":" + body, hashlib.sha256)
    return "v0=" + mac.hexdigest()


# --- the servers (child processes) -------------------------------------------------------


def _config_text(db: Path) -> str:
    lines = [
        f'[storage]\nurl = "sqlite:///{db}"',
        "[server]\nport = 0",
        f'[zoom]\nenabled = true\nwebhook_secret = "{SECRET}"',
        '[program]\nname = "Bench"\ntimezone = "America/New_York"',
        '[[people]]\nid = "f-1"\ndisplay_name = "F"\nrole = "facilitator"',
    ]
    for i in range(PEOPLE):
        lines.append(f'[[people]]\nid = "p-{i:04d}"\ndisplay_name = "P{i}"')
        lines.append(f'zoom_email = "p{i}@example.org"')
    for g in range(PEOPLE // GROUP_SIZE):
        members = ", ".join(f'"p-{i:04d}"' for i in range(g * GROUP_SIZE, (g + 1) * GROUP_SIZE))
        lines.append(
            f'[[groups]]\nid = "g-{g:03d}"\nname = "Group {g}"\n'
            'schedule = { rrule = "FREQ=DAILY", start = "18:00", minutes = 180 }\n'
            f'facilitators = ["f-1"]\nparticipants = [{members}]\n'
            f'zoom_meeting_id = "{_meeting(g)}"'
        )
    return "\n".join(lines) + "\n"


async def _serve_ours(workdir: Path) -> tuple[web.AppRunner, Any]:
    from adapters.zoom.adapter import ZoomAdapter
    from bot.config import parse_config
    from bot.core.clock import FakeClock
    from bot.shell.app import open_app
    from bot.shell.gc_tuning import settle_memory
    from bot.shell.web import make_web_app, start_server

    config = parse_config(_config_text(workdir / "bench.db"))
    app = await open_app(config, clock=FakeClock(NOW))
    adapter = ZoomAdapter(config.zoom, app.engine)
    web_app = make_web_app(app.store)
    adapter.add_routes(web_app)
    runner = await start_server(web_app, "127.0.0.1", 0)
    await adapter.start()
    settle_memory()  # as `rollcall run` does once it has started
    return runner, adapter


async def _serve_bare() -> web.AppRunner:
    async def webhook(request: web.Request) -> web.Response:
        body = await request.read()
        stamp = request.headers.get("x-zm-request-timestamp", "")
        given = request.headers.get("x-zm-signature", "")
        if not hmac.compare_digest(_sign(stamp, body).encode(), given.encode()):
            return web.json_response({"error": "bad signature"}, status=401)
        return web.json_response({"status": "ok"})

    app = web.Application(client_max_size=1024 * 1024)
    app.router.add_post("/zoom/webhook", webhook)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    return runner


async def _serve(kind: str) -> None:
    with tempfile.TemporaryDirectory(prefix="rollcall-bench-") as tmp:
        adapter = None
        if kind == "ours":
            runner, adapter = await _serve_ours(Path(tmp))
        else:
            runner = await _serve_bare()
        port = next(a[1] for a in runner.addresses if isinstance(a, tuple))
        print(port, flush=True)
        # "idle\n" on stdin: report how long the background recomputation still takes;
        # end of stdin (or the time limit): stop
        while line := await asyncio.wait_for(asyncio.to_thread(sys.stdin.readline), TIME_LIMIT * 2):
            if line.strip() == "idle":
                started = time.perf_counter()
                if adapter is not None:
                    await adapter.idle()
                print(round(time.perf_counter() - started, 3), flush=True)
        if adapter is not None:
            await adapter.stop()
        await runner.cleanup()


# --- the client (this process) -----------------------------------------------------------


def _body(i: int) -> bytes:
    person = i % PEOPLE
    joined = NOW - timedelta(minutes=10) + timedelta(milliseconds=137 * i)
    doc = {
        "event": "meeting.participant_joined",
        "event_ts": int(NOW.timestamp() * 1000),
        "payload": {
            "account_id": "AAAAAABBBB",
            "object": {
                "id": _meeting(person // GROUP_SIZE),
                "uuid": f"inst-{person // GROUP_SIZE}==",
                "host_id": "x1yCzABCDEfg23HiJKl4mN",
                "topic": "Evening group",
                "type": 8,
                "start_time": "2026-05-04T21:55:00Z",
                "timezone": "America/New_York",
                "duration": 180,
                "participant": {
                    "user_id": str(16778240 + i),
                    "user_name": f"Participant {person}",
                    "participant_uuid": f"uuid-{i:06d}",
                    "email": f"p{person}@example.org",
                    "registrant_id": "",
                    "join_time": joined.strftime("%Y-%m-%dT%H:%M:%SZ"),
                },
            },
        },
    }
    return json.dumps(doc).encode()


async def _load(kind: str, port: int, *, first: int, count: int, concurrency: int) -> Burst:
    url = f"http://127.0.0.1:{port}/zoom/webhook"
    stamp = str(int(NOW.timestamp()))  # rollcall's clock is fixed at NOW

    async def send(http: aiohttp.ClientSession, i: int) -> bool:
        body = _body(i)
        headers = {
            "content-type": "application/json; charset=utf-8",
            "x-zm-request-timestamp": stamp,
            "x-zm-signature": _sign(stamp, body),
        }
        async with http.post(url, data=body, headers=headers) as resp:
            await resp.read()
        return resp.status == 200

    numbers = range(first, first + count)
    return await burst(kind, send, numbers, concurrency=concurrency, time_limit=TIME_LIMIT)


@dataclass(kw_only=True)
class _Child:
    port: int
    proc: asyncio.subprocess.Process

    async def settle_seconds(self) -> float:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(b"idle\n")
        await self.proc.stdin.drain()
        return float(await asyncio.wait_for(self.proc.stdout.readline(), TIME_LIMIT))


@contextlib.asynccontextmanager
async def _server(kind: str) -> AsyncIterator[_Child]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "benchmarks.zoom_webhook",
        "--serve",
        kind,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": ROOT},
    )
    assert proc.stdout is not None and proc.stdin is not None
    line = await asyncio.wait_for(proc.stdout.readline(), 120)
    try:
        yield _Child(port=int(line), proc=proc)
    finally:
        proc.stdin.close()
        try:
            await asyncio.wait_for(proc.wait(), 30)
        except TimeoutError:
            proc.kill()
            await proc.wait()


async def bench(count: int, concurrency: int) -> dict[str, Any]:
    warmup = 50
    results: dict[str, Burst] = {}
    settle = 0.0
    for kind in ("bare", "ours"):
        async with _server(kind) as child:
            await _load(kind, child.port, first=0, count=warmup, concurrency=4)
            await child.settle_seconds()
            results[kind] = await _load(
                kind, child.port, first=warmup, count=count, concurrency=concurrency
            )
            if kind == "ours":
                settle = await child.settle_seconds()
    ratio = results["ours"].throughput / results["bare"].throughput
    return {
        "bare": asdict(results["bare"]),
        "ours": asdict(results["ours"]),
        "ratio": round(ratio, 3),
        "records_settled_after_s": settle,
        "targets": {"ratio": 0.5, "p99_ms": 3000},
        "concurrency": concurrency,
        "cpus": os.cpu_count(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--serve", choices=("ours", "bare"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        asyncio.run(_serve(args.serve))
        return 0
    if not 1 <= args.requests <= 200_000 or not 1 <= args.concurrency <= 500:
        parser.error("--requests must be 1..200000 and --concurrency 1..500")
    report = asyncio.run(bench(args.requests, args.concurrency))
    for kind in ("bare", "ours"):
        r = report[kind]
        print(
            f"{kind:5}: {r['ok']}/{r['requests']} ok in {r['seconds']} s = "
            f"{r['throughput']} req/s; ack p50 {r['p50_ms']} ms, p99 {r['p99_ms']} ms, "
            f"max {r['max_ms']} ms"
        )
    print(f"ratio ours/bare: {report['ratio']} (target ≥ 0.5)")
    print(f"records recomputed {report['records_settled_after_s']} s after the last ack")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
