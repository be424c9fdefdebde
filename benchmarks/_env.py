"""What every benchmark shares: the machine it ran on, medians of repeated runs, RSS,
the child-process plumbing (a server in its own process, spoken to over stdin/stdout)."""

from __future__ import annotations

import asyncio
import compileall
import contextlib
import functools
import os
import platform
import sqlite3
import statistics
import subprocess
import sys
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = str(Path(__file__).resolve().parents[1])


def machine() -> dict[str, Any]:
    """Where and when: the figures mean nothing without it (and the load average says
    whether other work shared the cores)."""
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "platform": platform.platform(terse=True),
        "loadavg_1m": round(os.getloadavg()[0], 2),
    }


def spread(values: Sequence[float]) -> dict[str, float]:
    """Median, min and max of repeated runs."""
    return {
        "median": round(statistics.median(values), 3),
        "min": round(min(values), 3),
        "max": round(max(values), 3),
        "runs": len(values),
    }


def percentile(values: Sequence[float], q: int) -> float:
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def rss_mib() -> float:
    """This process's resident set now (Linux /proc; 0 elsewhere)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def peak_rss_mib() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def child_env() -> dict[str, str]:
    """The environment of a child process, with rollcall's modules compiled first."""
    compiled()
    path = os.environ.get("PYTHONPATH", "")
    return {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, (ROOT, path)))}


@functools.cache
def compiled() -> None:
    """rollcall's own modules compiled to bytecode, as every install has them (pip
    compiles a package as it installs it; the Docker image is such an install), so a
    child's start-up is measured as it runs when deployed. An editable checkout run
    with PYTHONDONTWRITEBYTECODE=1 (the Dockerfile sets it; so may the shell) keeps
    none, and every child would compile some 200 modules from source first (≈ 0.1 s of
    each export's time)."""
    for package in ("bot", "storage", "adapters"):
        compileall.compile_dir(Path(ROOT) / package, quiet=1)


@dataclass(kw_only=True)
class Child:
    """A server in its own process: it prints its port, then answers one line per
    command line on stdin; closing stdin stops it."""

    port: int
    proc: asyncio.subprocess.Process

    async def ask(self, command: str) -> str:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(command.encode() + b"\n")
        await self.proc.stdin.drain()
        line = await asyncio.wait_for(self.proc.stdout.readline(), 300)
        return line.decode().strip()


@contextlib.asynccontextmanager
async def child(module: str, *args: str) -> AsyncIterator[Child]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        module,
        *args,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env=child_env(),
    )
    assert proc.stdout is not None and proc.stdin is not None
    line = await asyncio.wait_for(proc.stdout.readline(), 180)
    if not line.strip():
        await proc.wait()
        raise RuntimeError(f"{module} {' '.join(args)} did not start")
    try:
        yield Child(port=int(line), proc=proc)
    finally:
        proc.stdin.close()
        try:
            await asyncio.wait_for(proc.wait(), 30)
        except TimeoutError:
            proc.kill()
            await proc.wait()


class LagMonitor:
    """Event-loop lag measured inside the process: how late a 5 ms sleep wakes up."""

    def __init__(self, period: float = 0.005) -> None:
        self.period = period
        self.samples: list[float] = []
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            started = loop.time()
            await asyncio.sleep(self.period)
            self.samples.append(max(0.0, loop.time() - started - self.period))

    def take(self) -> dict[str, float]:
        samples, self.samples = self.samples, []
        return {
            "lag_p99_ms": round(percentile(samples, 99) * 1000, 1),
            "lag_max_ms": round(max(samples, default=0.0) * 1000, 1),
        }

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
