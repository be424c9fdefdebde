"""Core benchmark: a program of a few hundred participants on one SQLite file.

Measures (on this machine, printed as a table):
- the attendance rules alone: records per second from a noisy presence log;
- a month of a 300-participant program through the engine on SQLite: check-ins and
  presence events per second (each a durable ledger write plus a recompute);
- the month's CSV report: seconds to produce it, and the peak Python memory used.

Bounded: fixed sizes, loopback-free (no network at all), stops by itself.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

from adapters.memory import MemoryAdapter
from bot.config import parse_config
from bot.core.attendance.rules import compute_record
from bot.core.clock import FakeClock
from bot.core.domain import EvidenceKind, Group, LedgerEntry, Policy, Session
from bot.core.events import Identity
from bot.core.reports.render import to_csv
from bot.core.timeutil import zone
from bot.shell.app import open_app

PARTICIPANTS = 300
GROUPS = 20
SESSIONS_PER_GROUP = 12  # a month at three a week


def rules_throughput(n: int = 2000) -> float:
    start = datetime(2026, 11, 30, 23, tzinfo=UTC)
    session = Session(id="s", group_id="g", start=start, end=start + timedelta(hours=3))
    group = Group(id="g", name="G", zoom_meeting_id="1")
    entries = []
    for i in range(40):  # 20 reconnects, some duplicated
        at = start + timedelta(minutes=4 * i)
        for action in ("join", "leave"):
            entries.append(
                LedgerEntry(
                    key=f"{i}-{action}",
                    kind=EvidenceKind.PRESENCE,
                    group_id="g",
                    person_id="p",
                    at=at + timedelta(minutes=3 if action == "leave" else 0),
                    recorded_at=at,
                    source="zoom",
                    data={"action": action, "source": "zoom", "stream": str(i % 3)},
                )
            )
    t0 = time.perf_counter()
    for _ in range(n):
        compute_record(
            session=session,
            group=group,
            person_id="p",
            entries=entries,
            policy=Policy(),
            now=start + timedelta(hours=4),
        )
    return n / (time.perf_counter() - t0)


def program_config(db: Path) -> str:
    people = [
        f'[[people]]\nid = "p-{i:03d}"\ndisplay_name = "P{i}"\nzoom_email = "p{i}@example.org"'
        for i in range(PARTICIPANTS)
    ]
    people += [
        f'[[people]]\nid = "f-{g:02d}"\ndisplay_name = "F{g}"\nrole = "facilitator"'
        for g in range(GROUPS)
    ]
    groups = []
    per = PARTICIPANTS // GROUPS
    for g in range(GROUPS):
        members = ", ".join(f'"p-{i:03d}"' for i in range(g * per, (g + 1) * per))
        groups.append(
            f'[[groups]]\nid = "g{g:02d}"\nname = "Group {g}"\nfacilitators = ["f-{g:02d}"]\n'
            f'participants = [{members}]\nzoom_meeting_id = "{9000 + g}"'
        )
    return "\n".join(
        [
            f'[storage]\nurl = "sqlite:///{db}"',
            '[program]\nname = "Bench"\ntimezone = "UTC"',
            *people,
            *groups,
        ]
    )


async def program_month() -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        config = parse_config(program_config(Path(tmp) / "bench.db"))
        first = datetime(2026, 11, 2, 18, tzinfo=UTC)
        clock = FakeClock(first - timedelta(days=1))
        app = await open_app(config, clock=clock)
        chat = MemoryAdapter(engine=app.engine)
        per = PARTICIPANTS // GROUPS
        events = 0
        t0 = time.perf_counter()
        for week_day in range(SESSIONS_PER_GROUP):
            start = first + timedelta(days=(week_day // 3) * 7 + (week_day % 3) * 2)
            sessions = [
                await app.engine.create_session(
                    group_id=f"g{g:02d}", start=start, minutes=180, actor_id="bench"
                )
                for g in range(GROUPS)
            ]
            clock.set(start - timedelta(minutes=5))
            for g in range(len(sessions)):
                for i in range(g * per, (g + 1) * per):
                    if (i + week_day) % 7 == 0:
                        continue  # someone misses
                    await chat.send(f"p-{i:03d}", "/checkin")
                    await chat.presence(
                        source="zoom",
                        room_id=str(9000 + g),
                        identity=Identity(email=f"p{i}@example.org"),
                        action="join",
                        stream=f"z{i}",
                    )
                    events += 2
            clock.set(start + timedelta(hours=3, minutes=5))
            for s in sessions:
                await app.engine.end_session(s.id, actor_id="bench")
        write_seconds = time.perf_counter() - t0
        tracemalloc.start()
        t1 = time.perf_counter()
        rows = await app.engine.report_rows()
        csv = to_csv(rows, zone("UTC"))
        report_seconds = time.perf_counter() - t1
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        await app.close()
        return {
            "events": events,
            "events_per_second": events / write_seconds,
            "report_rows": len(rows),
            "report_seconds": report_seconds,
            "report_peak_mib": peak / 2**20,
            "csv_bytes": len(csv),
        }


def main() -> None:
    rps = rules_throughput()
    month = asyncio.run(program_month())
    print("core benchmark")
    print(f"  attendance rules (40-event log):     {rps:8.0f} records/s")
    print(
        f"  {PARTICIPANTS} participants, {GROUPS} groups, {SESSIONS_PER_GROUP} sessions each, "
        f"SQLite: {month['events']:.0f} check-ins+joins at {month['events_per_second']:.0f}/s"
    )
    print(
        f"  month report: {month['report_rows']:.0f} rows in {month['report_seconds']:.2f} s, "
        f"peak {month['report_peak_mib']:.1f} MiB"
    )


if __name__ == "__main__":
    main()
