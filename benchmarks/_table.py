"""results.json -> the README's Markdown table: each figure with its load, its
baseline from the same run, the target, and median (min–max) of repeated runs."""

from __future__ import annotations

from typing import Any

from benchmarks._repeat import shown


def _s(d: dict[str, Any]) -> str:
    if d.get("runs", 1) > 1:
        return f"{d['median']} ({d['min']}–{d['max']})"
    return str(d["median"])


def _storm(r: dict[str, Any]) -> list[str]:
    load = r["load"]
    what = (
        f"B1 storm: {load['requests']} `/checkin`, {load['people']} people, "
        f"{load['groups']} groups, {load['connections']} conns, half repeats"
    )
    t, p = r["throughput"], r["p99_ms"]
    rows = [
        f"| {what} | req/s: rollcall {_s(t['ours'])}, bolt {_s(t['bare'])}, bolt inline "
        f"{_s(t['bare-inline'])} | ratio {_s(r['ratio'])} (inline {_s(r['ratio_inline'])}) "
        "| ≥ 0.75 |",
        f"| B1 ack p99 (ms) | rollcall {_s(p['ours'])}, bolt {_s(p['bare'])} | | ≤ 100 |",
        f"| B1 in the store | lost {r['lost']}, doubled {r['doubled']}, unanswered "
        f"{r['unanswered']} | | 0, 0 |",
        f"| B6 loop lag p99 during B1 (ms) | {_s(r['loop_lag_p99_ms'])} | | ≤ 50 |",
        f"| B6 idle RSS after start (MiB) | {_s(r['idle_rss_mib'])} | | ≤ 150 |",
    ]
    for g in r.get("by_connections", []):
        rows.append(
            f"| B1 at {g['connections']} conns | rollcall {g['ours']} req/s (p99 "
            f"{g['ours_p99_ms']} ms), bolt {g['bare']} | ratio {g['ratio']} | |"
        )
    return rows


def _ranged(spread: dict[str, Any] | None, value: Any, unit: str) -> str:
    """ "2.21 s (2.10–2.40)" for a repeated figure, else "2.21 s"."""
    gap = "" if unit == "×" else " "
    if not spread or spread.get("runs", 1) < 2:
        return f"{value:.2f}{gap}{unit}" if isinstance(value, float) else f"{value}{gap}{unit}"
    return f"{spread['median']:.2f}{gap}{unit} ({spread['min']:.2f}–{spread['max']:.2f})"


def _history(name: str, r: dict[str, Any]) -> list[str]:
    rows = []
    for m in r["by_months"]:
        sel = m["select"].get("seconds", 0.0)
        for fmt in ("csv", "fhir", "billing"):
            f = m.get(fmt)
            if not f:
                continue
            if "seconds" not in f:
                rows.append(
                    f"| B4 {r['store']} {m['months']} mo {fmt} | "
                    f"{f.get('skipped') or 'error'} | | |"
                )
                continue
            spread = f.get("spread", {})
            took = _ranged(spread.get("seconds"), f["seconds"], "s")
            ratio = _ranged(spread.get("vs_select"), f.get("vs_select", "?"), "×")
            bare = _ranged(m["select"].get("spread", {}).get("seconds"), sel, "s")
            rows.append(
                f"| B4 {r['store']} {m['months']} mo ({m['evidence']:,} evidence, "
                f"{m['records']:,} records) → {fmt} | {took}, {f['peak_mib']:.0f} MiB peak | "
                f"{ratio} a bare SELECT ({bare}) | ≤ 5 s, ≤ 300 MB, ≤ 4× |"
            )
    return rows


def markdown(results: dict[str, Any]) -> str:
    m = results["machine"]
    head = (
        f"Measured {m['date']} on {m['cpus']} cores ({m['platform']}), Python {m['python']}, "
        f"SQLite {m['sqlite']}; load average {m['loadavg_1m']} at the start, "
        f"{m.get('loadavg_1m_end', '?')} at the end"
        + (
            " (a load above the core count: shared machine, figures noisy — read the ratios)"
            if max(m["loadavg_1m"], m.get("loadavg_1m_end", 0)) > (m["cpus"] or 1)
            else ""
        )
        + ".\n\n| benchmark (load) | figure | vs baseline, same run | target |\n|---|---|---|---|"
    )
    rows: list[str] = []
    if "storm" in results and "load" in results["storm"]:
        rows += _storm(results["storm"])
    z = results.get("zoom")
    if z and "ours" in z:
        rows.append(
            f"| B2 {z['ours']['requests']:,} Zoom webhooks, {z['concurrency']} conns | "
            f"rollcall {shown(z, 'ours.throughput')} req/s, p99 {shown(z, 'ours.p99_ms')} ms; "
            f"bare {shown(z, 'bare.throughput')} req/s | "
            f"ratio {shown(z, 'ratio')} to a bare aiohttp HMAC handler | ≥ 0.5 |"
        )
    i = results.get("ingest")
    if i and "engine_per_s" in i:
        rows.append(
            f"| B2 {i['events']:,} joins/leaves through the engine alone, Zoom's way | "
            f"stored {shown(i, 'engine_per_s')}/s; records recomputed too "
            f"{shown(i, 'settled_per_s')}/s | ratio {shown(i, 'ratio')} (with the records "
            f"{shown(i, 'ratio_settled')}) to raw executemany ({shown(i, 'raw_per_s')}/s, "
            f"{i.get('raw_batch')} a commit; with the ledger's indexes "
            f"{shown(i, 'raw_indexed_per_s')}/s, ratio {shown(i, 'ratio_indexed')}) | ≥ 0.25 |"
        )
        rows.append(
            f"| B2 the same one at a time, Discord's way (records before each returns) | "
            f"{shown(i, 'voice_per_s')}/s | ratio {shown(i, 'voice_ratio')} | — |"
        )
    r = results.get("roster")
    if r and "p99_ms" in r:
        rows.append(
            f"| B3 `/roster`, {r['people']} enrolled, {r['evidence']:,} evidence | "
            f"p50 {shown(r, 'p50_ms')} ms, p99 {shown(r, 'p99_ms')} ms, asked once a second "
            f"(again at one instant: p50 {shown(r, 'same_instant_p50_ms')} ms, p99 "
            f"{shown(r, 'same_instant_p99_ms')} ms) | | p99 ≤ 20 ms |"
        )
    for name in ("history", "history_postgres"):
        if name in results and "by_months" in results[name]:
            rows += _history(name, results[name])
    b5 = results.get("reminders")
    if b5 and "delivered" in b5:
        rows.append(
            f"| B5 {b5['reminders']:,} reminders due at once, one 429 Retry-After 2 | "
            f"{b5['delivered']:,} delivered in {shown(b5, 'seconds')} s, doubled "
            f"{b5['doubled']}, 429 retried after {shown(b5, 'retry_after_429_s')} s, closest "
            f"two to one channel {b5['min_gap_same_channel_s']} s | | ≤ 60 s, ≥ 1 s |"
        )
    s = results.get("startup")
    if s and "people" in s:
        rows.append(
            f"| B6 `rollcall run` with {s['people']:,} people → /healthz 200 | first "
            f"start {shown(s, 'first_start_s')} s, second {shown(s, 'second_start_s')} s, "
            f"idle RSS {shown(s, 'idle_rss_mib')} MiB | | ≤ 3 s, ≤ 150 MB |"
        )
    for name, report in results.items():
        if isinstance(report, dict) and "error" in report:
            rows.append(f"| {name} | error: {report['error'][:120]} | | |")
    return head + "\n" + "\n".join(rows) + "\n"
