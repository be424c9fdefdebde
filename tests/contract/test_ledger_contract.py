"""The `Store` contract, part 2: evidence ledger, audit log, hash chains, concurrency.

Runs over memory, SQLite and PostgreSQL (see conftest.py `backend`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from datetime import timedelta, timezone

import pytest

from bot.core.domain import EvidenceKind, LedgerEntry
from bot.core.ledger import GENESIS, audit_hash, ledger_hash, verify_chain
from bot.core.ports import Store
from tests.contract.conftest import Backend
from tests.contract.factories import T0, at, audit_entry, entry


async def verify(store: Store, chain: str, page: int = 1000) -> object:
    async def fetch(after: int) -> list:  # type: ignore[type-arg]
        if chain == "ledger":
            return await store.ledger_page(after_seq=after, limit=page)
        return await store.audit_page(after_seq=after, limit=page)

    return await verify_chain(chain, fetch, await store.chain_head(chain))


def stripped(e: LedgerEntry) -> LedgerEntry:
    """The entry as given to append_evidence (before seq and hashes were assigned)."""
    return LedgerEntry(
        key=e.key,
        kind=e.kind,
        group_id=e.group_id,
        at=e.at,
        recorded_at=e.recorded_at,
        source=e.source,
        session_id=e.session_id,
        person_id=e.person_id,
        guest_key=e.guest_key,
        actor_id=e.actor_id,
        data=e.data,
    )


# -- appending -------------------------------------------------------------------------
async def test_append_assigns_seq_and_hash_chain(store: Store) -> None:
    given = [
        entry(
            "k1",
            person_id="p-1",
            session_id="s1",
            actor_id="p-1",
            data={"note_len": 3, "ratio": 0.1, "ok": True, "none": None, "s": "ü"},
        ),
        entry("k2", kind=EvidenceKind.PRESENCE, guest_key="zoom:abc", data={"action": "join"}),
    ]
    assert await store.append_evidence(given) == [True, True]
    assert await store.append_evidence([entry("k3", at=at(5))]) == [True]
    stored = await store.ledger_page()
    assert [e.seq for e in stored] == [1, 2, 3]
    prev = GENESIS
    for e in stored:
        assert e.prev_hash == prev
        assert e.hash == ledger_hash(prev, e, e.seq)
        prev = e.hash
    assert [stripped(e) for e in stored] == [*given, entry("k3", at=at(5))]
    assert await store.chain_head("ledger") == (3, stored[-1].hash)
    assert await store.chain_head("audit") == (0, GENESIS)


async def test_replay_returns_false_and_writes_nothing(store: Store) -> None:
    await store.append_evidence([entry("k1"), entry("k2")])
    head = await store.chain_head("ledger")
    assert await store.append_evidence([entry("k1", source="zoom")], notes=["again"]) == [False]
    assert await store.chain_head("ledger") == head
    assert [e.source for e in await store.ledger_page()] == ["slack", "slack"]
    assert await store.append_evidence([entry("k2"), entry("k3"), entry("k1")]) == [
        False,
        True,
        False,
    ]
    assert [(e.seq, e.key) for e in await store.ledger_page()] == [(1, "k1"), (2, "k2"), (3, "k3")]


async def test_duplicate_key_within_one_batch(store: Store) -> None:
    batch = [entry("a", person_id="p-1"), entry("b"), entry("a", person_id="p-2")]
    assert await store.append_evidence(batch, notes=["first", None, "second"]) == [
        True,
        True,
        False,
    ]
    stored = await store.ledger_page()
    assert [(e.seq, e.key, e.person_id) for e in stored] == [(1, "a", "p-1"), (2, "b", None)]
    assert await store.notes_for("p-1") == [("a", "first")]
    assert await store.notes_for("p-2") == []


async def test_a_unit_stands_or_falls_with_its_first_entry(store: Store) -> None:
    done = entry("done", person_id="p-1")
    first = [done, entry("anon-1"), entry("answer", person_id="p-1")]
    assert await store.append_evidence(first, notes=[None, None, "note"], unit=True) == [
        True,
        True,
        True,
    ]
    again = [done, entry("anon-2"), entry("answer", person_id="p-1")]
    assert await store.append_evidence(again, notes=[None, "other", None], unit=True) == [
        False,
        False,
        False,
    ]
    # without `unit` the same entries are taken one by one
    assert await store.append_evidence(again) == [False, True, False]
    assert [e.key for e in await store.ledger_page()] == ["done", "anon-1", "answer", "anon-2"]
    assert await store.notes_for("p-1") == [("answer", "note")]


async def test_concurrent_units_with_one_first_key_store_one(store: Store) -> None:
    """A double click: two submissions at once, in one group-commit batch or two."""

    async def submit(n: int) -> list[bool]:
        return await store.append_evidence(
            [entry("done:s1:p-1", person_id="p-1"), entry(f"anon-{n}")], unit=True
        )

    results = await asyncio.gather(*(submit(n) for n in range(6)))
    assert sorted(results) == [[False, False]] * 5 + [[True, True]]
    keys = [e.key for e in await store.ledger_page()]
    assert len(keys) == 2 and keys[0] == "done:s1:p-1"
    assert await verify(store, "ledger") is None


async def test_notes_by_key_and_forgetting_a_guest(store: Store) -> None:
    joins = [
        entry("zoom:1", guest_key="zoom:robin", kind=EvidenceKind.PRESENCE),
        entry("zoom:2", guest_key="zoom:robin", kind=EvidenceKind.PRESENCE),
        entry("zoom:3", guest_key="zoom:sam", kind=EvidenceKind.PRESENCE),
        entry("own", person_id="p-1"),
    ]
    await store.append_evidence(joins, notes=["Robin", "Robin B.", "Sam", "bus late"])
    assert await store.notes_by_key(["zoom:2", "zoom:3", "nope"]) == {
        "zoom:2": "Robin B.",
        "zoom:3": "Sam",
    }
    assert await store.notes_by_key([]) == {}
    erased = await store.forget_guest("zoom:robin", audit=audit_entry("guest.forget"))
    assert erased == 2
    assert await store.notes_by_key([e.key for e in joins]) == {"zoom:3": "Sam", "own": "bus late"}
    assert len(await store.ledger_page()) == 4  # the entries stay, unnamed
    assert [a.action for a in await store.audit_page()] == ["guest.forget"]
    assert await store.forget_guest("zoom:robin", audit=audit_entry("guest.forget")) == 0
    assert await verify(store, "ledger") is None and await verify(store, "audit") is None


async def test_empty_batch(store: Store) -> None:
    assert await store.append_evidence([]) == []
    assert await store.chain_head("ledger") == (0, GENESIS)


async def test_notes_are_kept_apart_and_returned_per_person(store: Store) -> None:
    await store.append_evidence(
        [entry("k1", person_id="p-1"), entry("k2", person_id="p-1"), entry("k3", person_id="p-2")],
        notes=["late, bus", None, "x"],
    )
    await store.append_evidence([entry("k4", person_id="p-1")], notes=[""])  # empty: no note
    await store.append_evidence([entry("k5", person_id="p-1")], notes=["feeling better"])
    await store.append_evidence([entry("k6", person_id="p-1")])
    assert await store.notes_for("p-1") == [("k1", "late, bus"), ("k5", "feeling better")]
    assert await store.notes_for("p-2") == [("k3", "x")]
    assert await store.notes_for("p-3") == []
    assert all("late" not in str(e.data) for e in await store.ledger_page())


# -- reading ---------------------------------------------------------------------------
async def test_evidence_filters(store: Store) -> None:
    await store.append_evidence(
        [
            entry("e1", session_id="s1", person_id="p-1", at=at(10)),
            entry("e2", session_id="s1", person_id="p-2", kind=EvidenceKind.PRESENCE, at=at(0)),
            entry("e3", session_id="s2", group_id="g2", person_id="p-1", at=at(20)),
            entry("e4", guest_key="zoom:x", kind=EvidenceKind.PRESENCE, at=at(5)),
            entry("e5", person_id="p-1", kind=EvidenceKind.VERIFY, at=at(10)),
            entry("e6", kind=EvidenceKind.PRESENCE, at=at(30), data={"action": "room_closed"}),
        ]
    )

    async def keys(**kw: object) -> list[str]:
        return [e.key for e in await store.evidence(**kw)]  # type: ignore[arg-type]

    assert await keys() == ["e1", "e2", "e3", "e4", "e5", "e6"]  # by seq, not by `at`
    assert await keys(session_id="s1") == ["e1", "e2"]
    assert await keys(group_id="g2") == ["e3"]
    assert await keys(person_id="p-1") == ["e1", "e3", "e5"]
    assert await keys(guest_key="zoom:x") == ["e4"]
    assert await keys(kinds=[EvidenceKind.PRESENCE]) == ["e2", "e4", "e6"]
    # a room's markers: neither a person nor a guest
    assert await keys(unattributed=True) == ["e6"]
    assert await keys(unattributed=True, kinds=[EvidenceKind.PRESENCE], at_to=at(30)) == []
    assert await keys(kinds=[EvidenceKind.VERIFY, EvidenceKind.CHECKIN]) == ["e1", "e3", "e5"]
    assert await keys(kinds=[]) == []
    assert await keys(at_from=at(10)) == ["e1", "e3", "e5", "e6"]  # inclusive
    assert await keys(at_to=at(10)) == ["e2", "e4"]  # exclusive
    assert await keys(at_from=at(5), at_to=at(10) + timedelta(microseconds=1)) == [
        "e1",
        "e4",
        "e5",
    ]
    assert await keys(group_id="g1", person_id="p-1", kinds=[EvidenceKind.CHECKIN]) == ["e1"]
    assert await keys(session_id="nope") == []
    west = timezone(timedelta(hours=-5))
    assert await keys(at_from=at(10).astimezone(west), at_to=at(20).astimezone(west)) == [
        "e1",
        "e5",
    ]


async def test_evidence_of_many_sessions_at_once(store: Store) -> None:
    await store.append_evidence(
        [
            entry("a1", session_id="s2", at=at(10)),
            entry("a2", session_id="s1", kind=EvidenceKind.SIGNOFF, at=at(0)),
            entry("a3", session_id="s3", kind=EvidenceKind.SIGNOFF, at=at(1)),
            entry("a4", person_id="p-1", kind=EvidenceKind.PRESENCE, at=at(2)),
            entry("a5", session_id="s2", kind=EvidenceKind.SIGNOFF, at=at(3)),
            entry("a6", session_id="s1", kind=EvidenceKind.SIGNOFF, at=at(4)),
        ]
    )
    # more sessions than one query's chunk: still one answer, by seq
    many = [f"x{i}" for i in range(1200)] + ["s2", "s1"]

    async def keys(ids: list[str], kinds: list[EvidenceKind] | None = None) -> list[str]:
        return [e.key for e in await store.sessions_evidence(ids, kinds=kinds)]

    assert await keys(many) == ["a1", "a2", "a5", "a6"]
    assert await keys(many, [EvidenceKind.SIGNOFF]) == ["a2", "a5", "a6"]
    assert await keys(["s3", "s3"], [EvidenceKind.SIGNOFF, EvidenceKind.CHECKIN]) == ["a3"]
    assert await keys(["s2"], [EvidenceKind.PRESENCE]) == []
    assert await keys([]) == []


async def test_makeup_bookings_for_one_missed_session_of_some_people(store: Store) -> None:
    book = EvidenceKind.MAKEUP_BOOKING
    await store.append_evidence(
        [
            entry("b1", kind=book, person_id="p-1", session_id="m1", data={"makeup_for": "s1"}),
            entry("b2", kind=book, person_id="p-2", session_id="m2", data={"makeup_for": "s1"}),
            entry("b3", kind=book, person_id="p-1", session_id="m3", data={"makeup_for": "s2"}),
            entry("b4", kind=book, person_id="p-3", session_id="m1", data={"makeup_for": "s1"}),
            entry("b5", kind=book, person_id="p-1", session_id="m4", data={}),
            # another kind naming the same session is no booking
            entry("c1", kind=EvidenceKind.CHECKIN, person_id="p-1", data={"makeup_for": "s1"}),
            entry("b6", kind=book, person_id="p-1", session_id="m5", data={"makeup_for": "s1"}),
        ]
    )
    # more people than one query's chunk: still one answer, by seq
    many = [f"x{i}" for i in range(1200)] + ["p-2", "p-1"]

    async def keys(missed: str, people: list[str]) -> list[str]:
        found = await store.makeup_bookings(missed, people)
        assert all(e.kind is book and e.data["makeup_for"] == missed for e in found)
        return [e.key for e in found]

    assert await keys("s1", many) == ["b1", "b2", "b6"]
    assert await keys("s1", ["p-3", "p-3"]) == ["b4"]
    assert await keys("s2", ["p-1", "p-2"]) == ["b3"]
    assert await keys("s2", ["p-2"]) == []
    assert await keys("nope", ["p-1"]) == []
    assert await keys("s1", []) == []


async def test_datetimes_round_trip_aware_utc_with_microseconds(store: Store) -> None:
    exact = T0.replace(microsecond=1)
    await store.append_evidence([entry("k1", at=exact, recorded_at=exact + timedelta(days=400))])
    got = (await store.evidence())[0]
    assert got.at == exact and got.recorded_at == exact + timedelta(days=400)
    for value in (got.at, got.recorded_at):
        assert value.tzinfo is not None and value.utcoffset() == timedelta(0)
        assert value.microsecond == 1
    # an aware time in another zone is stored as the same instant
    india = timezone(timedelta(hours=5, minutes=30))
    await store.append_evidence([entry("k2", at=at(1).astimezone(india))])
    assert (await store.evidence(at_from=at(1)))[0].at == at(1)
    assert await verify(store, "ledger") is None


async def test_ledger_page_paging(store: Store) -> None:
    await store.append_evidence([entry(f"k{i}") for i in range(1, 6)])
    assert [e.seq for e in await store.ledger_page(limit=2)] == [1, 2]
    assert [e.seq for e in await store.ledger_page(after_seq=2, limit=2)] == [3, 4]
    assert [e.seq for e in await store.ledger_page(after_seq=4, limit=2)] == [5]
    assert await store.ledger_page(after_seq=5) == []
    assert len(await store.ledger_page()) == 5


# -- audit -----------------------------------------------------------------------------
async def test_audit_append_chain_and_paging(store: Store) -> None:
    given = [
        audit_entry("roster.view", at=at(0), target="g1"),
        audit_entry("verify", at=at(10), target="p-1", detail={"status": "present", "n": 2}),
        audit_entry("export", at=at(20), actor_id="admin", detail={}),
    ]
    for a in given:
        await store.append_audit(a)
    log = await store.audit_page()
    assert [a.seq for a in log] == [1, 2, 3]
    prev = GENESIS
    for a, want in zip(log, given, strict=True):
        assert (a.at, a.actor_id, a.action, a.target, dict(a.detail)) == (
            want.at,
            want.actor_id,
            want.action,
            want.target,
            dict(want.detail),
        )
        assert a.prev_hash == prev and a.hash == audit_hash(prev, a, a.seq)
        assert a.at.utcoffset() == timedelta(0)
        prev = a.hash
    assert await store.chain_head("audit") == (3, prev)
    assert [a.seq for a in await store.audit_page(limit=2)] == [1, 2]
    assert [a.seq for a in await store.audit_page(after_seq=2)] == [3]
    assert [a.seq for a in await store.audit_page(since=at(10))] == [2, 3]  # inclusive
    assert [a.seq for a in await store.audit_page(since=at(10), limit=1)] == [2]
    assert [a.seq for a in await store.audit_page(since=at(10), after_seq=2)] == [3]
    assert await store.audit_page(since=at(21)) == []
    assert await verify(store, "audit") is None


# -- hash chains -----------------------------------------------------------------------
async def _fill(store: Store) -> None:
    await store.append_evidence([entry(f"k{i}", at=at(i), data={"i": i}) for i in range(1, 8)])
    for i in range(1, 5):
        await store.append_audit(audit_entry("roster.view", at=at(i), target=f"g{i}"))


async def test_verify_chain_passes_on_an_intact_chain(store: Store) -> None:
    await _fill(store)
    assert await verify(store, "ledger") is None
    assert await verify(store, "ledger", page=3) is None  # across page boundaries
    assert await verify(store, "audit") is None


@pytest.mark.parametrize("chain", ["ledger", "audit"])
async def test_verify_chain_names_the_altered_row(backend: Backend, chain: str) -> None:
    await _fill(backend.store)
    await backend.tamper(chain, 3, "alter")
    problem = await verify(backend.store, chain, page=2)
    assert problem is not None
    assert (problem.chain, problem.seq) == (chain, 3)  # type: ignore[attr-defined]
    assert "altered" in problem.reason  # type: ignore[attr-defined]


@pytest.mark.parametrize("chain", ["ledger", "audit"])
async def test_verify_chain_catches_a_removed_row(backend: Backend, chain: str) -> None:
    await _fill(backend.store)
    await backend.tamper(chain, 2, "delete")
    problem = await verify(backend.store, chain)
    assert problem is not None and problem.seq == 2  # type: ignore[attr-defined]
    assert "missing" in problem.reason  # type: ignore[attr-defined]


async def test_dropping_only_the_newest_row_is_caught_by_the_head(backend: Backend) -> None:
    await _fill(backend.store)
    await backend.tamper("ledger", 7, "delete")
    problem = await verify(backend.store, "ledger")
    assert problem is not None and "head says 7" in problem.reason  # type: ignore[attr-defined]


# -- concurrency -----------------------------------------------------------------------
async def test_concurrent_appends_keep_one_valid_chain(store: Store) -> None:
    async def append(i: int) -> list[bool]:
        # every call also replays its neighbour's key: exactly one of them stores it
        batch = [entry(f"c{i}-a", person_id=f"p-{i % 7}", at=at(i)), entry(f"c{(i + 1) % 50}-a")]
        return await store.append_evidence(batch, notes=[f"n{i}", None])

    results = await asyncio.gather(*(append(i) for i in range(50)))
    stored = await store.ledger_page(limit=10_000)
    assert sum(sum(r) for r in results) == len(stored) == 50
    assert [e.seq for e in stored] == list(range(1, 51))
    assert len({e.key for e in stored}) == 50
    assert await verify(store, "ledger") is None
    notes = [n for p in range(7) for n in await store.notes_for(f"p-{p}")]
    assert len(notes) == sum(r[0] for r in results)  # a note only where its entry was stored


async def test_concurrent_audited_changes_keep_one_valid_audit_chain(store: Store) -> None:
    jobs: list[Awaitable[object]] = [
        store.append_audit(audit_entry("roster.view", at=at(i))) for i in range(20)
    ]
    jobs += [
        store.set_enrollment(f"p-{i}", "g1", active=True, at=T0, audit=audit_entry("enroll"))
        for i in range(10)
    ]
    jobs += [store.append_evidence([entry(f"k{i}")]) for i in range(10)]
    await asyncio.gather(*jobs)
    log = await store.audit_page()
    assert [a.seq for a in log] == list(range(1, 31))
    assert await verify(store, "audit") is None
    assert await verify(store, "ledger") is None
    assert len(await store.enrollments(group_id="g1")) == 10
    assert all(a.at.utcoffset() == timedelta(0) for a in log)


async def test_rows_appended_after_the_head_was_read_are_not_tampering(store: Store) -> None:
    await _fill(store)
    head = await store.chain_head("audit")
    await store.append_audit(audit_entry("later"))  # a running bot keeps writing
    fetch = lambda after: store.audit_page(after_seq=after)  # noqa: E731
    assert await verify_chain("audit", fetch, head) is None
