"""Shared machinery of the SQL store: transactions, dialect-specific upserts, chain heads.

Chain appends (ledger and audit) are serialized twice over: an asyncio.Lock inside
the process, and in the database by locking the chain's `chain_heads` row
(`SELECT ... FOR UPDATE` on PostgreSQL; on SQLite, write transactions start with
BEGIN IMMEDIATE, which takes the database's single write lock). The new rows and
the new head are written in the same transaction, so a chain never forks and its
head always names its newest row.

Lock order, to stay free of deadlocks between processes: the "ledger" head before
the "audit" head, and a chain head before any other row a transaction writes.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import ColumnElement, Executable, Table, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.core.domain import AuditEntry
from bot.core.ledger import GENESIS, audit_link
from bot.core.ports import Telemetry
from bot.core.telemetry import NULL as NULL_TELEMETRY
from storage import rows
from storage._cache import ReadCache
from storage._sqlite_reader import SqliteReader
from storage._sqlite_writer import SqliteLedgerWriter
from storage.engine import BEGIN_OPTION, is_sqlite
from storage.tables import audit, chain_heads

Head = tuple[int, str]

log = logging.getLogger("rollcall.storage")

#: a WAL checkpoint kept from finishing by another process's reader is tried again
CHECKPOINT_TRIES = 20
CHECKPOINT_PAUSE_SECONDS = 0.1


class SqlBase:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._sqlite = is_sqlite(engine)
        #: serializes chain appends within this process
        self._lock = asyncio.Lock()
        #: SQLite: one write transaction at a time within this process (see `_write`)
        self._write_turn = asyncio.Lock()
        #: reads of rarely-changing tables (SqlStore turns it on; see storage._cache)
        self._cache = ReadCache(0.0)
        #: SQLite files: ledger batches go to a dedicated writer thread (SqlStore sets it)
        self._writer: SqliteLedgerWriter | None = None
        #: SQLite files: a few small hot reads on a dedicated reader thread (SqlStore sets it)
        self._reader: SqliteReader | None = None
        #: ledger appends waiting for the lock (written together: group commit)
        self._pending: list[Any] = []
        #: counts for operators (the shell sets bot.shell.metrics'; see storage._ledger)
        self.telemetry: Telemetry = NULL_TELEMETRY

    @property
    def engine(self) -> AsyncEngine:
        return self._engine

    # -- transactions -------------------------------------------------------------
    @asynccontextmanager
    async def _read(self) -> AsyncIterator[AsyncConnection]:
        """A connection for reads; its transaction is rolled back on exit."""
        async with self._engine.connect() as conn:
            yield conn

    @asynccontextmanager
    async def _write(self) -> AsyncIterator[AsyncConnection]:
        """One write transaction: committed on success, rolled back on any error."""
        if not self._sqlite:
            async with self._engine.connect() as conn, conn.begin():
                yield conn
            return
        async with self._write_turn, self._engine.connect() as conn:
            await conn.execution_options(**{BEGIN_OPTION: "IMMEDIATE"})
            async with conn.begin():
                yield conn

    def _by(self, column: ColumnElement[str]) -> ColumnElement[str]:
        """Order text by code point, as Python's `sorted` (and the memory store) do.

        PostgreSQL otherwise sorts by the database's collation (en_US puts "p-a"
        before "P-c" before "p-B"); SQLite's default BINARY already is code-point order.
        """
        return column if self._sqlite else column.collate("C")

    async def _reach_disk(self) -> bool:
        """After an erasure: make the database files hold no byte of what was erased.

        SQLite (`secure_delete` is on for every connection, see storage.engine) zeroes
        deleted and overwritten content, but only in the pages it writes; until a
        checkpoint the new pages live in the `-wal` file and the old ones, erased text
        and all, stay in the database file, while the WAL keeps every earlier version.
        `wal_checkpoint(TRUNCATE)` copies the new pages in and empties the WAL. A reader
        in another process (the running bot) delays it; it is tried again for ~2 s.
        PostgreSQL: see docs/SECURITY.md (dead tuples until VACUUM, WAL segments).
        """
        if self._writer is None:
            return not self._sqlite
        for _ in range(CHECKPOINT_TRIES):
            busy, _log, _done = await self._writer.checkpoint()
            if not busy:
                return True
            await asyncio.sleep(CHECKPOINT_PAUSE_SECONDS)
        log.warning("WAL checkpoint after an erasure was kept busy; it runs at the next one")
        return False

    # -- dialect-specific INSERT ... ON CONFLICT ---------------------------------------
    def _upsert(self, table: Table, keys: Sequence[str], columns: Sequence[str]) -> Executable:
        """INSERT that replaces `columns` of the row when `keys` collide (executemany-able)."""
        # each dialect's insert() is imported where it is used: a SQLite process never
        # loads the PostgreSQL dialect (≈ 20 ms of every CLI command's start)
        if self._sqlite:
            from sqlalchemy.dialects import sqlite

            lite = sqlite.insert(table)
            return lite.on_conflict_do_update(
                index_elements=list(keys), set_={c: lite.excluded[c] for c in columns}
            )
        from sqlalchemy.dialects import postgresql

        pg = postgresql.insert(table)
        return pg.on_conflict_do_update(
            index_elements=list(keys), set_={c: pg.excluded[c] for c in columns}
        )

    def _insert_new(self, table: Table, keys: Sequence[str]) -> Executable:
        """INSERT that does nothing when `keys` collide (rowcount tells which happened)."""
        if self._sqlite:
            from sqlalchemy.dialects import sqlite

            return sqlite.insert(table).on_conflict_do_nothing(index_elements=list(keys))
        from sqlalchemy.dialects import postgresql

        return postgresql.insert(table).on_conflict_do_nothing(index_elements=list(keys))

    async def _upsert_rows(
        self, conn: AsyncConnection, table: Table, keys: Sequence[str], values: list[rows.Values]
    ) -> None:
        if not values:
            return
        columns = [c for c in values[0] if c not in keys]
        await conn.execute(self._upsert(table, keys, columns), values)

    # -- chains -------------------------------------------------------------------
    async def _lock_head(self, conn: AsyncConnection, chain: str) -> Head:
        """Lock the chain's head row for this transaction and return (seq, hash)."""
        stmt = (
            select(chain_heads.c.seq, chain_heads.c.hash)
            .where(chain_heads.c.chain == chain)
            .with_for_update()
        )
        row = (await conn.execute(stmt)).first()
        if row is None:
            # The migration seeds both heads; this covers a schema made by create_all.
            # On a non-empty chain, seq 1 then collides and the append fails loudly.
            await conn.execute(
                self._insert_new(chain_heads, ["chain"]),
                {"chain": chain, "seq": 0, "hash": GENESIS},
            )
            row = (await conn.execute(stmt)).one()
        return int(row.seq), str(row.hash)

    async def _set_head(self, conn: AsyncConnection, chain: str, head: Head) -> None:
        await conn.execute(
            update(chain_heads)
            .where(chain_heads.c.chain == chain)
            .values(seq=head[0], hash=head[1])
        )

    async def _append_audit_locked(
        self, conn: AsyncConnection, entry: AuditEntry, head: Head
    ) -> Head:
        """Write one audit row after `head` (already locked by this transaction)."""
        link = audit_link(head, entry)
        await conn.execute(
            audit.insert(),
            rows.audit_values(entry, seq=link.seq, prev_hash=link.prev_hash, hash=link.hash),
        )
        new_head = (link.seq, link.hash)
        await self._set_head(conn, "audit", new_head)
        return new_head

    async def _chain_head(self, chain: str) -> Head:
        if self._reader is not None:
            found = await self._reader.fetch(
                "SELECT seq, hash FROM chain_heads WHERE chain = ?", (chain,)
            )
            return (int(found[0][0]), str(found[0][1])) if found else (0, GENESIS)
        async with self._read() as conn:
            row = (
                await conn.execute(
                    select(chain_heads.c.seq, chain_heads.c.hash).where(
                        chain_heads.c.chain == chain
                    )
                )
            ).first()
        if row is None:
            return (0, GENESIS)
        return int(row.seq), str(row.hash)
