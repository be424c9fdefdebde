"""B1, the top-of-the-hour storm on Slack: signed `/checkin` over `POST /slack/events`,
`people` participants in `groups` open groups, `connections` in flight, half the
requests repeats (people press `/checkin` twice, or again after a reconnect).

Rollcall (real SQLite file, `synchronous=FULL`, the durable write before the ack)
against a bare slack-bolt `AsyncApp` that only verifies and acks — bolt's defaults
and `process_before_response=True` — alternating in one run, each in its own process.
Afterwards the store is asked: every participant who was told "checked in" has
exactly one check-in in the ledger (0 lost, 0 doubled). Inside rollcall's process a
monitor measures the event loop's lag during the storm (B6) and its idle RSS.

    python -m benchmarks.storm [--people 500] [--groups 40] [--connections 64]
                               [--repeats 3] [--sweep 1,16,64,256]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import random
import sys
import tempfile
import time
import urllib.parse
from dataclasses import asdict
from pathlib import Path
from typing import Any

import aiohttp
from slack_sdk.signature import SignatureVerifier

from benchmarks import _env
from benchmarks._load import burst
from benchmarks.slack_checkin import NOW, SECRET, _fake_web_api, _serve_bare

WARMUP = 20  # extra participants who warm each server up (not counted)
TIME_LIMIT = 180.0
KINDS = ("bare", "bare-inline", "ours")


def config_text(db: Path, api: str, people: int, groups: int) -> str:
    """Participant i is in group i % groups; every group's session is open at NOW."""
    lines = [
        f'[storage]\nurl = "sqlite:///{db}"',
        "[server]\nport = 0",
        "[slack]\nenabled = true",
        'bot_token = "xoxb-bench"',
        f'signing_secret = "{SECRET}"',
        f'api_base_url = "{api}"',
        '[program]\nname = "Bench"\ntimezone = "America/New_York"',
        '[[people]]\nid = "f-1"\ndisplay_name = "F"\nrole = "facilitator"',
    ]
    for i in range(people):
        lines.append(f'[[people]]\nid = "p-{i:05d}"\ndisplay_name = "P{i}"')
        lines.append(f'slack_user_id = "U{i:06d}"')
    for g in range(groups):
        members = ", ".join(f'"p-{i:05d}"' for i in range(g, people, groups))
        lines.append(
            f'[[groups]]\nid = "g-{g:03d}"\nname = "Group {g}"\n'
            'schedule = { rrule = "FREQ=DAILY", start = "18:00", minutes = 180 }\n'
            f'facilitators = ["f-1"]\nparticipants = [{members}]\n'
            f'slack_channel = "C{g:05d}"'
        )
    return "\n".join(lines) + "\n"


# --- the servers (child processes) -------------------------------------------------------


async def _serve(kind: str, people: int, groups: int) -> None:
    logging.basicConfig(level=logging.ERROR)
    lag = _env.LagMonitor()
    with tempfile.TemporaryDirectory(prefix="rollcall-bench-") as tmp:
        app = None
        if kind == "ours":
            from adapters.slack.adapter import SlackAdapter
            from bot.config import parse_config
            from bot.core.clock import FakeClock
            from bot.shell.app import open_app
            from bot.shell.gc_tuning import settle_memory
            from bot.shell.web import make_web_app, start_server

            _, api = await _fake_web_api()
            config = parse_config(config_text(Path(tmp) / "bench.db", api, people, groups))
            app = await open_app(config, clock=FakeClock(NOW))
            web_app = make_web_app(app.store)
            SlackAdapter(config.slack, app.engine).add_routes(web_app)
            runner = await start_server(web_app, "127.0.0.1", 0)
            settle_memory()  # as `rollcall run` does once it has started
        else:
            runner = await _serve_bare(inline=kind == "bare-inline")
        idle_rss = _env.rss_mib()
        lag.start()
        port = next(a[1] for a in runner.addresses if isinstance(a, tuple))
        print(port, flush=True)
        read = asyncio.to_thread(sys.stdin.readline)
        while line := (await asyncio.wait_for(read, TIME_LIMIT * 2)).strip():
            read = asyncio.to_thread(sys.stdin.readline)
            if line == "reset":
                lag.take()
                print("ok", flush=True)
            elif line == "stats":
                stats: dict[str, Any] = {**lag.take(), "idle_rss_mib": round(idle_rss, 1)}
                stats["rss_mib"] = round(_env.rss_mib(), 1)
                if app is not None:
                    stats["checkins"] = await _checkins(app.store)
                print(json.dumps(stats), flush=True)
        lag.stop()
        await runner.cleanup()
        if app is not None:
            await app.close()


