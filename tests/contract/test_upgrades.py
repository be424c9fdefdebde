"""Upgrades lose nothing: a database built at the first migration and filled through the
store is upgraded to head, and every row of every table is still there, byte for byte
(in every column it had; a column a later migration adds is empty), with its hash chains
intact. `rollcall db downgrade` undoes only what SAFE_TO_UNDO
lists. On SQLite files and PostgreSQL (see test_migrations.db_url)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

from bot.core.domain import EvidenceKind, Group, Hint
from bot.core.ledger import verify_chain
from bot.core.outbox import Kind, OutboxItem
from storage.migrate import (
    SAFE_TO_UNDO,
    current_revision,
    downgrade,
    downgrade_steps,
    head_revision,
    upgrade,
)
from storage.sql import open_store
from tests.contract.factories import at, audit_entry, entry, person, record, session
from tests.contract.test_migrations import _run_sync, db_url  # noqa: F401  (a fixture)

FIRST = "0001"


def _snapshot(conn: Connection) -> dict[str, list[dict[str, Any]]]:
    out = {}
    for table in sorted(inspect(conn).get_table_names()):
        if table == "alembic_version":
            continue
        rows = conn.execute(text(f'SELECT * FROM "{table}"')).mappings().fetchall()
        out[table] = sorted((dict(r) for r in rows), key=repr)
    return out


def _kept(before: list[dict[str, Any]], after: list[dict[str, Any]]) -> bool:
    """The same rows in the columns they had; the columns added since are empty."""
    if len(before) != len(after):
        return False
    columns = list(before[0]) if before else []  # in their order: rows sort by repr
    added = [v for row in after for k, v in row.items() if k not in columns]
    kept = sorted(({k: row[k] for k in columns} for row in after), key=repr)
    return kept == before and all(v is None for v in added)


async def _fill(url: str) -> None:
    store = await open_store(url, cache_seconds=0)
    try:
        for pid in ("f-1", "p-1", "p-2"):
            await store.upsert_person(person(pid, email=f"{pid}@example.org"))
        await store.upsert_group(
            Group(id="g1", name="Group 1", facilitators=("f-1",), participants=("p-1", "p-2"))
        )
        await store.seed_enrollment("p-1", "g1", at(-60))
        await store.seed_enrollment("p-2", "g1", at(-60))
        await store.add_session(session("s1"), audit=audit_entry("session.create"))
        entries = [
            entry("k1", session_id="s1", person_id="p-1", actor_id="p-1"),
            entry("k2", session_id="s1", person_id="p-2", actor_id="p-2", at=at(12)),
            entry("k3", kind=EvidenceKind.VERIFY, session_id="s1", person_id="p-2",
                  actor_id="f-1", at=at(30), data={"status": "late"}),
        ]  # fmt: skip
        assert await store.append_evidence(entries, notes=["a note", None, "why"]) == [True] * 3
        await store.append_audit(audit_entry("roster.view", target="g1"))
        await store.save_records([record("s1", "p-1"), record("s1", "p-2")])
        await store.enqueue(
            [OutboxItem(key="r1", kind=Kind.REMINDER, due_at=at(-15), text="soon", person_id="p-1")]
        )
    finally:
        await store.close()


async def _chains_hold(url: str) -> None:
    store = await open_store(url, cache_seconds=0)
    try:
        for chain, fetch in (
            ("ledger", lambda after: store.ledger_page(after_seq=after)),
            ("audit", lambda after: store.audit_page(after_seq=after)),
        ):
            assert await verify_chain(chain, fetch, await store.chain_head(chain)) is None
        # and the newer tables work
        await store.set_hint(Hint(person_id="p-1", source="slack_huddle", since=at(1)))
        assert len(await store.hints(["p-1"])) == 1
    finally:
        await store.close()


async def test_a_database_from_the_first_migration_upgrades_to_head_losing_nothing(
    db_url: str,  # noqa: F811
) -> None:
    await upgrade(db_url, FIRST)
    assert await current_revision(db_url) == FIRST
    await _fill(db_url)
    before = await _run_sync(db_url, _snapshot)
    assert len(before["ledger"]) == 3 and len(before["audit"]) == 2

    await upgrade(db_url)
    assert await current_revision(db_url) == head_revision()
    after = await _run_sync(db_url, _snapshot)
    for table, rows in before.items():
        assert _kept(rows, after[table]), table
    await _chains_hold(db_url)


async def test_downgrade_only_where_safe(db_url: str) -> None:  # noqa: F811
    await upgrade(db_url)
    await _fill(db_url)
    head = head_revision()
    assert head is not None
    steps = downgrade_steps(head, None)
    assert steps == [head]
    if head in SAFE_TO_UNDO:
        await downgrade(db_url, "-1")  # one step: what it drops comes back empty
        assert await current_revision(db_url) != head
    # undoing the first migration deletes every record: never listed as safe
    assert FIRST not in SAFE_TO_UNDO
    assert downgrade_steps(head, "base")[-1] == FIRST
    with pytest.raises(ValueError, match="not an earlier revision"):
        downgrade_steps(FIRST, head)
    before = await _run_sync(db_url, _snapshot)
    await upgrade(db_url)
    after = await _run_sync(db_url, _snapshot)
    for table, rows in before.items():
        assert _kept(rows, after[table]), table
