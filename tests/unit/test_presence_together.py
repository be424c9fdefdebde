"""Presence events that arrive together share their records' recompute (`Together`):
each caller returns only once its own event is in its records, fewer recomputes run
than events arrive, a failure reaches everyone it concerned and nobody waits forever
when a run is cancelled. A voice event matched against the reused directory is matched
again against a fresh one when it finds no group or no person there."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from bot.core.clock import FakeClock
from bot.core.domain import Person, Program
from bot.core.engine import Engine
from bot.core.events import Identity, PresenceObserved
from bot.core.together import Together
from storage.memory import MemoryStore
from tests.unit.evidence import GROUP_ID, PRESENCE_GROUP, SESSION, t

PEOPLE = [f"p-{i:02d}" for i in range(30)]


async def test_callers_arriving_together_share_a_run() -> None:
    runs: list[list[int]] = []

    async def work(items: list[int]) -> None:
        await asyncio.sleep(0.01)
        runs.append(sorted(items))

    together: Together[int] = Together(work)

    async def caller(i: int) -> list[int]:
        await together.run([i])
        return [x for r in runs for x in r]

    handled = await asyncio.gather(*(caller(i) for i in range(20)))
    for i, seen in enumerate(handled):
        assert i in seen  # returned only after its own item was handled
    assert sorted(x for r in runs for x in r) == list(range(20))
    assert len(runs) <= 3  # the first alone, then everyone who waited meanwhile


async def test_a_failed_run_fails_its_callers_and_the_next_run_goes_on() -> None:
    calls = 0

    async def work(items: list[str]) -> None:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.01)
        if "bad" in items:
            raise OSError("disk")

    together: Together[str] = Together(work)
    first = asyncio.create_task(together.run(["ok-1"]))
    await asyncio.sleep(0)
    batch = [asyncio.create_task(together.run([x])) for x in ("bad", "ok-2")]
    await first
    results = await asyncio.gather(*batch, return_exceptions=True)
    assert all(isinstance(r, OSError) for r in results)  # the run both were in failed
    await together.run(["ok-3"])  # and the next one is not stuck behind it
    assert calls == 3


async def test_a_cancelled_caller_leaves_the_others_of_its_run_to_the_next() -> None:
    """The run goes on in the task of the caller who took it: cancelling that caller
    cancels the run, but the others in it are not failed: the run's items (the
    cancelled caller's too) go first in the next run, which one of them takes."""
    handled: list[int] = []
    gate = asyncio.Event()

    async def work(items: list[int]) -> None:
        if 2 in items and not gate.is_set():
            gate.set()
            await asyncio.sleep(10)  # the run that will be cancelled
        await asyncio.sleep(0.01)
        handled.extend(items)

    together: Together[int] = Together(work)
    first = asyncio.create_task(together.run([1]))
    await asyncio.sleep(0)  # 1 is running; 2 and 3 wait and go together next
    second = asyncio.create_task(together.run([2]))
    third = asyncio.create_task(together.run([3]))
    await first
    await gate.wait()  # 2's caller took the run of [2, 3]
    second.cancel()
    with pytest.raises(asyncio.CancelledError):
        await second
    await asyncio.wait_for(third, 2)  # not failed, not stuck
    assert handled == [1, 2, 3]


async def _world() -> tuple[MemoryStore, Engine]:
    store = MemoryStore()
    clock = FakeClock(t("18:30"))
    await store.upsert_group(PRESENCE_GROUP)
    for pid in PEOPLE:
        await store.upsert_person(Person(id=pid, display_name=pid.upper(), zoom_email=f"{pid}@x"))
        await store.seed_enrollment(pid, GROUP_ID, t("08:00"))
    await store.add_session(SESSION)
    return store, Engine(store=store, clock=clock, program=Program())


def _join(pid: str, n: int, source: str = "zoom") -> PresenceObserved:
    return PresenceObserved(
        source=source,
        room_id=PRESENCE_GROUP.zoom_meeting_id or "",
        identity=Identity(email=f"{pid}@x"),
        action="join",
        at=t("18:02") + timedelta(seconds=n),
        stream=f"s-{n}",
        key=f"join-{n}",
    )


async def test_every_voice_event_is_in_its_record_when_handle_returns() -> None:
    store, engine = await _world()
    saves = 0
    save = store.save_records

    async def counting(records):  # type: ignore[no-untyped-def]
        nonlocal saves
        saves += 1
        await asyncio.sleep(0.002)  # a write takes time: others arrive meanwhile
        await save(records)

    store.save_records = counting  # type: ignore[method-assign]

    async def one(n: int, pid: str) -> None:
        assert await engine.handle(_join(pid, n)) == []
        (record,) = await store.records(session_id=SESSION.id, person_id=pid)
        assert record.first_seen == t("18:02") + timedelta(seconds=n)

    await asyncio.gather(*(one(n, pid) for n, pid in enumerate(PEOPLE)))
    assert saves < len(PEOPLE)  # recomputes were shared


async def test_a_person_added_after_the_directory_was_read_is_matched() -> None:
    store, engine = await _world()
    await engine.handle(_join(PEOPLE[0], 0))  # the directory is read and kept
    await store.upsert_person(Person(id="p-new", display_name="New", zoom_email="p-new@x"))
    await store.seed_enrollment("p-new", GROUP_ID, t("08:00"))
    await engine.handle(_join("p-new", 1))
    (entry,) = await store.evidence(person_id="p-new")
    assert entry.guest_key is None
    (record,) = await store.records(session_id=SESSION.id, person_id="p-new")
    assert record.first_seen == t("18:02") + timedelta(seconds=1)