async def _checkins(store: Any) -> dict[str, int]:
    """Check-ins per person, from the ledger itself."""
    from bot.core.domain import EvidenceKind

    counts: dict[str, int] = {}
    for e in await store.evidence(kinds=[EvidenceKind.CHECKIN]):
        if e.person_id:
            counts[e.person_id] = counts.get(e.person_id, 0) + 1
    return counts


# --- the client (this process) -----------------------------------------------------------


def plan(people: int, *, seed: int = 13) -> list[int]:
    """Every participant once, and as many repeats (half the requests), shuffled."""
    rng = random.Random(seed)
    order = list(range(people)) + [rng.randrange(people) for _ in range(people)]
    rng.shuffle(order)
    return order


async def _load(
    port: int, order: list[int], *, groups: int, connections: int, expect: str
) -> tuple[dict[str, Any], set[int]]:
    """Send `order` (participant numbers); returns the burst figures and who was
    answered `expect`."""
    url = f"http://127.0.0.1:{port}/slack/events"
    verifier = SignatureVerifier(SECRET)
    told: set[int] = set()

    async def send(http: aiohttp.ClientSession, n: int) -> bool:
        person = order[n]
        body = urllib.parse.urlencode(
            {
                "command": "/checkin",
                "text": "",
                "user_id": f"U{person:06d}",
                "channel_id": f"C{person % groups:05d}",
                "channel_name": "group",
                "team_id": "T1",
                "response_url": "http://127.0.0.1:9/unused",
                "trigger_id": f"trig-{n}",
            }
        )
        ts = str(int(time.time()))
        headers = {
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": verifier.generate_signature(timestamp=ts, body=body) or "",
            "Content-Type": "application/x-www-form-urlencoded",
        }
        async with http.post(url, data=body, headers=headers) as resp:
            text = await resp.text()
        ok = resp.status == 200 and expect in text
        if ok:
            told.add(person)
        return ok

    result = await burst(
        "storm", send, range(len(order)), concurrency=connections, time_limit=TIME_LIMIT
    )
    return asdict(result), told


async def one_round(kind: str, people: int, groups: int, connections: int) -> dict[str, Any]:
    """One server, warmed up, one storm; for rollcall also the store's check and B6."""
    total = people + WARMUP
    async with _env.child(
        "benchmarks.storm", "--serve", kind, "--people", str(total), "--groups", str(groups)
    ) as server:
        warm = list(range(people, total))
        await _load(server.port, warm, groups=groups, connections=4, expect="")
        await server.ask("reset")
        order = plan(people)
        expect = "checked in" if kind == "ours" else "ok"
        figures, told = await _load(
            server.port, order, groups=groups, connections=connections, expect=expect
        )
        stats = json.loads(await server.ask("stats"))
    out: dict[str, Any] = {**figures, **{k: v for k, v in stats.items() if k != "checkins"}}
    if kind == "ours":
        counts: dict[str, int] = stats["checkins"]
        measured = {f"p-{i:05d}" for i in range(people)}
        out["lost"] = sum(1 for i in told if counts.get(f"p-{i:05d}", 0) == 0)
        out["doubled"] = sum(1 for p, n in counts.items() if p in measured and n > 1)
        out["unanswered"] = people - len(told)
    return out


