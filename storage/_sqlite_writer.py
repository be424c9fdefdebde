"""Ledger appends on SQLite, on one dedicated thread with its own sqlite3 connection.

A batch (group commit, see storage._ledger) is one synchronous function run on that
thread: one hand-off instead of one per statement through SQLAlchemy's async layer.
It writes exactly what the generic path writes — the same columns, values serialized
by the same SQLAlchemy bind processors, the same links from the core's one
`chain_append`, under BEGIN IMMEDIATE (SQLite's single write lock, so other
processes stay correct). Its connection comes from `storage.cipher.connect`, like the
engine's: SQLCipher, keyed, when ``ROLLCALL_DB_KEY`` is set.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy.engine import Dialect

from bot.core.ledger import GENESIS, Append, chain_append
from storage import cipher, rows
from storage.engine import SQLITE_PRAGMAS
from storage.tables import ledger

Batch = Sequence[Append]
_KEY_CHUNK = 500


class SqliteLedgerWriter:
    def __init__(self, path: str, dialect: Dialect, *, key: str | None = None) -> None:
        self._path = path
        self._key = key
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="rollcall-ledger")
        self._conn: sqlite3.Connection | None = None
        columns = list(ledger.columns)
        self._procs: list[tuple[str, Any]] = [
            (c.name, c.type.bind_processor(dialect)) for c in columns
        ]
        self._insert = "INSERT INTO ledger ({}) VALUES ({})".format(
            ", ".join(c.name for c in columns), ", ".join("?" for _ in columns)
        )

    async def append(self, batch: Batch) -> list[list[bool]]:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._append, batch)

    async def checkpoint(self) -> tuple[int, int, int]:
        """`PRAGMA wal_checkpoint(TRUNCATE)`: every page into the database file, the WAL
        emptied to zero bytes (busy, log frames, checkpointed frames: busy is 1 when a
        reader in some process kept it from finishing within the busy timeout)."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._checkpoint)

    async def close(self) -> None:
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._executor, self._close)
        self._executor.shutdown(wait=True)

    # -- on the writer thread ---------------------------------------------------------
    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            conn: sqlite3.Connection = cipher.connect(
                self._path, self._key, isolation_level=None, check_same_thread=False
            )
            for pragma in SQLITE_PRAGMAS:
                conn.execute(pragma)
            self._conn = conn
        return self._conn

    def _checkpoint(self) -> tuple[int, int, int]:
        row = self._connection().execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        return int(row[0]), int(row[1]), int(row[2])

    def _close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _append(self, batch: Batch) -> list[list[bool]]:
        conn = self._connection()
        conn.execute("BEGIN IMMEDIATE")
        try:
            out = self._write(conn, batch)
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        return out

    def _write(self, conn: sqlite3.Connection, batch: Batch) -> list[list[bool]]:
        head = conn.execute("SELECT seq, hash FROM chain_heads WHERE chain = 'ledger'").fetchone()
        if head is None:
            conn.execute(
                "INSERT INTO chain_heads (chain, seq, hash) VALUES ('ledger', 0, ?)", (GENESIS,)
            )
            head = (0, GENESIS)
        seen = self._existing(conn, [e.key for a in batch for e in a.entries])
        chained = chain_append((int(head[0]), str(head[1])), batch, seen)
        if chained.links:
            procs = self._procs
            params: list[tuple[Any, ...]] = []
            for link in chained.links:
                values = rows.ledger_values(
                    link.entry, seq=link.seq, prev_hash=link.prev_hash, hash=link.hash
                )
                params.append(
                    tuple(p(values[name]) if p is not None else values[name] for name, p in procs)
                )
            conn.executemany(self._insert, params)
            notes = [(k.entry.key, k.entry.person_id, k.note) for k in chained.links if k.note]
            if notes:
                conn.executemany(
                    "INSERT INTO ledger_notes (key, person_id, text) VALUES (?, ?, ?)", notes
                )
            conn.execute(
                "UPDATE chain_heads SET seq = ?, hash = ? WHERE chain = 'ledger'", chained.head
            )
        return chained.accepted

    @staticmethod
    def _existing(conn: sqlite3.Connection, keys: list[str]) -> set[str]:
        found: set[str] = set()
        wanted = sorted(set(keys))
        for i in range(0, len(wanted), _KEY_CHUNK):
            chunk = wanted[i : i + _KEY_CHUNK]
            marks = ", ".join("?" for _ in chunk)
            found.update(
                k for (k,) in conn.execute(f"SELECT key FROM ledger WHERE key IN ({marks})", chunk)
            )
        return found
