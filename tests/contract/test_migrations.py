"""Alembic migrations (storage.migrate) on SQLite files and PostgreSQL.

The migration is the source of truth for the schema; the SQLModel tables must
match it exactly (compare_metadata shows no differences).
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

from bot.core.ledger import GENESIS
from storage.cipher import KEY_ENV
from storage.engine import make_engine
from storage.migrate import (
    _stamped,
    current_revision,
    downgrade,
    head_revision,
    newest_migration,
    upgrade,
)
from storage.sql import open_store
from storage.tables import metadata
from tests.contract.conftest import TEST_KEY
from tests.contract.factories import entry

ROOT = Path(__file__).resolve().parents[2]
TABLES = {
    "people",
    "groups",
    "enrollments",
    "sessions",
    "ledger",
    "ledger_notes",
    "audit",
    "chain_heads",
    "attendance_records",
    "outbox",
    "unreachable_channels",
    "presence_hints",
    "calendar_tokens",
}


@pytest.fixture(params=["sqlite", "sqlite-encrypted", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param.startswith("sqlite"):
        if request.param == "sqlite-encrypted":  # SQLCipher (storage.cipher)
            request.getfixturevalue("monkeypatch").setenv(KEY_ENV, TEST_KEY)
        yield f"sqlite:///{tmp_path / 'rollcall.db'}"
    else:
        yield request.getfixturevalue("pg_url")


async def _run_sync(url: str, fn: Any) -> Any:
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(fn)
    finally:
        await engine.dispose()


def _diffs(conn: Connection) -> list[Any]:
    context = MigrationContext.configure(conn, opts={"compare_type": True})
    return list(compare_metadata(context, metadata))


def _tables(conn: Connection) -> set[str]:
    return set(inspect(conn).get_table_names())


async def test_upgrade_creates_every_table_and_is_idempotent(db_url: str) -> None:
    assert await current_revision(db_url) is None
    await upgrade(db_url)
    assert await current_revision(db_url) == head_revision()
    assert await _run_sync(db_url, _tables) == TABLES | {"alembic_version"}
    store = await open_store(db_url)
    try:
        assert await store.append_evidence([entry("k1")]) == [True]
    finally:
        await store.close()
    await upgrade(db_url)  # again: nothing to do, nothing lost
    store = await open_store(db_url)
    try:
        assert [e.key for e in await store.ledger_page()] == ["k1"]
    finally:
        await store.close()


async def test_migrated_schema_matches_the_sqlmodel_tables(db_url: str) -> None:
    await upgrade(db_url)
    assert await _run_sync(db_url, _diffs) == []


async def test_migration_seeds_both_chain_heads(db_url: str) -> None:
    await upgrade(db_url)

    def heads(conn: Connection) -> list[tuple[str, int, str]]:
        rows = conn.execute(text("SELECT chain, seq, hash FROM chain_heads ORDER BY chain"))
        return [(r[0], r[1], r[2]) for r in rows]

    assert await _run_sync(db_url, heads) == [("audit", 0, GENESIS), ("ledger", 0, GENESIS)]


async def test_concurrent_upgrades_in_one_process(db_url: str) -> None:
    await asyncio.gather(*(upgrade(db_url) for _ in range(3)))
    assert await current_revision(db_url) == head_revision()


async def test_concurrent_upgrades_from_several_processes(db_url: str) -> None:
    """Several bots starting at once all run `db upgrade`: one migrates, the rest wait."""
    script = "import asyncio, sys; from storage.migrate import upgrade; "
    script += "asyncio.run(upgrade(sys.argv[1]))"
    procs = [
        await asyncio.create_subprocess_exec(
            sys.executable, "-c", script, db_url, cwd=ROOT, stderr=asyncio.subprocess.PIPE
        )
        for _ in range(3)
    ]
    outcomes = [await asyncio.wait_for(p.communicate(), timeout=60) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], [err.decode()[-800:] for _, err in outcomes]
    assert await current_revision(db_url) == head_revision()
    assert await _run_sync(db_url, _diffs) == []


async def test_downgrade_to_base_and_back(db_url: str) -> None:
    await upgrade(db_url)
    await downgrade(db_url, "base")
    assert await _run_sync(db_url, _tables) == {"alembic_version"}
    await upgrade(db_url)
    assert await _run_sync(db_url, _tables) == TABLES | {"alembic_version"}


async def test_upgrade_does_not_block_the_event_loop(tmp_path: Path) -> None:
    ticks = 0
    stop = asyncio.Event()

    async def ticker() -> None:
        nonlocal ticks
        while not stop.is_set():
            ticks += 1
            await asyncio.sleep(0.001)

    task = asyncio.create_task(ticker())
    await upgrade(f"sqlite:///{tmp_path / 'x.db'}")
    stop.set()
    await task
    assert ticks >= 3


def test_the_head_by_file_names_is_alembics_head() -> None:
    assert newest_migration() == head_revision()


async def test_a_start_at_head_reads_the_stamp_and_an_older_schema_still_migrates(
    db_url: str,
) -> None:
    assert await _stamped(db_url) is None  # nothing yet: alembic creates everything
    await upgrade(db_url)
    assert await _stamped(db_url) == head_revision() == await current_revision(db_url)
    await upgrade(db_url)  # at head: one read, nothing else
    await downgrade(db_url, "0001")
    assert await _stamped(db_url) == "0001"
    await upgrade(db_url)  # behind: alembic brings it to head
    assert await current_revision(db_url) == head_revision()
    assert set(await _run_sync(db_url, lambda c: inspect(c).get_table_names())) >= TABLES


def test_the_python_side_defaults_of_the_tables() -> None:
    """What an insert that leaves a column out writes: the defaults the SQLModel classes'
    fields gave (kept when the tables became Core `Table`s). Neither the migrations nor
    the schema diff see these, so they are pinned here."""
    defaults = {
        (t.name, c.name): c.default.arg(None) if c.default.is_callable else c.default.arg
        for t in metadata.sorted_tables
        for c in t.columns
        if c.default is not None
    }
    assert defaults == {
        ("attendance_records", "attended_minutes"): 0,
        ("attendance_records", "camera_minutes"): 0,
        ("attendance_records", "flags"): [],
        ("attendance_records", "in_room"): False,
        ("audit", "target"): "",
        ("audit", "detail"): {},
        ("chain_heads", "seq"): 0,
        ("enrollments", "active"): True,
        ("groups", "facilitators"): [],
        ("groups", "participants"): [],
        ("ledger", "data"): {},
        ("outbox", "buttons"): [],
        ("outbox", "attempts"): 0,
        ("people", "channels"): [],
        ("people", "aliases"): [],
        ("people", "forgotten"): False,
    }
    # a list or dict default is a new one for each row, never one shared
    flags = metadata.tables["attendance_records"].c.flags.default
    assert flags is not None and flags.arg(None) is not flags.arg(None)
