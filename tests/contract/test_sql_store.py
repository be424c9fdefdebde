"""What only the SQL stores have: URL forms, SQLite pragmas, several processes on one
database (two engines stand in for two processes), and the table layout."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import make_url, text

from bot.core.domain import AuditEntry, LedgerEntry
from bot.core.ledger import verify_chain
from storage.engine import async_url, make_engine
from storage.migrate import upgrade
from storage.sql import SqlStore, open_store
from storage.tables import metadata
from tests.contract.factories import at, audit_entry, entry


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'rollcall.db'}"
    else:
        yield request.getfixturevalue("pg_url")


@pytest.mark.parametrize(
    ("given", "driver"),
    [
        ("sqlite:///rollcall.db", "sqlite+aiosqlite"),
        ("sqlite+aiosqlite:///var/x.db", "sqlite+aiosqlite"),
        ("postgresql://u:p@db/rollcall", "postgresql+asyncpg"),
        ("postgres://u@db/rollcall", "postgresql+asyncpg"),
        ("postgresql+asyncpg://u@db:5433/rollcall", "postgresql+asyncpg"),
    ],
)
def test_url_forms_map_to_async_drivers(given: str, driver: str) -> None:
    url = async_url(given)
    assert url.drivername == driver
    original = make_url(given)
    assert url.set(drivername=original.drivername) == original  # nothing else changes


@pytest.mark.parametrize(
    "bad", ["mysql://u@h/db", "postgresql+psycopg2://u@h/db", "sqlite+pysqlite:///x.db"]
)
def test_unsupported_urls_are_refused_clearly(bad: str) -> None:
    with pytest.raises(ValueError, match="unsupported storage url"):
        async_url(bad)


async def test_sqlite_connections_are_tuned(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'p.db'}")
    try:
        async with engine.connect() as conn:
            values = [
                (await conn.execute(text(f"PRAGMA {name}"))).scalar_one()
                for name in (
                    "journal_mode",
                    "synchronous",
                    "foreign_keys",
                    "busy_timeout",
                    "secure_delete",
                )
            ]
    finally:
        await engine.dispose()
    assert values == ["wal", 2, 1, 5000, 1]  # synchronous 2 == FULL


async def test_two_processes_appending_keep_one_chain(db_url: str) -> None:
    """Two stores on one database (each with its own engine and asyncio.Lock)."""
    await upgrade(db_url)
    first, second = await open_store(db_url), await open_store(db_url)
    try:

        async def work(store: SqlStore, name: str) -> None:
            for i in range(15):
                await store.append_evidence([entry(f"{name}{i}"), entry(f"shared{i}")])
                await store.append_audit(audit_entry("roster.view", at=at(i), target=name))

        await asyncio.gather(work(first, "a"), work(second, "b"))

        async def ledger(after: int) -> Sequence[LedgerEntry]:
            return await first.ledger_page(after_seq=after)

        async def audit(after: int) -> Sequence[AuditEntry]:
            return await first.audit_page(after_seq=after)

        assert await verify_chain("ledger", ledger, await second.chain_head("ledger")) is None
        assert await verify_chain("audit", audit, await second.chain_head("audit")) is None
        assert (await first.chain_head("ledger"))[0] == 45
        assert (await first.chain_head("audit"))[0] == 30
    finally:
        await first.close()
        await second.close()


async def test_works_on_a_schema_made_without_seeded_heads(tmp_path: Path) -> None:
    """create_all leaves chain_heads empty: the first append creates the head row."""
    engine = make_engine(f"sqlite:///{tmp_path / 'c.db'}")
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    store = SqlStore(engine)
    try:
        assert await store.chain_head("ledger") == (0, "0" * 64)
        assert await store.append_evidence([entry("k1")]) == [True]
        await store.append_audit(audit_entry())
        assert (await store.chain_head("ledger"))[0] == 1
        assert (await store.chain_head("audit"))[0] == 1
    finally:
        await store.close()


async def test_naive_datetimes_are_refused_and_nothing_is_written(db_url: str) -> None:
    await upgrade(db_url)
    store = await open_store(db_url)
    try:
        naive = datetime(2025, 3, 3, 18, 0)
        with pytest.raises(Exception, match="naive datetime"):
            await store.append_evidence([entry("ok"), entry("bad", at=naive)])
        assert await store.ledger_page() == []
        assert await store.chain_head("ledger") == (0, "0" * 64)
        assert await store.append_evidence([entry("ok", at=datetime.now(UTC))]) == [True]
    finally:
        await store.close()


async def test_ping_is_false_when_the_database_is_gone(tmp_path: Path) -> None:
    store = await open_store("postgresql://nobody@127.0.0.1:1/none")
    try:
        assert await store.ping() is False
    finally:
        await store.close()
