"""Where the check-in path's time goes: the storm's requests through `Engine.handle`
in this process (no HTTP), `connections` at a time, under pyinstrument (the `bench`
extra: `pip install -e '.[bench]'`, which `make bench` does). Prints the first
check-ins' and the repeats' mean cost and each phase's profile.

    python -m benchmarks.profile [--people 500] [--groups 40] [--connections 64]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.slack_checkin import NOW
from benchmarks.storm import config_text


async def _phase(engine: Any, people: list[int], groups: int, connections: int) -> float:
    from bot.core.events import Actor, CommandInvoked

    todo = iter(enumerate(people))

    async def worker() -> None:
        for n, p in todo:
            await engine.handle(
                CommandInvoked(
                    actor=Actor(platform="slack", user_id=f"U{p:06d}"),
                    command="checkin",
                    channel_id=f"C{p % groups:05d}",
                    at=NOW,
                    request_id=f"profile-{p}-{n}-{time.perf_counter_ns()}",
                )
            )

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(connections)))
    return (time.perf_counter() - started) / max(1, len(people))


async def run(people: int, groups: int, connections: int, show: bool) -> dict[str, float]:
    from bot.config import parse_config
    from bot.core.clock import FakeClock
    from bot.shell.app import open_app

    logging.basicConfig(level=logging.ERROR)
    profiler: Any = None
    if show:
        from pyinstrument import Profiler

        profiler = Profiler(async_mode="disabled")
    out: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="rollcall-bench-") as tmp:
        config = parse_config(
            config_text(Path(tmp) / "p.db", "http://127.0.0.1:9/", people, groups)
        )
        app = await open_app(config, clock=FakeClock(NOW))
        for phase, who in (("first", list(range(people))), ("repeat", list(range(people)))):
            if profiler is not None:
                profiler.start()
            out[phase + "_ms"] = round(await _phase(app.engine, who, groups, connections) * 1000, 3)
            if profiler is not None:
                profiler.stop()
                print(f"--- {phase} check-ins")
                print(profiler.output_text(unicode=True, show_all=False)[:6000])
                profiler.reset()
        await app.close()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--people", type=int, default=500)
    parser.add_argument("--groups", type=int, default=40)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--no-profile", action="store_true")
    args = parser.parse_args(argv)
    r = asyncio.run(run(args.people, args.groups, args.connections, not args.no_profile))
    print(f"per check-in (wall / count): first {r['first_ms']} ms, repeat {r['repeat_ms']} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
