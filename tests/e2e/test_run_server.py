"""`rollcall run`: the shared HTTP server (health, metrics) and a clean stop on a signal.

The console reads stdin and end of input stops the bot, so stdin stays an open pipe
until the process has exited: only the signal may stop it. `[server] port = 0`: the
port is read from the "listening on HOST:PORT" log line.
"""

from __future__ import annotations

import asyncio
import re
import signal
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import pytest

from tests.conftest import scan_child_logs
from tests.e2e.conftest import CONFIG_NAME, ROLLCALL_SCRIPT, child_env

LISTENING = re.compile(r"listening on 127\.0\.0\.1:(\d+)")
STOP_WITHIN = 5.0
SIGNALS = pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])


@dataclass(kw_only=True)
class Running:
    proc: asyncio.subprocess.Process
    port: int
    stderr: list[str] = field(default_factory=list)
    stdout: str = ""
    code: int | None = None

    async def stop_with(self, sig: signal.Signals) -> float:
        """Send `sig`, wait for the exit (at most STOP_WITHIN s); the seconds it took."""
        sent = time.monotonic()
        self.proc.send_signal(sig)
        self.code = await asyncio.wait_for(self.proc.wait(), STOP_WITHIN)
        return time.monotonic() - sent

    @property
    def output(self) -> str:
        return f"--- stdout ---\n{self.stdout}\n--- stderr ---\n{''.join(self.stderr)}"


async def _port(stderr: asyncio.StreamReader, seen: list[str]) -> int:
    while line := (await stderr.readline()).decode():
        seen.append(line)
        if m := LISTENING.search(line):
            return int(m.group(1))
    raise AssertionError("rollcall run exited before listening:\n" + "".join(seen))


@asynccontextmanager
async def rollcall_run(
    config_dir: Path, env: dict[str, str] | None = None
) -> AsyncIterator[Running]:
    proc = await asyncio.create_subprocess_exec(
        str(ROLLCALL_SCRIPT),
        "--config",
        str(config_dir / CONFIG_NAME),
        "run",
        cwd=config_dir,
        env=env if env is not None else child_env(),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    seen: list[str] = []
    try:
        port = await asyncio.wait_for(_port(proc.stderr, seen), 20)
        running = Running(proc=proc, port=port, stderr=seen)
        yield running
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        proc.stdin.close()
    running.stdout = (await proc.stdout.read()).decode()
    seen.append((await proc.stderr.read()).decode())
    scan_child_logs("rollcall run", "".join(seen))


def assert_stopped_cleanly(r: Running) -> None:
    assert r.code == 0, r.output
    assert "Traceback" not in r.stdout, r.output
    assert "Traceback" not in "".join(r.stderr), r.output
    assert " ERROR " not in "".join(r.stderr), r.output
    assert "rollcall console" in r.stdout  # the console was up, waiting for input


@SIGNALS
async def test_run_serves_health_and_metrics_and_stops_on_signal(
    config_dir: Path, sig: signal.Signals
) -> None:
    async with rollcall_run(config_dir) as r:
        base = f"http://127.0.0.1:{r.port}"
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{base}/healthz") as resp:
                assert resp.status == 200
                assert await resp.json() == {"status": "ok"}
            async with http.get(f"{base}/metrics") as resp:
                assert resp.status == 200
                assert resp.headers["Content-Type"].startswith("text/plain")
                body = await resp.text()
            async with http.get(f"{base}/no-such-page") as resp:
                assert resp.status == 404
            # ready once the scheduler's first tick is done (it runs at start)
            ready: tuple[int, object] = (0, None)
            for _ in range(100):
                async with http.get(f"{base}/readyz") as resp:
                    ready = (resp.status, await resp.json())
                if ready[0] == 200:
                    break
                await asyncio.sleep(0.1)
            assert ready == (200, {"status": "ready"})
        assert "# TYPE rollcall_events_total counter" in body
        assert "# HELP rollcall_webhooks_rejected_total" in body
        for line in body.splitlines():  # Prometheus text: comments or `name{labels} value`
            assert line.startswith("#") or re.match(r"^[a-zA-Z_:][\w:]*(\{.*\})? \S+$", line)
        await asyncio.sleep(0.3)  # past start-up: only the signal's handling is under test
        assert await r.stop_with(sig) < STOP_WITHIN
    assert_stopped_cleanly(r)


async def test_stop_right_after_start_is_clean(config_dir: Path) -> None:
    """An operator's Ctrl-C or a supervisor's SIGTERM may come while start-up work runs."""
    async with rollcall_run(config_dir) as r:
        assert await r.stop_with(signal.SIGTERM) < STOP_WITHIN
    assert_stopped_cleanly(r)
