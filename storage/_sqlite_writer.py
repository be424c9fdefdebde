"""Ledger appends on SQLite, on one dedicated thread with its own sqlite3 connection.

A batch (group commit, see storage._ledger) is one synchronous function run on that
thread: one hand-off instead of one per statement through SQLAlchemy's async layer.
It writes exactly what the generic path writes — the same columns, values serialized
by the same SQLAlchemy bind processors, the same hash chain, under BEGIN IMMEDIATE
(SQLite's single write lock, so other processes stay correct).
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Dialect

from bot.core.domain import LedgerEntry
from bot.core.ledger import GENESIS, ledger_hash
from storage import rows
from storage.engine import SQLITE_PRAGMAS
from storage.tables import ledger


@dataclass(frozen=True, slots=True)
class Append:
    """One caller's entries in a group-commit batch (see Ledger.append_evidence)."""

    entries: Sequence[LedgerEntry]
    notes: Sequence[str | None] | None = None
    #: all or nothing, keyed by the first entry
    unit: bool = False

    def skipped(self, seen: set[str]) -> bool:
        """A unit whose first key is already stored (or earlier in this batch)."""
        return self.unit and bool(self.entries) and self.entries[0].key in seen


Batch = Sequence[Append]
_KEY_CHUNK = 500


class SqliteLedgerWriter:
    def __init__(self, path: str, dialect: Dialect) -> None:
        self._path = path
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

    async def close(self) -> None:
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._executor, self._close)
        self._executor.shutdown(wait=True)

    # -- on the writer thread ---------------------------------------------------------
    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            conn = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
            for pragma in SQLITE_PRAGMAS:
                conn.execute(pragma)
            self._conn = conn
        return self._conn

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
        seq, prev = int(head[0]), str(head[1])
        seen = self._existing(conn, [e.key for a in batch for e in a.entries])
        out = [[False] * len(a.entries) for a in batch]
        params: list[tuple[Any, ...]] = []
        notes: list[tuple[str, str | None, str]] = []
        for r, a in enumerate(batch):
            if a.skipped(seen):
                continue
            for i, entry in enumerate(a.entries):
                if entry.key in seen:
                    continue  # a replay, or a repeat within this batch
                seen.add(entry.key)
                seq += 1
                digest = ledger_hash(prev, entry, seq)
                values = rows.ledger_values(entry, seq=seq, prev_hash=prev, hash=digest)
                params.append(
                    tuple(
                        p(values[name]) if p is not None else values[name]
                        for name, p in self._procs
                    )
                )
                note = a.notes[i] if a.notes is not None else None
                if note:
                    notes.append((entry.key, entry.person_id, note))
                prev = digest
                out[r][i] = True
        if params:
            conn.executemany(self._insert, params)
            if notes:
                conn.executemany(
                    "INSERT INTO ledger_notes (key, person_id, text) VALUES (?, ?, ?)", notes
                )
            conn.execute(
                "UPDATE chain_heads SET seq = ?, hash = ? WHERE chain = 'ledger'", (seq, prev)
            )
        return out

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
