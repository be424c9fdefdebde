"""Migration 0006 rewrites the ledger's datetimes that the SQLite writer thread stored
as sqlite3's adapter text (``YYYY-MM-DD HH:MM:SS[.ffffff]+00:00``) into SQLAlchemy's
(``YYYY-MM-DD HH:MM:SS.ffffff``, test_ledger_datetime_text.py): byte for byte what the
generic path stores, the hash chains still verify, range filters right at equality, and
its downgrade (safe to undo) changes nothing. SQLite files, plain and SQLCipher (on
PostgreSQL it does nothing: test_upgrades.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Connection

from bot.core.domain import AuditEntry, LedgerEntry
from bot.core.ledger import verify_chain
from storage.cipher import KEY_ENV
from storage.migrate import current_revision, downgrade, head_revision, upgrade
from storage.sql import open_store
from tests.contract.conftest import TEST_KEY
from tests.contract.factories import audit_entry, entry
from tests.contract.test_ledger_datetime_text import (
    W,
    _datetimes,
    _entries,
    _keys,
    _ledger_cells,
    _ranges_hold,
)
from tests.contract.test_migrations import _run_sync


def _old_text(value: str) -> str:
    """What the writer thread stored before: sqlite3's adapter, isoformat(" ")."""
    return datetime.fromisoformat(value).replace(tzinfo=UTC).isoformat(" ")


def _to_old_text(conn: Connection) -> None:
    for seq, at, recorded_at in conn.execute(text("SELECT seq, at, recorded_at FROM ledger")):
        conn.execute(
            text("UPDATE ledger SET at = :at, recorded_at = :rec WHERE seq = :seq"),
            {"at": _old_text(at), "rec": _old_text(recorded_at), "seq": seq},
        )
    conn.commit()


async def _chains_verify(url: str) -> None:
    store = await open_store(url, cache_seconds=0)
    try:

        async def ledger_page(after: int) -> list[LedgerEntry]:
            return await store.ledger_page(after_seq=after)

        assert await verify_chain("ledger", ledger_page, await store.chain_head("ledger")) is None

        async def audit_page(after: int) -> list[AuditEntry]:
            return await store.audit_page(after_seq=after)

        assert await verify_chain("audit", audit_page, await store.chain_head("audit")) is None
    finally:
        await store.close()


@pytest.mark.parametrize("encrypted", [False, True], ids=["sqlite", "sqlite-encrypted"])
async def test_the_migration_rewrites_the_old_text(
    encrypted: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if encrypted:
        monkeypatch.setenv(KEY_ENV, TEST_KEY)
    url = f"sqlite:///{tmp_path / 'rollcall.db'}"
    await upgrade(url, "0005")
    store = await open_store(url, cache_seconds=0)
    try:
        await store.append_evidence(_entries(), notes=["a", None, "b", None])
        await store.append_audit(audit_entry("roster.view", at=W))
    finally:
        await store.close()
    want = await _run_sync(url, _ledger_cells)
    want_text = await _run_sync(url, _datetimes)
    # as the old writer thread left them
    await _run_sync(url, _to_old_text)
    old = await _run_sync(url, _datetimes)
    assert old[1] == ("2026-05-04 22:00:00+00:00", "2026-05-04 22:00:00+00:00")
    assert old[2] == ("2026-05-04 22:00:00.000137+00:00", "2026-05-04 22:00:00.000137+00:00")
    store = await open_store(url, cache_seconds=0)
    try:  # the bug those rows gave
        assert _keys(await store.evidence(at_from=W)) == ["after", "micro"]
    finally:
        await store.close()
    await _chains_verify(url)  # values, not text: the chain verified even then

    await upgrade(url)
    assert await current_revision(url) == head_revision()
    assert await _run_sync(url, _ledger_cells) == want
    assert await _run_sync(url, _datetimes) == want_text
    await _chains_verify(url)
    store = await open_store(url, cache_seconds=0)
    try:
        await _ranges_hold(store)
        # rows written now chain and filter alike with the rewritten ones
        later = entry("later", at=W + timedelta(seconds=2), recorded_at=W + timedelta(seconds=2))
        assert await store.append_evidence([later]) == [True]
        assert _keys(await store.evidence(at_from=W + timedelta(seconds=2))) == ["later"]
    finally:
        await store.close()
    await _chains_verify(url)

    # the downgrade changes nothing (listed as safe to undo); upgrading again neither
    before = await _run_sync(url, _ledger_cells)
    await downgrade(url, "0005")
    assert await _run_sync(url, _ledger_cells) == before
    await upgrade(url)
    assert await _run_sync(url, _ledger_cells) == before
