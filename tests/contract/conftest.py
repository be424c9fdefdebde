"""The store contract suite's fixture: every test runs once per `Store` implementation.

- memory: storage.memory.MemoryStore (the reference behaviour)
- sqlite: a real file under tmp_path, migrated with storage.migrate.upgrade
- sqlite-uncached: the same with the read cache off (`cache_seconds=0`): the cached
  reads answer from whole-table indexes, the uncached ones query; both must agree
- sqlite-encrypted: the same file encrypted with SQLCipher (``ROLLCALL_DB_KEY`` set
  for the test: storage.cipher), the writer thread and the pool both keyed
- postgres: a fresh database on the throwaway cluster (tests/conftest.py), migrated

To keep the suite quick, each SQL backend is migrated once per session into a
template (an SQLite file, a PostgreSQL template database) and every test gets a
fresh copy of it. test_migrations.py runs the migrations on empty databases.

`Backend.tamper(...)` alters a stored chain row behind the store's back (SQL
UPDATE/DELETE, or the memory store's list) for the hash-chain tests.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import shutil
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import text

from bot.core.ports import Store
from storage.backup import settle
from storage.cipher import KEY_ENV
from storage.memory import MemoryStore
from storage.migrate import upgrade
from storage.sql import SqlStore, open_store

if TYPE_CHECKING:
    from tests.conftest import PgCluster

BACKENDS = ("memory", "sqlite", "sqlite-uncached", "sqlite-encrypted", "postgres")

#: a raw 256-bit key (64 hex digits: no key derivation, so connections open fast)
TEST_KEY = "6b" * 32

#: tamper(chain, seq, how): how is "alter" (change a field) or "delete" (drop the row)
Tamper = Callable[[str, int, str], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Backend:
    name: str
    store: Store
    tamper: Tamper


def _tamper_memory(store: MemoryStore) -> Tamper:
    async def tamper(chain: str, seq: int, how: str) -> None:
        rows: list = store._ledger if chain == "ledger" else store._audit  # type: ignore[type-arg]
        index = next(i for i, row in enumerate(rows) if row.seq == seq)
        if how == "delete":
            del rows[index]
        elif chain == "ledger":
            rows[index] = dataclasses.replace(rows[index], source="forged")
        else:
            rows[index] = dataclasses.replace(rows[index], target="forged")

    return tamper


def _tamper_sql(store: SqlStore) -> Tamper:
    async def tamper(chain: str, seq: int, how: str) -> None:
        table = "ledger" if chain == "ledger" else "audit"
        column = "source" if chain == "ledger" else "target"
        if how == "delete":
            sql = f"DELETE FROM {table} WHERE seq = :seq"
        else:
            sql = f"UPDATE {table} SET {column} = 'forged' WHERE seq = :seq"
        async with store.engine.begin() as conn:
            result = await conn.execute(text(sql), {"seq": seq})
            assert result.rowcount == 1

    return tamper


def _upgrade_blocking(url: str) -> None:
    """Migrate from sync fixture code, even while the test's event loop runs."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, upgrade(url)).result()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "rollcall.db"
    _upgrade_blocking(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def encrypted_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template-encrypted") / "rollcall.db"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(KEY_ENV, TEST_KEY)
        _upgrade_blocking(f"sqlite:///{path}")
        settle(str(path))  # one self-contained file, copied as it is
    return path


@pytest.fixture(scope="session")
def pg_template(pg_cluster: PgCluster) -> str:
    name = "rollcall_template"
    pg_cluster.client("createdb", name)
    _upgrade_blocking(pg_cluster.url(name))
    return name


_clone_numbers = itertools.count(1)


@pytest.fixture
def pg_migrated_url(pg_cluster: PgCluster, pg_template: str) -> Iterator[str]:
    """A fresh database cloned from the migrated template."""
    name = f"{pg_template}_{next(_clone_numbers)}"
    pg_cluster.client("createdb", "-T", pg_template, name)
    yield pg_cluster.url(name)
    pg_cluster.client("dropdb", "--if-exists", "--force", name)


def _copy_sqlite(template: Path, target: Path) -> None:
    source, copy = sqlite3.connect(template), sqlite3.connect(target)
    try:
        source.backup(copy)
    finally:
        source.close()
        copy.close()


@pytest.fixture(params=BACKENDS)
async def backend(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Backend]:
    name: str = request.param
    if name == "memory":
        memory = MemoryStore()
        yield Backend(name=name, store=memory, tamper=_tamper_memory(memory))
        return
    if name == "sqlite-encrypted":
        path = tmp_path / "rollcall.db"
        shutil.copyfile(request.getfixturevalue("encrypted_template"), path)
        monkeypatch = request.getfixturevalue("monkeypatch")
        monkeypatch.setenv(KEY_ENV, TEST_KEY)
        url = f"sqlite:///{path}"
    elif name.startswith("sqlite"):
        path = tmp_path / "rollcall.db"
        _copy_sqlite(request.getfixturevalue("sqlite_template"), path)
        url = f"sqlite:///{path}"
    else:
        url = request.getfixturevalue("pg_migrated_url")
    store = await (
        open_store(url, cache_seconds=0) if name.endswith("uncached") else open_store(url)
    )
    try:
        yield Backend(name=name, store=store, tamper=_tamper_sql(store))
    finally:
        await store.close()


@pytest.fixture
def store(backend: Backend) -> Store:
    return backend.store


@pytest.fixture
async def other(backend: Backend) -> AsyncIterator[Store]:
    """A second process's store on the same database."""
    if not isinstance(backend.store, SqlStore):
        yield backend.store
        return
    url = backend.store.engine.url.render_as_string(hide_password=False)
    second = await open_store(url)
    try:
        yield second
    finally:
        await second.close()
