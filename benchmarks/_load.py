"""The load generator both webhook benchmarks share: numbered requests, a fixed number
in flight, a time limit, and the client-side latency of each."""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import aiohttp

#: send request number i; True when its answer is the one expected
Send = Callable[[aiohttp.ClientSession, int], Awaitable[bool]]


@dataclass(frozen=True, slots=True, kw_only=True)
class Burst:
    server: str
    requests: int
    ok: int
    seconds: float
    throughput: float
    p50_ms: float
    p99_ms: float
    max_ms: float


async def burst(
    server: str, send: Send, numbers: range, *, concurrency: int, time_limit: float
) -> Burst:
    """Send every number in `numbers`, `concurrency` at a time, for at most `time_limit`
    seconds; throughput counts the requests answered."""
    todo: asyncio.Queue[int] = asyncio.Queue()
    for i in numbers:
        todo.put_nowait(i)
    latencies: list[float] = []
    ok = 0
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as http:

        async def worker(deadline: float) -> None:
            nonlocal ok
            while time.monotonic() < deadline:
                try:
                    i = todo.get_nowait()
                except asyncio.QueueEmpty:
                    return
                started = time.perf_counter()
                answered = await send(http, i)
                latencies.append(time.perf_counter() - started)
                ok += answered

        started = time.perf_counter()
        deadline = time.monotonic() + time_limit
        await asyncio.gather(*(worker(deadline) for _ in range(concurrency)))
        seconds = time.perf_counter() - started
    latencies.sort()
    q = statistics.quantiles(latencies, n=100, method="inclusive")
    return Burst(
        server=server,
        requests=len(latencies),
        ok=ok,
        seconds=round(seconds, 3),
        throughput=round(len(latencies) / seconds, 1),
        p50_ms=round(q[49] * 1000, 1),
        p99_ms=round(q[98] * 1000, 1),
        max_ms=round(latencies[-1] * 1000, 1),
    )
