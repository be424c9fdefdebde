"""The async engine: config URL forms mapped to async drivers, SQLite tuned for safety.

Accepted URLs (`[storage] url` in the config):

- ``sqlite:///rollcall.db`` / ``sqlite+aiosqlite:///rollcall.db`` (aiosqlite)
- ``postgresql://...`` / ``postgres://...`` / ``postgresql+asyncpg://...`` (asyncpg)

On SQLite every new connection gets WAL, ``synchronous=FULL``, foreign keys and a
5 s busy timeout. SQLAlchemy (not the sqlite3 module) emits ``BEGIN``, so reads
run in real transactions; a connection carrying the execution option
``sqlite_begin="IMMEDIATE"`` starts its transaction with ``BEGIN IMMEDIATE``,
taking the write lock up front so that two processes queue behind
``busy_timeout`` instead of failing on a stale read snapshot.

With ``ROLLCALL_DB_KEY`` set, a SQLite file is opened through SQLCipher
(storage.cipher): the same aiosqlite dialect, its connections opened by
`storage.cipher.connect` in a worker thread of their own (`asyncio.to_thread`) and
then handed to aiosqlite, its errors SQLCipher's.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from typing import Any, cast

import aiosqlite
from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import AsyncAdaptedQueuePool
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler

from storage import cipher

SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=FULL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA busy_timeout=5000",
    # erased notes and names are overwritten with zeros, not left in free pages
    "PRAGMA secure_delete=ON",
)


def thread_connection(path: str, key: str | None, pragmas: Sequence[str] = SQLITE_PRAGMAS) -> Any:
    """A sqlite3 connection for one dedicated thread (the ledger's writer, the small
    reads' reader): autocommit (transactions are begun by hand), usable from that
    thread, SQLCipher-keyed like the engine's when `key` is set, with `pragmas`."""
    conn = cipher.connect(path, key, isolation_level=None, check_same_thread=False)
    for pragma in pragmas:
        conn.execute(pragma)
    return conn


#: execution option read by the SQLite "begin" hook: "" (deferred) or "IMMEDIATE"
BEGIN_OPTION = "sqlite_begin"

_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "sqlite+aiosqlite": "sqlite+aiosqlite",
    "postgres": "postgresql+asyncpg",
    "postgresql": "postgresql+asyncpg",
    "postgresql+asyncpg": "postgresql+asyncpg",
}


def async_url(url: str | URL) -> URL:
    """The URL with its async driver; ValueError for anything we do not support."""
    parsed = make_url(url)
    driver = _DRIVERS.get(parsed.drivername)
    if driver is None:
        raise ValueError(
            f"unsupported storage url scheme {parsed.drivername!r}: "
            "use sqlite:///FILE or postgresql://USER@HOST/DB"
        )
    return parsed.set(drivername=driver)


def is_sqlite(engine: AsyncEngine) -> bool:
    return engine.dialect.name == "sqlite"


def make_engine(url: str | URL, **kwargs: Any) -> AsyncEngine:
    """An `AsyncEngine` for a config URL. Extra keyword arguments go to SQLAlchemy.
    A SQLite file is encrypted when ``ROLLCALL_DB_KEY`` is set (storage.cipher)."""
    target = async_url(url)
    if target.get_backend_name() == "postgresql":
        kwargs.setdefault("pool_pre_ping", True)
        return create_async_engine(target, **kwargs)
    database = target.database or ":memory:"
    key = cipher.env_key()
    if key is not None and database != ":memory:":
        kwargs["module"] = cipher.async_dbapi()
        kwargs["async_creator"] = _cipher_creator(database, key, target.query)
    # Opening a SQLite connection costs a thread and the pragmas; SQLAlchemy's default
    # for aiosqlite files is NullPool (a new connection per use). Keep a small pool: each
    # aiosqlite connection is a thread that wakes to poll its queue, and with reads mostly
    # answered by the read cache, more of them cost throughput (measured) and buy nothing.
    if (target.database or ":memory:") != ":memory:" and "poolclass" not in kwargs:
        kwargs["poolclass"] = AsyncAdaptedQueuePool
        kwargs.setdefault("pool_size", 4)
        kwargs.setdefault("max_overflow", 10)
    engine = create_async_engine(target, **kwargs)
    _tune_sqlite(engine)
    return engine


def _cipher_creator(database: str, key: str, query: Any) -> Any:
    uri = str(query.get("uri", "")).lower() in ("true", "1")

    async def creator() -> aiosqlite.Connection:
        # opened (and refused) in a worker thread of its own: a refusal inside aiosqlite's
        # thread would leave that thread finishing after the caller has gone
        raw = await asyncio.to_thread(
            cipher.connect, database, key, check_same_thread=False, uri=uri
        )
        return await aiosqlite.Connection(lambda: raw, iter_chunk_size=64)

    return creator


def _tune_sqlite(engine: AsyncEngine) -> None:
    database = engine.url.database or ":memory:"

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take BEGIN away from the sqlite3 module (it skips it before SELECT and DDL).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            for pragma in SQLITE_PRAGMAS:
                cursor.execute(pragma)
        except engine.dialect.loaded_dbapi.DatabaseError as e:
            # an encrypted file opened without the key reads as "not a database"
            if "not a database" in str(e) and cipher.env_key() is None:
                raise cipher.refusal(database, None) from None
            raise
        finally:
            cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = str(conn.get_execution_options().get(BEGIN_OPTION, "")).upper()
        if mode not in ("", "DEFERRED", "IMMEDIATE", "EXCLUSIVE"):
            raise ValueError(f"bad {BEGIN_OPTION} execution option: {mode!r}")
        conn.exec_driver_sql(f"BEGIN {mode}".strip())


async def driver_rows(
    conn: AsyncConnection, stmt: ClauseElement, chunk: int
) -> AsyncIterator[list[tuple[Any, ...]]]:
    """`stmt`'s rows on an aiosqlite connection as the driver gives them (plain tuples,
    no SQLAlchemy result layer, which would wrap each row only for the caller to read
    its values), `chunk` rows a hand-off. Compiled for the connection's dialect, each
    parameter bound as SQLAlchemy binds it: through its type's processor for this
    dialect (`dialect_impl`: a datetime becomes SQLite's text, as stored). Run outside
    any transaction: one statement, one snapshot."""
    dialect = conn.dialect
    compiled = cast(SQLCompiler, stmt.compile(dialect=dialect))
    given = compiled.construct_params()
    params = []
    for name in compiled.positiontup or ():
        process = compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect)
        params.append(given[name] if process is None else process(given[name]))
    driver: Any = (await conn.get_raw_connection()).driver_connection
    cursor = await driver.execute(str(compiled), params)
    try:
        while part := await cursor.fetchmany(chunk):
            yield part
    finally:
        await cursor.close()
