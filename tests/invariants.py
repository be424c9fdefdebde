"""A checker of the store's invariants, run after each fuzz run and crash test.

Works through the `Store` port only, so it holds for every implementation:

- both hash chains verify up to their heads;
- ledger keys are unique, seqs are 1..n without gaps;
- every note belongs to a stored ledger entry and is within the length limit;
- at most one record per (session, person), each for a stored session of its group;
- every audit row's actor and action are non-empty.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.domain import AuditEntry, LedgerEntry
from bot.core.ledger import verify_chain
from bot.core.limits import MAX_STORED_CHARS
from bot.core.ports import Store


async def store_problems(store: Store) -> list[str]:
    problems: list[str] = []

    async def ledger_rows(after: int) -> Sequence[LedgerEntry | AuditEntry]:
        return await store.ledger_page(after_seq=after)

    async def audit_rows(after: int) -> Sequence[LedgerEntry | AuditEntry]:
        return await store.audit_page(after_seq=after)

    for chain, fetch in (("ledger", ledger_rows), ("audit", audit_rows)):
        bad = await verify_chain(chain, fetch, await store.chain_head(chain))
        if bad is not None:
            problems.append(f"{chain} chain: row {bad.seq}: {bad.reason}")
    entries = await store.ledger_page(limit=1_000_000)
    keys = [e.key for e in entries]
    if len(set(keys)) != len(keys):
        problems.append("duplicate ledger keys")
    if [e.seq for e in entries] != list(range(1, len(entries) + 1)):
        problems.append("ledger seqs are not 1..n")
    notes = await store.notes_by_key(keys)
    for key, text in notes.items():
        if len(text) > MAX_STORED_CHARS:
            problems.append(f"note {key} is {len(text)} characters")
    sessions = {s.id: s for s in await store.list_sessions()}
    seen: set[tuple[str, str]] = set()
    for r in await store.records():
        pair = (r.session_id, r.person_id)
        if pair in seen:
            problems.append(f"two records for {pair}")
        seen.add(pair)
        s = sessions.get(r.session_id)
        if s is None:
            problems.append(f"record for unknown session {r.session_id}")
        elif s.group_id != r.group_id:
            problems.append(f"record {pair} in group {r.group_id}, session in {s.group_id}")
        if r.attended_minutes < 0 or (
            s is not None and r.attended_minutes > (s.end - s.start).total_seconds() / 60 + 1
        ):
            problems.append(f"record {pair} has {r.attended_minutes} minutes")
    for a in await store.audit_page(limit=1_000_000):
        if not a.actor_id or not a.action:
            problems.append(f"audit row {a.seq} has no actor or action")
    return problems
