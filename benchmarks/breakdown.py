"""Where a check-in's time goes (`python -m benchmarks.slack_checkin --breakdown`): every
store call of sequential check-ins timed by phase, without HTTP."""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.slack_checkin import GROUP_SIZE, NOW, _config_text


class _TimedStore:
    """Delegates to a Store, timing every coroutine method by phase: before the ledger
    append, the append itself (the durable write), after it (the record recompute)."""

    def __init__(self, store: Any) -> None:
        self._store = store
        self.phase = "before"
        self.stats: dict[tuple[str, str], list[float]] = {}

    def __getattr__(self, name: str) -> Any:
        target = getattr(self._store, name)
        if not asyncio.iscoroutinefunction(target):
            return target

        async def timed(*args: Any, **kwargs: Any) -> Any:
            phase = "append" if name == "append_evidence" else self.phase
            started = time.perf_counter()
            try:
                return await target(*args, **kwargs)
            finally:
                entry = self.stats.setdefault((phase, name), [0, 0.0])
                entry[0] += 1
                entry[1] += time.perf_counter() - started
                if name == "append_evidence":
                    self.phase = "after"

        return timed


async def breakdown(count: int) -> None:
    from bot.config import parse_config
    from bot.core.clock import FakeClock
    from bot.core.engine import Engine
    from bot.core.events import Actor, CommandInvoked
    from bot.shell.app import open_app

    with tempfile.TemporaryDirectory(prefix="rollcall-bench-") as tmp:
        config = parse_config(_config_text(Path(tmp) / "b.db", "http://127.0.0.1:9/api/", count))
        app = await open_app(config, clock=FakeClock(NOW))
        timed = _TimedStore(app.store)
        engine = Engine(
            store=timed,
            clock=app.clock,
            program=config.program,
            survey=config.survey.questions,
        )
        total = 0.0
        for i in range(count):
            timed.phase = "before"
            event = CommandInvoked(
                actor=Actor(platform="slack", user_id=f"U{i:06d}"),
                command="checkin",
                channel_id=f"C{i // GROUP_SIZE:05d}",
                at=NOW,
                request_id=f"bench-{i}",
            )
            started = time.perf_counter()
            (reply, *_) = await engine.handle(event)
            total += time.perf_counter() - started
            assert "checked in" in getattr(reply, "text", ""), reply
        await app.close()
    print(f"{count} sequential check-ins: {total / count * 1000:.2f} ms each")
    for phase in ("before", "append", "after"):
        rows = sorted(
            ((k[1], v) for k, v in timed.stats.items() if k[0] == phase), key=lambda r: -r[1][1]
        )
        spent = sum(v[1] for _, v in rows) / count * 1000
        calls = sum(v[0] for _, v in rows) / count
        print(f"  {phase:6} the append: {spent:6.2f} ms in {calls:.1f} store calls")
        for name, (n, secs) in rows:
            print(f"      {name:22} {n / count:4.1f} calls  {secs / count * 1000:6.2f} ms")
