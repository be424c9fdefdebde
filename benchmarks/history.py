"""B4: a year of history → the full export. 500 participants in 40 groups, three
sessions a week, every session ended with its records, ≈ 8 evidence rows per record
(≈ 600,000 for a year). Each export format runs as `rollcall report --format F --out
FILE` in its own process (its wall time and peak RSS — targets ≤ 5 s, ≤ 300 MB),
against one bare streaming `SELECT` of the same records and their sessions in its own
process (target ≤ 4×). SQLite; PostgreSQL when `--postgres URL` is given.

Both sides are timed the same way: the whole child process, from spawn to exit
(interpreter, imports, connecting, the work, shutdown) — `seconds`, the figure the
ratio uses. `inner_s` is what each child timed itself after its top-level imports,
kept for the breakdown only (the export imports most of what it needs lazily, inside
that span, the bare SELECT before it, so the two inner figures are not alike).
`billing`: measured when `rollcall report --format billing` exists (the hook).

    python -m benchmarks.history [--months 1,6,12] [--formats csv,fhir,billing]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from benchmarks import _env

PEOPLE = 500
GROUPS = 40
FIRST = datetime(2025, 5, 5, 22, 0, tzinfo=UTC)  # a Monday, 18:00 New York
PER_RECORD = 8  # check-in + 3 stays (join/leave) + camera on/off ≈ the real mix


def config_text(url: str, people: int = PEOPLE, groups: int = GROUPS) -> str:
    lines = [f'[storage]\nurl = "{url}"', '[program]\nname = "Bench"\ntimezone = "UTC"']
    lines += [f'[[people]]\nid = "p-{i:04d}"\ndisplay_name = "P{i}"' for i in range(people)]
    lines.append('[[people]]\nid = "f-1"\ndisplay_name = "F"\nrole = "facilitator"')
    for g in range(groups):
        members = ", ".join(f'"p-{i:04d}"' for i in range(g, people, groups))
        lines.append(
            f'[[groups]]\nid = "g-{g:02d}"\nname = "Group {g}"\nfacilitators = ["f-1"]\n'
            f"participants = [{members}]"
        )
    return "\n".join(lines) + "\n"


async def seed_history(
    url: str, months: int, people: int = PEOPLE, groups: int = GROUPS
) -> dict[str, int]:
    """Sessions, evidence and records straight through the store (the hash chain as the
    bot writes it), far faster than replaying a year through the engine."""
    from bot.config import parse_config
    from bot.core.clock import FakeClock
    from bot.core.domain import (
        AttendanceRecord,
        EvidenceKind,
        LedgerEntry,
        Session,
        SessionState,
        Status,
    )
    from bot.shell.app import open_app

    app = await open_app(parse_config(config_text(url, people, groups)), clock=FakeClock(FIRST))
    store = app.store
    weeks = round(months * 52 / 12)
    sessions = evidence = records = 0
    for week in range(weeks):
        for day in (0, 2, 4):
            start = FIRST + timedelta(days=7 * week + day)
            entries: list[LedgerEntry] = []
            recs: list[AttendanceRecord] = []
            for g in range(groups):
                sid = f"s-{g:02d}-{week:03d}-{day}"
                gid = f"g-{g:02d}"
                await store.add_session(
                    Session(
                        id=sid,
                        group_id=gid,
                        start=start,
                        end=start + timedelta(hours=3),
                        state=SessionState.ENDED,
                    )
                )
                sessions += 1
                for i in range(g, people, groups):
                    pid = f"p-{i:04d}"
                    for k in range(PER_RECORD):
                        kind = EvidenceKind.CHECKIN if k == 0 else EvidenceKind.PRESENCE
                        action = ("join", "leave", "camera_on", "camera_off")[k % 4]
                        entries.append(
                            LedgerEntry(
                                key=f"{sid}:{pid}:{k}",
                                kind=kind,
                                group_id=gid,
                                session_id=sid if k == 0 else None,
                                person_id=pid,
                                at=start + timedelta(minutes=20 * k),
                                recorded_at=start,
                                source="zoom",
                                data={"action": action, "stream": f"{k // 4}"},
                            )
                        )
                    recs.append(
                        AttendanceRecord(
                            session_id=sid,
                            group_id=gid,
                            person_id=pid,
                            status=Status.PRESENT,
                            attended_minutes=170,
                            camera_minutes=150,
                            first_seen=start,
                            last_seen=start + timedelta(minutes=170),
                            checked_in_at=start,
                        )
                    )
            await store.append_evidence(entries)
            await store.save_records(recs)
            evidence += len(entries)
            records += len(recs)
    await app.close()
    return {"months": months, "sessions": sessions, "evidence": evidence, "records": records}


_EXPORT = """
import json, sys, time
from pathlib import Path
from benchmarks._env import peak_rss_mib
from bot.shell.cli import main
t = time.perf_counter()
code = main(sys.argv[1:])
print(json.dumps({"code": code, "seconds": time.perf_counter() - t, "peak_mib": peak_rss_mib()}))
"""

_SELECT = """
import asyncio, json, sys, time
from benchmarks._env import peak_rss_mib
QUERY = ("SELECT r.*, s.start, s.\\"end\\" FROM attendance_records r "
         "JOIN sessions s ON s.id = r.session_id ORDER BY s.start, r.person_id")
