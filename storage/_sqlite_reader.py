"""Small reads on a SQLite file, on one dedicated thread with its own sqlite3 connection.

A read through SQLAlchemy's async layer hands off to aiosqlite's thread several times
(check-out, execute, fetch, the rollback on return); a live roster makes three tiny
reads a view (the ledger's head, who chat cannot reach, the presence hints). Here each
is one hand-off, one statement in autocommit: it sees every transaction committed
before it began, in any process (WAL), as the pooled connection's read does. The
values come back as SQLAlchemy gives them: a column's result processor where it has
one (tests/contract/test_sqlite_fast_paths.py compares both ways). Its connection comes
from `storage.engine.thread_connection`, like the writer's (keyed like the engine's).
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from storage.engine import SQLITE_PRAGMAS, thread_connection

#: pragmas a reader needs (WAL is the file's; the others are per connection)
_PRAGMAS = tuple(p for p in SQLITE_PRAGMAS if "journal_mode" not in p)


class SqliteReader:
    def __init__(self, path: str, *, key: str | None = None) -> None:
        self._path = path
        self._key = key
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="rollcall-reader")
        self._conn: sqlite3.Connection | None = None

    async def fetch(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._fetch, sql, tuple(params))

    async def close(self) -> None:
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._executor, self._close)
        self._executor.shutdown(wait=True)

    # -- on the reader thread ---------------------------------------------------------
    def _fetch(self, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        if self._conn is None:
            self._conn = thread_connection(self._path, self._key, _PRAGMAS)
        return [tuple(r) for r in self._conn.execute(sql, params).fetchall()]

    def _close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
