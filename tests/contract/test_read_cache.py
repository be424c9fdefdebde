"""The SQL store's read cache (storage._cache): fresh for half its ttl, then answered
while one background refill runs, then read afresh; a write through the store is
never hidden by a read that began before it."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.core.domain import Group
from storage._cache import ReadCache, cached, invalidates
from storage.sql import open_store
from tests.contract.conftest import _copy_sqlite
from tests.contract.factories import person


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


async def test_another_stores_change_is_seen_within_the_lifetime_through_the_indexes(
    sqlite_template: Path, tmp_path: Path
) -> None:
    """Two processes on one SQLite file: what one writes, the other's derived lookups
    (a person by id or chat id, a group by channel) show within ttl (+ one refill),
    not up to twice that (an index refilled from a stale `list_people`)."""
    path = tmp_path / "rollcall.db"
    _copy_sqlite(sqlite_template, path)
    reader = await open_store(f"sqlite:///{path}", cache_seconds=10.0)
    writer = await open_store(f"sqlite:///{path}", cache_seconds=0)
    now = [0.0]
    reader._cache._clock = lambda: now[0]
    try:
        await writer.upsert_person(person("p1", slack_user_id="U1"))
        await writer.upsert_group(Group(id="g1", name="G", slack_channel="C1"))
        assert [p.id for p in await reader.list_people()] == ["p1"]  # read at t=0
        assert [g.id for g in await reader.list_groups()] == ["g1"]
        await writer.upsert_person(person("p2", slack_user_id="U2"))  # just after t=0
        await writer.upsert_group(Group(id="g2", name="H", slack_channel="C2"))
        now[0] = 9.0  # the indexes are first built while the lists are stale
        await reader.get_person("p1")
        await reader.find_group_by_channel(platform="slack", channel_id="C1")
        await asyncio.gather(*reader._cache._refills)
        now[0] = 10.5  # past the lifetime of what was read at t=0: one read, one refill
        for _ in range(2):
            await reader.get_person("p2")
            await reader.find_group_by_channel(platform="slack", channel_id="C2")
            await asyncio.gather(*reader._cache._refills)
        found = await reader.get_person("p2")
        assert found is not None and found.id == "p2"
        by_chat = await reader.find_person(platform="slack", user_id="U2")
        assert by_chat is not None and by_chat.id == "p2"
        group = await reader.find_group_by_channel(platform="slack", channel_id="C2")
        assert group is not None and group.id == "g2"
        assert [p.id for p in await reader.list_people()] == ["p1", "p2"]
    finally:
        await reader.close()
        await writer.close()
