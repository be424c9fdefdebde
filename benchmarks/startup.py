"""B6 (start): `rollcall run` with `people` participants in the config (groups of 30),
from the process's spawn to `/healthz` answering 200 — the first start (migrations and
seeding every person, group and enrollment into a new SQLite file; target ≤ 3 s for
12,000 people) and a second start on the seeded file — and the process's idle RSS
after the first start (target ≤ 150 MB).

    python -m benchmarks.startup [--people 12000]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import socket
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

from benchmarks import _env

GROUP_SIZE = 30


def config_text(db: Path, port: int, people: int) -> str:
    lines = [
        f'[storage]\nurl = "sqlite:///{db}"',
        f'[server]\nhost = "127.0.0.1"\nport = {port}',
        '[program]\nname = "Bench"\ntimezone = "America/New_York"',
        '[[people]]\nid = "f-1"\ndisplay_name = "F"\nrole = "facilitator"',
    ]
    for i in range(people):
        lines.append(f'[[people]]\nid = "p-{i:05d}"\ndisplay_name = "P{i}"')
        lines.append(f'email = "p{i}@example.org"')
    for g in range(0, people, GROUP_SIZE):
        members = ", ".join(f'"p-{i:05d}"' for i in range(g, min(g + GROUP_SIZE, people)))
        lines.append(
            f'[[groups]]\nid = "g-{g // GROUP_SIZE:04d}"\nname = "Group {g // GROUP_SIZE}"\n'
            'schedule = { rrule = "FREQ=WEEKLY;BYDAY=MO,WE,FR", start = "18:00", minutes = 180 }\n'
            f'facilitators = ["f-1"]\nparticipants = [{members}]'
        )
    return "\n".join(lines) + "\n"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _rss_of(pid: int) -> float:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


async def _start_once(config: Path, port: int, limit: float) -> tuple[float | None, float]:
    """Seconds from spawn to /healthz 200 (None: not within `limit`), and idle RSS."""
    env = _env.child_env()  # before the clock: its first call compiles rollcall
    started = time.perf_counter()
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        "import sys; from bot.shell.cli import main; sys.exit(main())",
        "--config",
        str(config),
        "run",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
        env=env,
    )
    ready: float | None = None
    rss = 0.0
    try:
        async with aiohttp.ClientSession() as http:
            while time.perf_counter() - started < limit and proc.returncode is None:
                with contextlib.suppress(aiohttp.ClientError):
                    async with http.get(f"http://127.0.0.1:{port}/healthz") as resp:
                        if resp.status == 200:
                            ready = time.perf_counter() - started
                            break
                await asyncio.sleep(0.05)
        if ready is not None:
            await asyncio.sleep(1.0)  # idle: started, nothing to do
            rss = _rss_of(proc.pid)
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(proc.wait(), 30)
            except TimeoutError:
                proc.kill()
                await proc.wait()
    return ready, rss


async def bench(people: int, limit: float = 120.0) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="rollcall-bench-") as tmp:
        port = _free_port()
        config = Path(tmp) / "startup.toml"
        config.write_text(config_text(Path(tmp) / "s.db", port, people), encoding="utf-8")
        first, rss = await _start_once(config, port, limit)
        second, _ = await _start_once(config, port, limit)
    return {
        "people": people,
        "first_start_s": round(first, 2) if first is not None else None,
        "second_start_s": round(second, 2) if second is not None else None,
        "idle_rss_mib": round(rss, 1),
        "targets": {"first_start_s": 3, "idle_rss_mib": 150},
    }


def passed(r: dict[str, Any]) -> bool:
    return r["first_start_s"] is not None and r["second_start_s"] is not None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--people", type=int, default=12_000)
    args = parser.parse_args(argv)
    r = asyncio.run(bench(args.people))
    print(
        f"startup with {r['people']} people: first start to /healthz {r['first_start_s']} s "
        f"(≤ 3), second {r['second_start_s']} s; idle RSS {r['idle_rss_mib']} MiB (≤ 150)"
    )
    return 0 if passed(r) else 1


if __name__ == "__main__":
    raise SystemExit(main())
