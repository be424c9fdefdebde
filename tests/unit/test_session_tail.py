"""SessionTail's reads take turns: a session read afresh while another read catches
the kept sessions up must still get every entry appended meanwhile (the shared head
would otherwise move past entries the fresh copy never saw), and a head read before
another read's catch-up is not taken for a ledger that went back."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

from bot.core.attendance.tail import SessionTail
from bot.core.domain import EvidenceKind, LedgerEntry
from storage.memory import MemoryStore
from tests.unit.evidence import GROUP_ID, PRESENCE_GROUP, SESSION, t

LO, HI = t("00:00"), t("23:59")
OTHER = dataclasses.replace(SESSION, id="s-2", start=t("10:00"), end=t("11:00"))


class Late:
    """A store whose queries see it at their start and answer later (as a database's
    do), when `gate` is set for the one asked about `held`."""

    def __init__(self, store: MemoryStore) -> None:
        self.store = store
        self.gate: asyncio.Event | None = None
        self.held = ""
        self.page_reads = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)

    async def evidence(self, **kw: Any) -> list[LedgerEntry]:
        found = await self.store.evidence(**kw)
        if self.gate is not None and kw.get("session_id") == self.held:
            gate, self.gate = self.gate, None
            await gate.wait()
        return found

    async def ledger_page(self, **kw: Any) -> list[LedgerEntry]:
        self.page_reads += 1
        return await self.store.ledger_page(**kw)


def _checkin(key: str, session_id: str, when: str) -> LedgerEntry:
    return LedgerEntry(
        key=key,
        kind=EvidenceKind.CHECKIN,
        group_id=GROUP_ID,
        session_id=session_id,
        person_id="p-1",
        at=t(when),
        recorded_at=t(when),
        source="console",
    )


async def _world() -> tuple[MemoryStore, Late, SessionTail]:
    store = MemoryStore()
    await store.upsert_group(PRESENCE_GROUP)
    await store.add_session(SESSION)
    await store.add_session(OTHER)
    await store.append_evidence([_checkin("a", SESSION.id, "18:01")])
    late = Late(store)
    return store, late, SessionTail(late)  # type: ignore[arg-type]


async def test_a_fresh_read_gets_what_another_read_caught_up_meanwhile() -> None:
    store, late, tail = await _world()
    await tail.read(SESSION, LO, HI)  # kept
    gate = late.gate = asyncio.Event()
    late.held = OTHER.id
    fresh = asyncio.create_task(tail.read(OTHER, LO, HI))  # its query answers late
    await asyncio.sleep(0)
    await store.append_evidence([_checkin("late", OTHER.id, "10:05")])  # after that query
    other = asyncio.create_task(tail.read(SESSION, LO, HI))  # would move the shared head
    await asyncio.sleep(0)
    gate.set()
    await asyncio.gather(fresh, other)
    got = await tail.read(OTHER, LO, HI)
    assert [e.key for e in got.evidence] == ["late"]
    assert got.head == await store.chain_head("ledger")


async def test_a_head_read_before_a_catch_up_drops_nothing() -> None:
    store, late, tail = await _world()
    await tail.read(SESSION, LO, HI)
    await tail.read(OTHER, LO, HI)
    await store.append_evidence([_checkin("b", SESSION.id, "18:02")])
    reads = late.page_reads
    both = await asyncio.gather(tail.read(SESSION, LO, HI), tail.read(OTHER, LO, HI))
    assert [e.key for e in both[0].evidence] == ["a", "b"]
    assert late.page_reads == reads + 1  # one catch-up for both, nothing read afresh
    fresh_reads = 0
    evidence = late.evidence

    async def counting(**kw: Any) -> list[LedgerEntry]:
        nonlocal fresh_reads
        fresh_reads += 1
        return await evidence(**kw)

    late.evidence = counting  # type: ignore[method-assign]
    await asyncio.gather(*(tail.read(s, LO, HI) for s in (SESSION, OTHER, SESSION)))
    assert fresh_reads == 0  # both still kept


class Counting(Late):
    """Counts the fresh reads of a session's evidence."""

    def __init__(self, store: MemoryStore) -> None:
        super().__init__(store)
        self.fresh_reads = 0

    async def evidence(self, **kw: Any) -> list[LedgerEntry]:
        if kw.get("session_id") is not None:
            self.fresh_reads += 1
        return await super().evidence(**kw)


async def test_a_big_kept_session_catches_up_past_the_tail_limit_instead_of_reading_afresh(
    monkeypatch: Any,
) -> None:
    """When more is kept than is new, catching up costs less than reading it all
    again: past TAIL_LIMIT new entries, but fewer than the kept sessions hold, the kept
    copies take the new entries; past what they hold, they are read afresh."""
    from bot.core.attendance import tail as tail_module

    monkeypatch.setattr(tail_module, "TAIL_LIMIT", 3)
    store = MemoryStore()
    await store.upsert_group(PRESENCE_GROUP)
    await store.add_session(SESSION)
    await store.append_evidence([_checkin(f"k{i}", SESSION.id, "18:01") for i in range(8)])
    counting = Counting(store)
    tail = SessionTail(counting)  # type: ignore[arg-type]
    await tail.read(SESSION, LO, HI)
    assert counting.fresh_reads == 1
    await store.append_evidence([_checkin(f"n{i}", SESSION.id, "18:02") for i in range(5)])
    caught = await tail.read(SESSION, LO, HI)  # 5 new > TAIL_LIMIT, < the 8+ kept
    assert counting.fresh_reads == 1 and counting.page_reads >= 1
    assert {e.key for e in caught.evidence} == {e.key for e in await store.evidence()}
    await store.append_evidence([_checkin(f"m{i}", SESSION.id, "18:03") for i in range(40)])
    again = await tail.read(SESSION, LO, HI)  # 40 new > all that is kept: afresh
    assert counting.fresh_reads == 2
    assert {e.key for e in again.evidence} == {e.key for e in await store.evidence()}
