"""`make bench` / `python -m benchmarks`: the whole suite, one after another, into
`benchmarks/results.json` and a README-ready Markdown table (`benchmarks/results.md`).

Every figure is compared with its baseline measured in the same run (ratios), because
the machine may be shared. Sizes are the issue's by default and kept so the whole run
stays under ~15 minutes; the big ones are flags:

    python -m benchmarks [--repeats 3] [--storm-repeats 7] [--history-repeats 5]
                         [--people 500] [--zoom 100000] [--ingest 10000] [--months 1,6,12]
                         [--reminders 5000] [--startup-people 12000]
                         [--postgres URL] [--only storm,zoom,...] [--tiny]

`--tiny` is the smoke run (seconds; what CI runs through tests/e2e/test_bench_smoke.py):
each benchmark at a toy size, checking it completes and its checker passes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks import _env, history, ingest, reminders, roster, startup, storm, zoom_webhook
from benchmarks._repeat import passed_all, repeated
from benchmarks._table import markdown

HERE = Path(__file__).resolve().parent
ALL = ("storm", "zoom", "ingest", "roster", "history", "reminders", "startup")


def _args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    p.add_argument("--repeats", type=int, default=3, help="runs of B2, B3, B5 and B6")
    # B1's storm is over in under a second and B4's exports take about one: their
    # medians are taken over more runs (three gave B1 0.64-0.84 in one make bench)
    p.add_argument("--storm-repeats", type=int, default=7, help="rounds of B1")
    p.add_argument("--history-repeats", type=int, default=5, help="runs of B4")
    p.add_argument("--people", type=int, default=500)
    p.add_argument("--groups", type=int, default=40)
    p.add_argument("--connections", type=int, default=64)
    p.add_argument("--sweep", default="1,16,64,256")
    p.add_argument("--zoom", type=int, default=100_000, help="webhooks (the issue's size)")
    p.add_argument("--ingest", type=int, default=10_000, help="events through the engine")
    p.add_argument("--roster-evidence", type=int, default=20_000)
    p.add_argument("--months", default="1,6,12")
    p.add_argument("--formats", default="csv,fhir,billing")
    p.add_argument("--postgres", metavar="URL", help="also B4 on this PostgreSQL database")
    p.add_argument("--reminders", type=int, default=5000)
    p.add_argument("--startup-people", type=int, default=12_000)
    p.add_argument("--only", default=",".join(ALL))
    p.add_argument("--tiny", action="store_true", help="the smoke run: toy sizes")
    p.add_argument("--out", type=Path, default=HERE / "results.json")
    a = p.parse_args(argv)
    if a.tiny:
        a.repeats, a.people, a.groups, a.connections, a.sweep = 1, 12, 3, 4, ""
        a.storm_repeats = a.history_repeats = 1
        a.zoom, a.ingest, a.roster_evidence, a.months = 40, 40, 200, "1"
        a.reminders, a.startup_people = 20, 30
    return a


def _history_months(a: argparse.Namespace) -> list[int]:
    return [int(m) for m in a.months.split(",") if m]


def _plan(a: argparse.Namespace) -> dict[str, tuple[Callable[[], Any], Callable[[Any], bool]]]:
    """name -> (run it, its checker)."""
    formats = [f for f in a.formats.split(",") if f]
    months = _history_months(a)
    sweep = [int(c) for c in a.sweep.split(",") if c]
    roster_people = 200 if not a.tiny else 10
    scale = {"people": 20, "groups": 2} if a.tiny else {}
    plan: dict[str, tuple[Callable[[], Any], Callable[[Any], bool]]] = {
        "storm": (
            lambda: asyncio.run(
                storm.bench(a.people, a.groups, a.connections, a.storm_repeats, sweep)
            ),
            storm.passed,
        ),
        "zoom": (
            lambda: repeated(
                lambda: asyncio.run(zoom_webhook.bench(a.zoom, 50 if not a.tiny else 4)),
                a.repeats,
                "ratio",
                ("ratio", "ours.throughput", "bare.throughput", "ours.p99_ms"),
            ),
            passed_all(lambda r: r["ours"]["ok"] == r["ours"]["requests"]),
        ),
        "ingest": (
            lambda: repeated(
                lambda: asyncio.run(ingest.bench(a.ingest)),
                a.repeats,
                "ratio",
                ingest.FIGURES,
            ),
            passed_all(ingest.passed),
        ),
        "roster": (
            lambda: repeated(
                lambda: asyncio.run(
                    roster.bench(roster_people, a.roster_evidence, 200 if not a.tiny else 10)
                ),
                a.repeats,
                "p99_ms",
                ("p50_ms", "p99_ms", "same_instant_p50_ms", "same_instant_p99_ms"),
            ),
            passed_all(roster.passed),
        ),
        "history": (
            lambda: asyncio.run(
                history.bench(months, formats, None, repeats=a.history_repeats, **scale)
            ),
            lambda r: history.passed(r, formats),
        ),
        "reminders": (
            lambda: repeated(
                lambda: asyncio.run(reminders.bench(a.reminders, 60.0)),
                a.repeats,
                "seconds",
                ("seconds", "retry_after_429_s"),
            ),
            passed_all(lambda r: r["delivered"] == r["reminders"] and r["doubled"] == 0),
        ),
        "startup": (
            lambda: repeated(
                lambda: asyncio.run(startup.bench(a.startup_people)),
                a.repeats,
                "first_start_s",
                ("first_start_s", "second_start_s", "idle_rss_mib"),
            ),
            passed_all(startup.passed),
        ),
    }
    if a.postgres:
        plan["history_postgres"] = (
            lambda: asyncio.run(
                history.bench(months, formats, a.postgres, repeats=a.history_repeats, **scale)
            ),
            lambda r: history.passed(r, formats),
        )
    return plan


def main(argv: list[str] | None = None) -> int:
    a = _args(argv)
    wanted = {n for n in a.only.split(",") if n} | ({"history_postgres"} if a.postgres else set())
    results: dict[str, Any] = {"machine": _env.machine(), "tiny": a.tiny}
    checks: dict[str, bool] = {}
    for name, (run, check) in _plan(a).items():
        if name not in wanted:
            continue
        print(f"== {name}", flush=True)
        try:
            report = run()
        except Exception as e:  # one benchmark's failure must not lose the others'
            report = {"error": f"{type(e).__name__}: {e}"}
        checks[name] = "error" not in report and bool(check(report))
        results[name] = report
        print(json.dumps(report)[:600], flush=True)
    results["machine"]["loadavg_1m_end"] = _env.machine()["loadavg_1m"]
    results["checks"] = checks
    a.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    table = markdown(results)
    a.out.with_suffix(".md").write_text(table, encoding="utf-8")
    print(table)
    failed = sorted(n for n, ok in checks.items() if not ok)
    if failed:
        print(f"checker failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
