"""The SQL store's read cache (storage._cache): fresh for half its ttl, then answered
while one background refill runs, then read afresh; a write through the store is
never hidden by a read that began before it."""

from __future__ import annotations

import asyncio

from storage._cache import ReadCache, cached, invalidates


class Table:
    """A stand-in store: one cached read, one write, a clock the test moves."""

    def __init__(self) -> None:
        self.now = 0.0
        self._cache = ReadCache(10.0, clock=lambda: self.now)
        self.value = "v1"
        self.reads = 0
        self.gate: asyncio.Event | None = None

    @cached
    async def read(self) -> str:
        self.reads += 1
        seen = self.value
        if self.gate is not None:
            await self.gate.wait()
        return seen

    @invalidates
    async def write(self, value: str) -> None:
        self.value = value


async def _settle(t: Table) -> None:
    await asyncio.gather(*t._cache._refills)


async def test_fresh_then_answered_while_refilled_then_read_afresh() -> None:
    t = Table()
    assert await t.read() == "v1" and t.reads == 1
    t.value = "v2"  # another process's write: not seen while fresh
    t.now = 4.9
    assert await t.read() == "v1" and t.reads == 1
    t.now = 6.0  # second half: the old answer at once, one refill meanwhile
    assert await t.read() == "v1"
    assert await t.read() == "v1"
    await _settle(t)
    assert t.reads == 2
    assert await t.read() == "v2" and t.reads == 2  # the refill's answer, fresh again
    t.value = "v3"
    t.now = 6.0 + 10.1  # past the ttl: read before answering
    assert await t.read() == "v3" and t.reads == 3


async def test_a_write_during_a_refill_is_never_hidden_by_it() -> None:
    t = Table()
    await t.read()
    t.now = 6.0
    t.gate = asyncio.Event()
    assert await t.read() == "v1"  # the refill starts and waits at the gate
    await asyncio.sleep(0)
    await t.write("written")  # clears the cache while the refill holds "v1"
    t.gate.set()
    await _settle(t)
    t.gate = None
    assert await t.read() == "written"  # not the refill's "v1", not its flight


async def test_a_failed_refill_leaves_the_next_read_to_try_again() -> None:
    t = Table()
    await t.read()
    t.now = 6.0

    async def broken() -> str:
        raise OSError("database gone")

    t._cache.refill(("read", ()), broken)
    await _settle(t)
    t.now = 16.5
    assert await t.read() == "v1" and t.reads == 2
