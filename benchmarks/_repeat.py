"""Repeated runs of one benchmark: the run whose headline figure is the median is the
one reported, and every figure asked for gets its median, min and max over the runs
(`report["repeats"]["ours.throughput"]`, see _env.spread). A checker sees every run:
one failing run fails the benchmark."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from benchmarks._env import spread


def value(report: dict[str, Any], path: str) -> Any:
    """`report["a"]["b"]` for the path "a.b"."""
    out: Any = report
    for part in path.split("."):
        out = out[part]
    return out


def repeated(
    run: Callable[[], dict[str, Any]], times: int, headline: str, figures: Sequence[str]
) -> dict[str, Any]:
    runs = [run() for _ in range(max(1, times))]
    if any("error" in r for r in runs):
        return next(r for r in runs if "error" in r)
    ordered = sorted(runs, key=lambda r: float(value(r, headline)))
    chosen = dict(ordered[(len(ordered) - 1) // 2])
    chosen["repeats"] = {f: spread([float(value(r, f)) for r in runs]) for f in figures}
    chosen["all_runs"] = runs
    return chosen


def passed_all(check: Callable[[dict[str, Any]], bool]) -> Callable[[dict[str, Any]], bool]:
    def every(report: dict[str, Any]) -> bool:
        return all(check(r) for r in report.get("all_runs", [report]))

    return every


def shown(report: dict[str, Any], path: str) -> str:
    """The figure as the table shows it: median (min–max) when repeated."""
    s = report.get("repeats", {}).get(path)
    if s is None:
        return str(value(report, path))
    if s["runs"] > 1:
        return f"{_num(s['median'])} ({_num(s['min'])}–{_num(s['max'])})"
    return _num(s["median"])


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() and abs(x) >= 100 else f"{x:g}"
