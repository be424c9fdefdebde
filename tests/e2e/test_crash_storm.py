"""Crash safety (issue 17): `rollcall run` killed with SIGKILL at random moments during a
storm of signed Zoom events; after each restart every acknowledged event is stored
exactly once, the hash chains verify and the store's invariants hold.

SQLite, real processes, real HTTP on loopback; each kill comes at a random moment after
the burst's first new acknowledgement (a seeded generator: ROLLCALL_CRASH_SEED to vary
them, ROLLCALL_CRASH_CYCLES for more). Marked `tail`: CI runs it; `-m "not tail"`
leaves it out of a quick local run. Slack check-ins and reminders, on SQLite and on
PostgreSQL with the server restarted mid-run: tests/e2e/test_crash_storm_slack.py.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest

from adapters.zoom.translate import signature
from storage.sql import open_store
from tests.conftest import scan_child_logs
from tests.e2e.conftest import ROLLCALL_SCRIPT, Cli, assert_ok, child_env
from tests.e2e.test_run_server import _port
from tests.fakes.zoom import MEETING, joined
from tests.invariants import store_problems

SECRET = "crash-storm-secret"
SEED = int(os.environ.get("ROLLCALL_CRASH_SEED", "17"))
CYCLES = int(os.environ.get("ROLLCALL_CRASH_CYCLES", "3"))
EVENTS_PER_CYCLE = 60

CONFIG = f"""\
people = [
    {{ id = "f-001", display_name = "Dr. Rivera", role = "facilitator" }},
    {{ id = "p-001", display_name = "Jordan", zoom_email = "jordan@example.org" }},
]
groups = [
    {{ id = "g", name = "Group", facilitators = ["f-001"], zoom_meeting_id = "{MEETING}" }},
]

[storage]
url = "sqlite:///db.sqlite"

[server]
host = "127.0.0.1"
port = 0

[zoom]
enabled = true
webhook_secret = "{SECRET}"

[program]
name = "Crash IOP"
timezone = "UTC"
"""


@asynccontextmanager
async def storm_bot(
    site: Path, path: str = "/zoom/webhook", **env: str
) -> AsyncIterator[tuple[asyncio.subprocess.Process, str]]:
    """`rollcall run` on `site/config.toml` (extra environment `env`); the process and
    the URL of `path` on its server. Killed if still running at the end; its stderr
    goes to the privacy scanner."""
    proc = await asyncio.create_subprocess_exec(
        str(ROLLCALL_SCRIPT), "--config", str(site / "config.toml"), "run",
        cwd=site, env=child_env(**env), stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert proc.stderr is not None and proc.stdin is not None
    seen: list[str] = []
    drain: asyncio.Task[bytes] | None = None
    try:
        port = await asyncio.wait_for(_port(proc.stderr, seen), 60)
        drain = asyncio.create_task(proc.stderr.read())
        yield proc, f"http://127.0.0.1:{port}{path}"
    finally:
        if proc.returncode is None:
            proc.kill()
        await proc.wait()
        proc.stdin.close()
        # every line it logged up to the kill goes to the privacy scanner
        rest = (await drain).decode(errors="replace") if drain is not None else ""
        scan_child_logs("rollcall run", "".join(seen) + rest)


def _signed(doc: dict[str, object]) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(doc).encode()
    stamp = str(int(time.time()))
    return body, {
        "content-type": "application/json; charset=utf-8",
        "x-zm-request-timestamp": stamp,
        "x-zm-signature": signature(SECRET, stamp, body),
    }


async def _post(http: aiohttp.ClientSession, url: str, doc: dict[str, object]) -> bool:
    """True when the bot acknowledged (2xx) the event."""
    body, headers = _signed(doc)
    try:
        async with http.post(url, data=body, headers=headers) as r:
            await r.read()
            return 200 <= r.status < 300
    except (TimeoutError, aiohttp.ClientError, ConnectionError):
        return False  # killed mid-request: not acknowledged


@pytest.mark.tail
async def test_sigkill_during_a_storm_loses_no_acknowledged_event(tmp_path: Path) -> None:
    rng = random.Random(SEED)
    site = tmp_path / "site"
    site.mkdir()
    (site / "config.toml").write_text(CONFIG, encoding="utf-8")
    assert_ok(Cli(config=site / "config.toml", cwd=site).run("db", "upgrade"))
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=30)
    events = {
        f"uuid-{n:04d}": joined(
            uuid=f"uuid-{n:04d}", name=f"Canary guest {n}", at=start + timedelta(seconds=n)
        )
        for n in range(CYCLES * EVENTS_PER_CYCLE)
    }
    acked: set[str] = set()
    sent: set[str] = set()
    kills = 0
    pending = list(events)
    timeout = aiohttp.ClientTimeout(total=5)
    for cycle in range(CYCLES + 1):
        async with storm_bot(site) as (proc, url), aiohttp.ClientSession(timeout=timeout) as http:
            batch = pending[:EVENTS_PER_CYCLE] if cycle < CYCLES else pending
            # replays of some events already acknowledged: counted once
            replays = rng.sample(sorted(acked), min(5, len(acked)))
            gate = asyncio.Semaphore(8)

            async def one(
                uuid: str,
                http: aiohttp.ClientSession = http,
                url: str = url,
                gate: asyncio.Semaphore = gate,
            ) -> None:
                async with gate:
                    sent.add(uuid)
                    if await _post(http, url, events[uuid]):
                        acked.add(uuid)

            before = len(acked)
            tasks = [asyncio.create_task(one(u)) for u in [*batch, *replays]]
            if cycle < CYCLES:
                # mid-burst: after the first new acknowledgement, at a random moment
                for _ in range(400):
                    if len(acked) > before or all(t.done() for t in tasks):
                        break
                    await asyncio.sleep(0.01)
                await asyncio.sleep(rng.uniform(0.0, 0.3))
                proc.send_signal(signal.SIGKILL)
                kills += 1
            await asyncio.gather(*tasks)
            pending = [u for u in pending if u not in acked]
    assert not pending, f"{len(pending)} events never acknowledged after the last restart"

    store = await open_store(f"sqlite:///{site / 'db.sqlite'}")
    try:
        streams = [str(e.data.get("stream")) for e in await store.ledger_page(limit=100_000)]
        assert await store_problems(store) == []
    finally:
        await store.close()
    stored = [s for s in streams if s.startswith("uuid-")]
    assert len(stored) == len(set(stored)), "an event was stored twice"
    assert acked <= set(stored), f"acknowledged but lost: {sorted(acked - set(stored))[:5]}"
    assert set(stored) <= sent
    verified = assert_ok(Cli(config=site / "config.toml", cwd=site).run("audit", "verify"))
    assert verified.stdout.startswith("ok: ")
    print(f"crash storm: {kills} SIGKILLs survived, {len(acked)} acknowledged events kept once")