url = sys.argv[1]
if "postgres" in url:
    import asyncpg
else:
    import sqlite3


def on_sqlite():  # the standard library's sqlite3, its fastest way (nothing else imported)
    n = 0
    conn = sqlite3.connect(url.split(":///", 1)[1])
    try:
        for row in conn.execute(QUERY):
            n += 1
    finally:
        conn.close()
    return n


async def on_postgres():  # asyncpg itself, a server-side cursor: its fastest way
    conn = await asyncpg.connect(url.replace("+asyncpg", "").replace("+psycopg", ""))
    n = 0
    try:
        async with conn.transaction():
            async for row in conn.cursor(QUERY, prefetch=5000):
                n += 1
    finally:
        await conn.close()
    return n


t = time.perf_counter()
n = asyncio.run(on_postgres()) if "postgres" in url else on_sqlite()
print(json.dumps({"rows": n, "seconds": time.perf_counter() - t, "peak_mib": peak_rss_mib()}))
"""


def _run_child(code: str, *args: str) -> dict[str, Any]:
    env = _env.child_env()  # before the clock: its first call compiles rollcall
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=_env.ROOT,
        timeout=900,
        check=False,
    )
    wall = time.perf_counter() - started
    lines = done.stdout.strip().splitlines()
    if not lines or not lines[-1].startswith("{"):
        return {"error": (done.stderr or done.stdout)[-400:]}
    result: dict[str, Any] = json.loads(lines[-1])
    result["inner_s"] = result.pop("seconds", None)
    result["seconds"] = wall  # spawn to exit, the same on both sides
    if result.get("code") not in (0, None):
        result["error"] = done.stderr[-400:] or f"exit {result['code']}"
    return result


def _median_run(
    runs: list[dict[str, Any]], selects: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """The run of median time, with `spread` (median, min, max over the runs) of the
    times, the peaks and, given the SELECT runs beside them, the ratios to those."""
    timed = [r for r in runs if "seconds" in r]
    if len(timed) < len(runs):
        return next(r for r in runs if "seconds" not in r)
    chosen = dict(sorted(timed, key=lambda r: float(r["seconds"]))[(len(timed) - 1) // 2])
    chosen["spread"] = {
        "seconds": _env.spread([r["seconds"] for r in timed]),
        "peak_mib": _env.spread([r["peak_mib"] for r in timed]),
    }
    if selects and all(s.get("seconds") for s in selects):
        ratios = [r["seconds"] / s["seconds"] for r, s in zip(timed, selects, strict=True)]
        chosen["spread"]["vs_select"] = _env.spread(ratios)
        chosen["vs_select"] = round(statistics.median(ratios), 2)
    return chosen


def export(config: Path, fmt: str, out: Path) -> dict[str, Any]:
    args = ("--config", str(config), "report", "--format", fmt, "--out", str(out))
    r = _run_child(_EXPORT, *args)
    if fmt == "billing" and "must be one of" in r.get("error", ""):
        return {"skipped": "no `report --format billing` on this branch yet"}
    if out.exists():
        r["bytes"] = out.stat().st_size
    return r


async def bench(
    months: list[int],
    formats: list[str],
    url: str | None,
    *,
    people: int = PEOPLE,
    groups: int = GROUPS,
    repeats: int = 1,
) -> dict[str, Any]:
    """Each month's history seeded once; the bare SELECT and every export run `repeats`
    times, alternating, each format's median run reported (with median, min and max of
    its times and of its ratio to the SELECT run beside it)."""
    logging.basicConfig(level=logging.ERROR)
    out: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="rollcall-bench-") as tmp:
        for m in months:
            db_url = url or f"sqlite:///{tmp}/history-{m}.db"
            started = time.perf_counter()
            sizes = await seed_history(db_url, m, people, groups)
            config = Path(tmp) / f"history-{m}.toml"
            config.write_text(config_text(db_url, people, groups), encoding="utf-8")
            row: dict[str, Any] = {**sizes, "seed_s": round(time.perf_counter() - started, 1)}
            selects: list[dict[str, Any]] = []
            runs: dict[str, list[dict[str, Any]]] = {fmt: [] for fmt in formats}
            for _ in range(repeats):  # alternating: the SELECT, then every format
                selects.append(_run_child(_SELECT, db_url))
                for fmt in formats:
                    runs[fmt].append(export(config, fmt, Path(tmp) / f"out-{m}.{fmt}"))
            row["select"] = _median_run(selects)
            for fmt in formats:
                row[fmt] = _median_run(runs[fmt], selects)
            out.append(row)
    return {
        "store": "postgresql" if url else "sqlite",
        "people": people,
        "by_months": out,
        "targets": {"seconds": 5, "peak_mib": 300, "vs_select": 4},
    }


def passed(report: dict[str, Any], formats: list[str]) -> bool:
    """Every export ran and wrote something (billing may not exist yet: then skipped),
    and the database held just the history seeded (a PostgreSQL database must be empty
    or freshly migrated: one left from an earlier run would be measured instead)."""
    for row in report["by_months"]:
        if row["select"].get("rows") != row["records"]:
            return False
        for fmt in formats:
            r = row[fmt]
            if "skipped" in r:
                continue
            if "error" in r or not r.get("bytes"):
                return False
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--months", default="1,6,12")
    parser.add_argument("--formats", default="csv,fhir,billing")
    parser.add_argument("--postgres", metavar="URL", help="a migrated-or-empty database")
    args = parser.parse_args(argv)
    months = [int(m) for m in args.months.split(",")]
    formats = [f for f in args.formats.split(",") if f]
    report = asyncio.run(bench(months, formats, args.postgres))
    for row in report["by_months"]:
        parts = [
            f"{fmt} {row[fmt].get('seconds', 0):.2f} s {row[fmt].get('peak_mib', 0):.0f} MiB"
            if "seconds" in row[fmt]
            else f"{fmt}: {str(row[fmt])[-80:]}"
            for fmt in formats
        ]
        print(
            f"history {row['months']} months ({row['evidence']} evidence, {row['records']} "
            f"records): select {row['select'].get('seconds', 0):.2f} s; " + "; ".join(parts)
        )
    return 0 if passed(report, formats) else 1


if __name__ == "__main__":
    raise SystemExit(main())
