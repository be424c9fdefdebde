"""B2 (in process): presence ingest through the engine alone, on a real SQLite file,
against a raw `sqlite3` `executemany` of the very rows the engine wrote, into a fresh
database with the ledger table alone (its fastest way: no index) and the same pragmas,
one commit per batch of the size the engine's own commits had (measured, so neither
side gets bigger transactions). The same copy into the table with the ledger's own
indexes is shown beside it: SQLite's share of what the store must do.

Two ways in, as the adapters use them, each with 50 events in flight:
- Zoom's: `Engine.handle(PresenceBatch)` fed by the Zoom adapter's own `GroupCommit`
  (the requests waiting while one batch is written go in the next), the records
  recomputed by its `Coalescer` once the burst settles (`PresenceSettled`). Reported:
  until every event is durably stored (what a webhook waits for: the ingest), and until
  every record is recomputed too.
- Discord's: `Engine.handle(PresenceObserved)`, one voice event at a time, each
  returning once its records are recomputed (events arriving together share it).

    python -m benchmarks.ingest [--events 10000]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sqlite3
import tempfile
import time
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

from benchmarks.zoom_webhook import GROUP_SIZE, NOW, PEOPLE, _config_text, _meeting

IN_FLIGHT = 50
#: the figures repeated runs report as median (min–max)
FIGURES = (
    "ratio",
    "engine_per_s",
    "settled_per_s",
    "ratio_settled",
    "voice_per_s",
    "voice_ratio",
    "raw_per_s",
    "raw_indexed_per_s",
    "ratio_indexed",
)
#: the Zoom adapter's default: recompute once the webhooks have been quiet this long
SETTLE_SECONDS = 0.25


def _events(count: int) -> list[Any]:
    from bot.core.events import Identity, PresenceObserved

    return [
        PresenceObserved(
            source="zoom",
            room_id=_meeting((i % PEOPLE) // GROUP_SIZE),
            identity=Identity(email=f"p{i % PEOPLE}@example.org"),
            action="join" if i % 2 == 0 else "leave",
            at=NOW - timedelta(minutes=10) + timedelta(milliseconds=137 * i),
            stream=f"uuid-{i // 2:06d}",
            key=f"zoom:bench:{i}",
        )
        for i in range(count)
    ]


async def _open(db: Path) -> Any:
    from bot.config import parse_config
    from bot.core.clock import FakeClock
    from bot.shell.app import open_app

    return await open_app(parse_config(_config_text(db)), clock=FakeClock(NOW))


async def _zoom_path(db: Path, events: int) -> dict[str, Any]:
    """Through the Zoom adapter's batching, without HTTP."""
    from adapters.zoom.batching import Coalescer, GroupCommit
    from bot.core.events import PresenceBatch, PresenceSettled

    app = await _open(db)
    engine = app.engine
    batches: list[int] = []

    async def write(items: Sequence[Any]) -> list[Any]:
        batches.append(len(items))
        return list((await engine.handle(PresenceBatch(events=tuple(items)))).entries)

    async def settle(entries: Sequence[Any]) -> None:
        await engine.handle(PresenceSettled(entries=tuple(entries)))

    writer: GroupCommit[Any, Any] = GroupCommit(write)
    refresher: Coalescer[Any] = Coalescer(
        settle, settle_seconds=SETTLE_SECONDS, quiet_for=writer.quiet_for
    )
    todo = iter(_events(events))

    async def client() -> None:
        for ev in todo:
            stored = await writer.submit(ev)
            if stored is not None:
                refresher.add([stored])

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(IN_FLIGHT)))
    stored_s = time.perf_counter() - started
    # what is left once the burst is over: the records (the settle wait itself excluded)
    settle_started = time.perf_counter()
    await refresher.idle()
    settled_s = stored_s + time.perf_counter() - settle_started
    await writer.close()
    await app.close()
    return {
        "stored_s": stored_s,
        "settled_s": settled_s,
        "batch": round(sum(batches) / len(batches)) if batches else 1,
    }


async def _voice_path(db: Path, events: int) -> float:
    """One event at a time, each returning once its records are recomputed."""
    app = await _open(db)
    todo = iter(_events(events))

    async def worker() -> None:
        for ev in todo:
            await app.engine.handle(ev)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(IN_FLIGHT)))
    seconds = time.perf_counter() - started
    await app.close()
    return seconds