async def bench(
    people: int, groups: int, connections: int, repeats: int, sweep: list[int]
) -> dict[str, Any]:
    runs: dict[str, list[dict[str, Any]]] = {k: [] for k in KINDS}
    for _ in range(repeats):  # alternating: each round runs every server once
        for kind in KINDS:
            runs[kind].append(await one_round(kind, people, groups, connections))
    ratios = [
        o["throughput"] / b["throughput"] for o, b in zip(runs["ours"], runs["bare"], strict=True)
    ]
    inline = [
        o["throughput"] / b["throughput"]
        for o, b in zip(runs["ours"], runs["bare-inline"], strict=True)
    ]
    ours = runs["ours"]
    report: dict[str, Any] = {
        "load": {
            "people": people,
            "groups": groups,
            "connections": connections,
            "requests": 2 * people,
            "repeats_share": 0.5,
        },
        "throughput": {k: _env.spread([r["throughput"] for r in runs[k]]) for k in KINDS},
        "p99_ms": {k: _env.spread([r["p99_ms"] for r in runs[k]]) for k in KINDS},
        "ratio": _env.spread(ratios),
        "ratio_inline": _env.spread(inline),
        "lost": sum(r["lost"] for r in ours),
        "doubled": sum(r["doubled"] for r in ours),
        "unanswered": sum(r["unanswered"] for r in ours),
        "loop_lag_p99_ms": _env.spread([r["lag_p99_ms"] for r in ours]),
        "idle_rss_mib": _env.spread([r["idle_rss_mib"] for r in ours]),
        "targets": {"ratio": 0.75, "p99_ms": 100, "loop_lag_p99_ms": 50, "idle_rss_mib": 150},
        "runs": runs,
    }
    growth = []
    for c in sweep:  # how cost grows with connections: one round of each, side by side
        o = await one_round("ours", people, groups, c)
        b = await one_round("bare", people, groups, c)
        growth.append(
            {
                "connections": c,
                "ours": o["throughput"],
                "bare": b["throughput"],
                "ratio": round(o["throughput"] / b["throughput"], 3),
                "ours_p99_ms": o["p99_ms"],
                "bare_p99_ms": b["p99_ms"],
            }
        )
    report["by_connections"] = growth
    return report


def passed(report: dict[str, Any]) -> bool:
    """The checker: nothing lost or doubled, everyone answered (never a timing)."""
    return bool(report["lost"] == 0 and report["doubled"] == 0 and report["unanswered"] == 0)


def summary(report: dict[str, Any]) -> list[str]:
    t, p = report["throughput"], report["p99_ms"]
    load = report["load"]
    lines = [
        f"storm: {load['requests']} /checkin of {load['people']} people in {load['groups']} "
        f"groups, {load['connections']} connections, half repeats",
    ]
    for k in KINDS:
        lines.append(
            f"  {k:11} {t[k]['median']:8.1f} req/s (min {t[k]['min']}, max {t[k]['max']}); "
            f"p99 {p[k]['median']} ms"
        )
    lines.append(
        f"  ratio ours/bolt {report['ratio']['median']} (target ≥ 0.75); ours/bolt-inline "
        f"{report['ratio_inline']['median']}; lost {report['lost']}, doubled "
        f"{report['doubled']}, unanswered {report['unanswered']}"
    )
    lines.append(
        f"  loop lag p99 {report['loop_lag_p99_ms']['median']} ms (≤ 50); idle RSS "
        f"{report['idle_rss_mib']['median']} MiB (≤ 150)"
    )
    for g in report["by_connections"]:
        lines.append(
            f"  {g['connections']:>4} connections: ours {g['ours']} req/s, bolt {g['bare']} "
            f"req/s, ratio {g['ratio']}, p99 {g['ours_p99_ms']} vs {g['bare_p99_ms']} ms"
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--people", type=int, default=500)
    parser.add_argument("--groups", type=int, default=40)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--sweep", default="1,16,64,256", help="connection counts, or ''")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--serve", choices=KINDS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        asyncio.run(_serve(args.serve, args.people, args.groups))
        return 0
    sweep = [int(c) for c in args.sweep.split(",") if c.strip()]
    report = asyncio.run(bench(args.people, args.groups, args.connections, args.repeats, sweep))
    print("\n".join(summary(report)))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0 if passed(report) else 1


if __name__ == "__main__":
    raise SystemExit(main())
