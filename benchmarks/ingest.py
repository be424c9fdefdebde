"""B2 (in process): presence ingest through the engine alone — `Engine.handle` of Zoom
joins, 50 in flight, each a durable ledger write on a real SQLite file — against a raw
`sqlite3` `executemany` of the very rows the engine wrote, into a fresh database of the
same schema with the same pragmas (batches the size of the engine's group commits
would be unfair to neither: one executemany per `batch` rows, each its own commit).

    python -m benchmarks.ingest [--events 10000] [--batch 50]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sqlite3
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from benchmarks.zoom_webhook import GROUP_SIZE, NOW, PEOPLE, _config_text, _meeting

IN_FLIGHT = 50


async def _engine_run(db: Path, events: int) -> float:
    from bot.config import parse_config
    from bot.core.clock import FakeClock
    from bot.core.events import Identity, PresenceObserved
    from bot.shell.app import open_app

    app = await open_app(parse_config(_config_text(db)), clock=FakeClock(NOW))
    todo = iter(range(events))

    async def worker() -> None:
        for i in todo:
            person = i % PEOPLE
            await app.engine.handle(
                PresenceObserved(
                    source="zoom",
                    room_id=_meeting(person // GROUP_SIZE),
                    identity=Identity(email=f"p{person}@example.org"),
                    action="join" if i % 2 == 0 else "leave",
                    at=NOW - timedelta(minutes=10) + timedelta(milliseconds=137 * i),
                    stream=f"uuid-{i // 2:06d}",
                    key=f"zoom:bench:{i}",
                )
            )

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(IN_FLIGHT)))
    seconds = time.perf_counter() - started
    await app.close()
    return seconds


def _raw_run(source: Path, target: Path, batch: int) -> tuple[int, float]:
    """The engine's ledger rows, copied by executemany into a fresh database."""
    from storage.engine import SQLITE_PRAGMAS

    with sqlite3.connect(source) as src:
        rows = src.execute("SELECT * FROM ledger ORDER BY seq").fetchall()
        schema = src.execute("SELECT sql FROM sqlite_master WHERE name = 'ledger'").fetchone()[0]
    conn = sqlite3.connect(target, isolation_level=None)
    for pragma in SQLITE_PRAGMAS:
        conn.execute(pragma)
    conn.execute(schema)
    marks = ", ".join("?" for _ in rows[0]) if rows else "?"
    started = time.perf_counter()
    for i in range(0, len(rows), batch):
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(f"INSERT INTO ledger VALUES ({marks})", rows[i : i + batch])
        conn.execute("COMMIT")
    seconds = time.perf_counter() - started
    conn.close()
    return len(rows), seconds


async def bench(events: int, batch: int) -> dict[str, Any]:
    logging.basicConfig(level=logging.ERROR)
    with tempfile.TemporaryDirectory(prefix="rollcall-bench-") as tmp:
        db = Path(tmp) / "engine.db"
        engine_s = await _engine_run(db, events)
        with sqlite3.connect(db) as conn:
            stored = conn.execute("SELECT count(*) FROM ledger WHERE kind = 'presence'").fetchone()
        rows, raw_s = await asyncio.to_thread(_raw_run, db, Path(tmp) / "raw.db", batch)
    engine_rate = events / engine_s
    raw_rate = rows / raw_s if raw_s else 0.0
    return {
        "events": events,
        "stored": stored[0],
        "engine_per_s": round(engine_rate, 1),
        "raw_rows": rows,
        "raw_batch": batch,
        "raw_per_s": round(raw_rate, 1),
        "ratio": round(engine_rate / raw_rate, 3) if raw_rate else 0.0,
        "targets": {"ratio": 0.25},
    }


def passed(report: dict[str, Any]) -> bool:
    return bool(report["stored"] == report["events"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=IN_FLIGHT)
    args = parser.parse_args(argv)
    r = asyncio.run(bench(args.events, args.batch))
    print(
        f"ingest: {r['events']} Zoom joins/leaves through the engine {r['engine_per_s']}/s; "
        f"raw executemany ({r['raw_batch']} a commit) {r['raw_per_s']}/s; ratio {r['ratio']} "
        f"(target ≥ 0.25); {r['stored']} stored"
    )
    return 0 if passed(r) else 1


if __name__ == "__main__":
    raise SystemExit(main())
