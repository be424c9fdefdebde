"""The chain append is written once (bot.core.ledger.chain_append / audit_link), and
every store chains byte for byte alike: the same appends give the same seqs, links
and hashes on memory, SQLite (its writer thread) and PostgreSQL (the generic SQL path).

Each backend is compared with the core function run on its own, with no store at all,
and with hashes pinned here: all stores agree with each other, and with every chain
written before (a stored chain must still verify after an upgrade).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone

import pytest

from bot.core.domain import AuditEntry, EvidenceKind, LedgerEntry
from bot.core.ledger import GENESIS, Append, Head, audit_link, chain_append
from bot.core.ports import Store
from tests.contract.factories import at, audit_entry, entry, session

#: an offset that is not UTC: the hash is over the instant, not the wall clock
_EST = timezone(timedelta(hours=-5))

#: Each step is a list of calls made at once (one group-commit batch or several).
STEPS: list[list[Append]] = [
    [
        Append(
            [
                entry(
                    "k1",
                    person_id="p-1",
                    session_id="s1",
                    actor_id="f-1",
                    data={"n": 3, "ratio": 0.1, "ok": True, "none": None, "s": "ü ✓ \u2028"},
                )
            ],
            ["first note"],
        )
    ],
    [
        Append([entry("k2", at=at(1)), entry("k3", person_id="p-2")], [None, "n3"]),
        Append([entry("done:s1:p-1", person_id="p-1"), entry("anon-1")], [None, "x"], unit=True),
        Append([entry("k1", source="zoom"), entry("k4", kind=EvidenceKind.PRESENCE)]),
        Append([entry("k5", at=datetime(2025, 3, 3, 13, 0, 0, 7, tzinfo=_EST))], [""]),
    ],
    [Append([entry("done:s1:p-1", person_id="p-1"), entry("anon-2")], unit=True)],
    [
        Append([entry("k6", guest_key="zoom:abc"), entry("k6"), entry("k2")]),
        Append([entry("k7", recorded_at=datetime(2025, 3, 3, 18, 0, 1, tzinfo=UTC))]),
    ],
]

AUDITS: list[AuditEntry] = [
    audit_entry("roster.view", target="g1", detail={"count": 3, "who": "p-1"}),
    audit_entry("export", at=datetime(2025, 3, 3, 13, 5, tzinfo=_EST), detail={"ü": None}),
]

#: the heads after STEPS and AUDITS, as the stores wrote them before the append was
#: written once (checked against that version's memory store)
LEDGER_HEAD = (9, "48c0e77c0d09441cf4ccd45b498f17fcb348779fb7b503f0a18d22b6542f92fc")
AUDIT_HEAD = (3, "421bb12e090ceaf58d9769187d02b33ec7c1290fdea85eebb24703550158c1f7")

Row = tuple[int, str, str, str]


def reference() -> tuple[list[Row], list[list[list[bool]]], list[Row]]:
    """The chains computed by the core functions alone."""
    head: Head = (0, GENESIS)
    seen: set[str] = set()
    ledger: list[Row] = []
    accepted = []
    for step in STEPS:
        chained = chain_append(head, step, seen)
        head = chained.head
        ledger += [(k.seq, k.entry.key, k.prev_hash, k.hash) for k in chained.links]
        accepted.append(chained.accepted)
    audit: list[Row] = []
    head = (0, GENESIS)
    for a in [*AUDITS, _session_audit()]:
        link = audit_link(head, a)
        audit.append((link.seq, a.action, link.prev_hash, link.hash))
        head = (link.seq, link.hash)
    return ledger, accepted, audit


def _session_audit() -> AuditEntry:
    return audit_entry("session.add", at=at(2), target="s9")


async def _append(store: Store, calls: list[Append]) -> list[list[bool]]:
    async def one(a: Append) -> list[bool]:
        return await store.append_evidence(a.entries, notes=a.notes, unit=a.unit)

    return list(await asyncio.gather(*(one(a) for a in calls)))


def _rows(chain: list[LedgerEntry] | list[AuditEntry]) -> list[Row]:
    return [
        (r.seq, r.key if isinstance(r, LedgerEntry) else r.action, r.prev_hash, r.hash)
        for r in chain
    ]


async def test_every_store_chains_byte_for_byte_as_the_core(store: Store) -> None:
    want_ledger, want_accepted, want_audit = reference()
    accepted = [await _append(store, step) for step in STEPS]
    for a in AUDITS:
        await store.append_audit(a)
    await store.add_session(session("s9"), audit=_session_audit())

    assert accepted == want_accepted
    assert _rows(await store.ledger_page()) == want_ledger
    assert _rows(await store.audit_page()) == want_audit
    assert await store.chain_head("ledger") == (want_ledger[-1][0], want_ledger[-1][3])
    assert await store.chain_head("audit") == (want_audit[-1][0], want_audit[-1][3])
    assert await store.notes_by_key(["k1", "k3", "anon-1", "k5"]) == {
        "k1": "first note",
        "k3": "n3",
        "anon-1": "x",
    }


async def test_the_hashes_are_pinned(store: Store) -> None:
    for step in STEPS:
        await _append(store, step)
    for a in AUDITS:
        await store.append_audit(a)
    await store.add_session(session("s9"), audit=_session_audit())
    assert await store.chain_head("ledger") == LEDGER_HEAD
    assert await store.chain_head("audit") == AUDIT_HEAD


def test_the_reference_is_the_pinned_chain() -> None:
    ledger, _, audit = reference()
    assert (ledger[-1][0], ledger[-1][3]) == LEDGER_HEAD
    assert (audit[-1][0], audit[-1][3]) == AUDIT_HEAD


async def test_notes_that_do_not_match_the_entries_are_refused_everywhere(store: Store) -> None:
    with pytest.raises(ValueError, match="2 notes given for 1 entries"):
        await store.append_evidence([entry("k1")], notes=["a", "b"])
    assert await store.chain_head("ledger") == (0, GENESIS)
    assert await store.ledger_page() == []
