"""The ledger's datetimes at exact boundaries. SQL range filters compare the stored text
on SQLite, so the ledger's writer thread must store what SQLAlchemy binds (SQLite's
DATETIME text, ``YYYY-MM-DD HH:MM:SS.ffffff``): it once stored sqlite3's adapter text
(``... HH:MM:SS+00:00``), and an entry at a whole second was missed by ``at >= T`` and
kept by ``at < T``. Every store answers alike at equality; the writer stores the
generic path's bytes (test_ledger_text_migration.py: migration 0006 rewrites the old
text)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection

from bot.core.domain import LedgerEntry
from bot.core.ports import Store
from tests.contract.factories import audit_entry, entry
from tests.contract.test_migrations import _run_sync
from tests.contract.test_sqlite_fast_paths import _store

EST = timezone(timedelta(hours=-5))
#: a whole second, and the same second with microseconds
W = datetime(2026, 5, 4, 22, 0, tzinfo=UTC)
M = W + timedelta(microseconds=137)


def _entries() -> list[LedgerEntry]:
    return [
        entry("before", at=W - timedelta(microseconds=1), recorded_at=W),
        entry("whole", at=W.astimezone(EST), recorded_at=W),
        entry("micro", at=M, recorded_at=M.astimezone(EST)),
        entry("after", at=W + timedelta(seconds=1), recorded_at=M),
    ]


def _keys(found: list[LedgerEntry]) -> list[str]:
    return sorted(e.key for e in found)


async def _ranges_hold(store: Store) -> None:
    """The range filters' answers at the whole second W and at M (the memory store's)."""
    assert _keys(await store.evidence(at_from=W)) == ["after", "micro", "whole"]
    assert _keys(await store.evidence(at_to=W)) == ["before"]
    assert _keys(await store.evidence(at_from=M)) == ["after", "micro"]
    assert _keys(await store.evidence(at_to=M)) == ["before", "whole"]
    assert _keys(await store.evidence(at_from=W, at_to=M)) == ["whole"]
    assert _keys(await store.evidence(at_from=W.astimezone(EST), at_to=M.astimezone(EST))) == [
        "whole"
    ]
    assert _keys(await store.evidence(at_from=M, at_to=M + timedelta(microseconds=1))) == ["micro"]


async def test_range_filters_at_a_whole_second_and_at_microseconds(store: Store) -> None:
    notes = ["n-before", "n-whole", "n-micro", "n-after"]
    assert await store.append_evidence(_entries(), notes=notes) == [True] * 4
    await _ranges_hold(store)
    # retention's `before`: strictly earlier entries lose their notes
    assert await store.purge_notes(W, audit=audit_entry("retention.purge", at=W)) == 1
    assert await store.purge_notes(M, audit=audit_entry("retention.purge", at=M)) == 1
    kept = await store.notes_by_key(["before", "whole", "micro", "after"])
    assert kept == {"micro": "n-micro", "after": "n-after"}
    # the audit log's `since` (audit --since), at its own whole second
    await store.append_audit(audit_entry("roster.view", at=W.astimezone(EST), target="x"))
    since = [(a.action, a.at) for a in await store.audit_page(since=W)]
    assert since == [("retention.purge", W), ("retention.purge", M), ("roster.view", W)]
    assert [a.at for a in await store.audit_page(since=M)] == [M]


def _ledger_cells(conn: Connection) -> list[tuple[Any, ...]]:
    columns = [r[1] for r in conn.execute(text("PRAGMA table_info(ledger)"))]
    cells = ", ".join(f"typeof({c}), hex({c})" for c in columns)
    return [tuple(r) for r in conn.execute(text(f"SELECT {cells} FROM ledger ORDER BY seq"))]


def _datetimes(conn: Connection) -> list[tuple[str, str]]:
    found = conn.execute(text("SELECT at, recorded_at FROM ledger ORDER BY seq"))
    return [(str(r[0]), str(r[1])) for r in found]


async def test_the_writer_stores_the_generic_paths_text(tmp_path: Path) -> None:
    """Byte for byte what SQLAlchemy stores (the same store with its writer thread off),
    and SQLite's DATETIME text: microseconds always, no offset."""
    fast = await _store(tmp_path / "fast.db", fast=True)
    general = await _store(tmp_path / "general.db", fast=False)
    try:
        for store in (fast, general):
            await store.append_evidence(_entries(), notes=[None, "n", None, None])
            await _ranges_hold(store)
    finally:
        await fast.close()
        await general.close()
    stored = await _run_sync(f"sqlite:///{tmp_path / 'fast.db'}", _ledger_cells)
    assert stored == await _run_sync(f"sqlite:///{tmp_path / 'general.db'}", _ledger_cells)
    assert await _run_sync(f"sqlite:///{tmp_path / 'fast.db'}", _datetimes) == [
        ("2026-05-04 21:59:59.999999", "2026-05-04 22:00:00.000000"),
        ("2026-05-04 22:00:00.000000", "2026-05-04 22:00:00.000000"),
        ("2026-05-04 22:00:00.000137", "2026-05-04 22:00:00.000137"),
        ("2026-05-04 22:00:01.000000", "2026-05-04 22:00:00.000137"),
    ]