def _raw_run(source: Path, target: Path, batch: int, *, indexes: bool = False) -> tuple[int, float]:
    """The engine's ledger rows, copied by executemany into a fresh database: the bare
    table (the baseline of the target), or with the ledger's own indexes (what the
    store must keep up to date too: shown beside it, to tell SQLite's share)."""
    from storage.engine import SQLITE_PRAGMAS

    with sqlite3.connect(source) as src:
        rows = src.execute("SELECT * FROM ledger ORDER BY seq").fetchall()
        ddl = src.execute(
            "SELECT sql FROM sqlite_master WHERE tbl_name = 'ledger' AND sql IS NOT NULL "
            "AND (type = 'table' OR ?) ORDER BY type = 'index'",
            (indexes,),
        ).fetchall()
    conn = sqlite3.connect(target, isolation_level=None)
    for pragma in SQLITE_PRAGMAS:
        conn.execute(pragma)
    for (statement,) in ddl:
        conn.execute(statement)
    marks = ", ".join("?" for _ in rows[0]) if rows else "?"
    started = time.perf_counter()
    for i in range(0, len(rows), batch):
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(f"INSERT INTO ledger VALUES ({marks})", rows[i : i + batch])
        conn.execute("COMMIT")
    seconds = time.perf_counter() - started
    conn.close()
    return len(rows), seconds


def _stored(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return int(
            conn.execute("SELECT count(*) FROM ledger WHERE kind = 'presence'").fetchone()[0]
        )


async def bench(events: int) -> dict[str, Any]:
    logging.basicConfig(level=logging.ERROR)
    with tempfile.TemporaryDirectory(prefix="rollcall-bench-") as tmp:
        zoom_db, voice_db = Path(tmp) / "zoom.db", Path(tmp) / "voice.db"
        zoom = await _zoom_path(zoom_db, events)
        voice_s = await _voice_path(voice_db, events)
        rows, raw_s = await asyncio.to_thread(
            _raw_run, zoom_db, Path(tmp) / "raw.db", zoom["batch"]
        )
        _, indexed_s = await asyncio.to_thread(
            _raw_run, zoom_db, Path(tmp) / "indexed.db", zoom["batch"], indexes=True
        )
        stored, voice_stored = _stored(zoom_db), _stored(voice_db)
    raw_rate = rows / raw_s if raw_s else 0.0

    def rate(seconds: float) -> float:
        return round(events / seconds, 1)

    def ratio(seconds: float) -> float:
        return round(events / seconds / raw_rate, 3) if raw_rate else 0.0

    return {
        "events": events,
        "stored": stored,
        "engine_per_s": rate(zoom["stored_s"]),
        "ratio": ratio(zoom["stored_s"]),
        "settled_per_s": rate(zoom["settled_s"]),
        "ratio_settled": ratio(zoom["settled_s"]),
        "voice_per_s": rate(voice_s),
        "voice_ratio": ratio(voice_s),
        "voice_stored": voice_stored,
        "raw_rows": rows,
        "raw_batch": zoom["batch"],
        "raw_per_s": round(raw_rate, 1),
        "raw_indexed_per_s": round(rows / indexed_s, 1) if indexed_s else 0.0,
        "ratio_indexed": round(events / zoom["stored_s"] / (rows / indexed_s), 3)
        if rows and indexed_s
        else 0.0,
        "targets": {"ratio": 0.25},
    }


def passed(report: dict[str, Any]) -> bool:
    return bool(report["stored"] == report["events"] == report["voice_stored"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000)
    args = parser.parse_args(argv)
    r = asyncio.run(bench(args.events))
    print(
        f"ingest: {r['events']} Zoom joins/leaves through the engine: stored "
        f"{r['engine_per_s']}/s (ratio {r['ratio']}, target ≥ 0.25), records recomputed "
        f"too {r['settled_per_s']}/s (ratio {r['ratio_settled']}); one at a time "
        f"(Discord's way) {r['voice_per_s']}/s (ratio {r['voice_ratio']}); raw executemany "
        f"({r['raw_batch']} a commit) {r['raw_per_s']}/s, with the ledger's indexes "
        f"{r['raw_indexed_per_s']}/s (ratio {r['ratio_indexed']}); {r['stored']} stored"
    )
    return 0 if passed(r) else 1


if __name__ == "__main__":
    raise SystemExit(main())
