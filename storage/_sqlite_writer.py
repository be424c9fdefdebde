"""Ledger appends on SQLite, on one dedicated thread with its own sqlite3 connection.

A batch (group commit, see storage._ledger) is one synchronous function run on that
thread: one hand-off instead of one per statement through SQLAlchemy's async layer.
It writes exactly what the generic path writes — the same columns, values serialized
by the same SQLAlchemy bind processors, the dialect's own (SQLite's DATETIME text, not
sqlite3's adapter: range filters compare that text; the datetime and JSON columns
straight to that text, each checked against those processors when the writer is
built: `_direct`), the same links from the core's one `chain_append`, under BEGIN
IMMEDIATE (SQLite's single write lock, so other processes stay correct). Its
connection comes from `storage.engine.thread_connection` (`storage.cipher.connect`,
like the engine's: SQLCipher, keyed, when ``ROLLCALL_DB_KEY`` is set).
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta, timezone
from functools import partial
from typing import Any

from sqlalchemy import TypeDecorator
from sqlalchemy.engine import Dialect

from bot.core.domain import AuditEntry
from bot.core.ledger import GENESIS, Append, Link, audit_link, chain_append, one_shot
from storage import rows
from storage.engine import thread_connection
from storage.tables import audit, ledger

Batch = Sequence[Append]
#: the columns whose values a bind processor converts (the others go in as they are)
_CONVERTED = frozenset({"at", "recorded_at", "data"})
_KEY_CHUNK = 500


class SqliteLedgerWriter:
    def __init__(self, path: str, dialect: Dialect, *, key: str | None = None) -> None:
        self._path = path
        self._key = key
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="rollcall-ledger")
        self._conn: sqlite3.Connection | None = None
        columns = list(ledger.columns)
        #: bound as SQLAlchemy binds them on this dialect (`dialect_impl`: the datetime
        #: columns' DATETIME text, what the generic path stores and its filters compare)
        self._procs: list[tuple[str, Any]] = [
            (c.name, c.type.dialect_impl(dialect).bind_processor(dialect)) for c in columns
        ]
        self._row = _row_maker(self._procs, _direct(self._procs, _steps(dialect)))
        self._insert = "INSERT INTO ledger ({}) VALUES ({})".format(
            ", ".join(c.name for c in columns), ", ".join("?" for _ in columns)
        )
        #: the audit table's columns bound as SQLAlchemy binds them on this dialect (its
        #: own DATETIME text: what the general path stores, tests/contract/
        #: test_sqlite_fast_paths.py)
        self._audit_procs: list[tuple[str, Any]] = [
            (c.name, c.type.dialect_impl(dialect).bind_processor(dialect)) for c in audit.columns
        ]
        self._audit_insert = "INSERT INTO audit ({}) VALUES ({})".format(
            ", ".join(c.name for c in audit.columns), ", ".join("?" for _ in audit.columns)
        )

    async def append(self, batch: Batch) -> list[list[bool]]:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._append, batch)

    async def append_audit(self, entry: AuditEntry) -> None:
        """One audit row after the audit chain's head, in its own transaction (BEGIN
        IMMEDIATE, as the generic path): one hand-off to this thread instead of one
        per statement, the same row and head as `LedgerSql.append_audit` writes."""
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._executor, self._append_audit, entry)

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
            self._conn = thread_connection(self._path, self._key)
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

    def _append_audit(self, entry: AuditEntry) -> None:
        conn = self._connection()
        conn.execute("BEGIN IMMEDIATE")
        try:
            head = _head(conn, "audit")
            link = audit_link(head, entry)
            values = rows.audit_values(
                entry, seq=link.seq, prev_hash=link.prev_hash, hash=link.hash
            )
            conn.execute(
                self._audit_insert,
                tuple(
                    p(values[name]) if p is not None else values[name]
                    for name, p in self._audit_procs
                ),
            )
            conn.execute(
                "UPDATE chain_heads SET seq = ?, hash = ? WHERE chain = 'audit'",
                (link.seq, link.hash),
            )
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def _write(self, conn: sqlite3.Connection, batch: Batch) -> list[list[bool]]:
        head = _head(conn, "ledger")
        seen = self._existing(conn, [e.key for a in batch for e in a.entries])
        chained = chain_append(head, batch, seen)
        if chained.links:
            conn.executemany(self._insert, [self._row(link) for link in chained.links])
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


def _head(conn: sqlite3.Connection, chain: str) -> tuple[int, str]:
    """The chain's head, in a write transaction (seeded at genesis when missing, as
    the generic path's `_lock_head` does)."""
    row = conn.execute("SELECT seq, hash FROM chain_heads WHERE chain = ?", (chain,)).fetchone()
    if row is None:
        conn.execute(
            "INSERT INTO chain_heads (chain, seq, hash) VALUES (?, 0, ?)", (chain, GENESIS)
        )
        return 0, GENESIS
    return int(row[0]), str(row[1])


def bound_row(procs: Sequence[tuple[str, Any]], link: Link) -> tuple[Any, ...]:
    """A link's INSERT parameters, in column order: `rows.ledger_values` through each
    column's bind processor (the general way, as the generic SQL path binds them)."""
    values = rows.ledger_values(link.entry, seq=link.seq, prev_hash=link.prev_hash, hash=link.hash)
    return tuple(p(values[name]) if p is not None else values[name] for name, p in procs)


Convert = Callable[[Any], Any]


def _row_maker(
    procs: Sequence[tuple[str, Any]], direct: dict[str, Convert] | None = None
) -> Callable[[Link], tuple[Any, ...]]:
    """`bound_row` for the ledger's own columns, without a dict per row: the same values
    through the same processors, or through `direct` converters that give what sqlite3
    then stores for them (tests/contract/test_sqlite_writer_rows.py); `bound_row` itself
    for a table or dialect this was not written for."""
    proc = dict(procs)
    if tuple(proc) != rows.LEDGER_COLUMNS or any(
        p is not None for c, p in procs if c not in _CONVERTED
    ):
        return partial(bound_row, procs)
    use = {c: proc[c] or _same for c in _CONVERTED} | (direct or {})
    at, recorded_at, data = use["at"], use["recorded_at"], use["data"]

    def row(link: Link) -> tuple[Any, ...]:
        e = link.entry
        return (
            link.seq,
            e.key,
            str(e.kind),
            e.group_id,
            e.session_id,
            e.person_id,
            e.guest_key,
            e.actor_id,
            e.source,
            at(e.at),
            recorded_at(e.recorded_at),
            data(dict(e.data)),
            link.prev_hash,
            link.hash,
        )

    return row


def _same(value: Any) -> Any:
    return value


def _steps(dialect: Dialect) -> dict[str, Convert]:
    """The ledger's TypeDecorator columns' own step (`process_bind_param` alone: for
    `UTCDateTime`, the aware datetime in UTC, naive ones refused), before the dialect's
    type turns it into text."""
    return {
        c.name: partial(c.type.process_bind_param, dialect=dialect)
        for c in ledger.columns
        if isinstance(c.type, TypeDecorator)
    }


def _direct(
    procs: Sequence[tuple[str, Any]], steps: dict[str, Convert] | None = None
) -> dict[str, Convert]:
    """Converters for the datetime and JSON columns that give at once the text sqlite3
    stores for what their bind processor (the dialect's, see `SqliteLedgerWriter`)
    returns: a datetime column's `steps` then SQLite's DATETIME text; JSON is
    `json.dumps`' text. Each is kept only when it agrees with that general way on every
    probe value here; the others stay general."""
    proc = dict(procs)
    steps = steps or {}
    adapt = sqlite3.adapters.get((datetime, sqlite3.PrepareProtocol))
    found: dict[str, Convert] = {}
    for column in ("at", "recorded_at"):
        step = steps.get(column)
        if proc.get(column) is not None and step is not None:
            found[column] = _stamp(step, proc[column], memo=column == "recorded_at")
    if proc.get("data") is not None:
        found["data"] = _DUMPS
    return {
        column: convert
        for column, convert in found.items()
        if _agrees(convert, _general(proc[column], adapt), _PROBES[column])
    }


def _general(given: Convert, adapt: Convert | None) -> Convert:
    """What sqlite3 stores for a bind processor's value (a datetime, should one return
    it, through sqlite3's registered adapter)."""

    def general(value: Any) -> Any:
        out = given(value)
        return adapt(out) if adapt is not None and type(out) is datetime else out

    return general


def _stamp(step: Convert, given: Convert, *, memo: bool) -> Convert:
    """The column's step (aware UTC), then SQLite's DATETIME text of it (SQLAlchemy's
    ``YYYY-MM-DD HH:MM:SS.ffffff``: the fields alone, microseconds always; isoformat's
    first 26 characters are that, the year always four digits, the offset cut off);
    anything but a plain datetime (None, a subclass) through the bind processor `given`
    itself; with `memo`, the last value's text again for the same value (a batch shares
    one `recorded_at`), one (value, text) pair replaced whole."""
    last: tuple[Any, Any] = (None, None)

    def stamp(value: Any) -> Any:
        nonlocal last
        seen, text = last  # one read of the pair (replaced whole below)
        if memo and seen is value and value is not None:
            return text
        out = step(value)
        text = out.isoformat(" ", "microseconds")[:26] if type(out) is datetime else given(value)
        if memo:
            last = (value, text)
        return text

    return stamp


#: json.dumps (its defaults) with the C encoder built once (`json.dumps` builds one per
#: call), or json.dumps itself without the C accelerator
_DUMPS: Convert = one_shot(json.JSONEncoder())


def _agrees(fast: Convert, general: Convert, probes: Sequence[Any]) -> bool:
    for value in probes:
        try:
            want: Any = general(value)
        except Exception as exc:
            want = type(exc)
        try:
            got: Any = fast(value)
        except Exception as exc:
            got = type(exc)
        if type(got) is not type(want) or got != want:
            return False
    return True


class _Stamp(datetime):
    """A datetime subclass (a probe: its text goes through the processor itself)."""


_EST = timezone(timedelta(hours=-5))
_T = datetime(2026, 5, 4, 22, 5, 0, 137, tzinfo=UTC)
_STAMPS = (
    _T,
    _T.replace(microsecond=0),  # a whole second: ".000000", as the dialect writes it
    datetime(5, 1, 2, 3, 4, 5, tzinfo=UTC),  # a year of one digit, padded to four
    _Stamp(2026, 5, 4, 22, 5, tzinfo=_EST),
    None,
    _T.astimezone(_EST),
    datetime(1999, 12, 31, 23, 59, 59, 999999, tzinfo=_EST),
    _T.replace(tzinfo=None),  # refused by both
)
_PROBES: dict[str, Sequence[Any]] = {
    "at": _STAMPS,
    "recorded_at": _STAMPS,
    "data": (
        {},
        {"action": "join", "n": 3, "x": 0.1, "ok": True, "none": None},
        {"s": 'ü ✓ \u2028 "q"', "nested": {"b": [1, None], "a": -0.0}, "big": 2**70},
        {"f": float("inf")},
    ),
}
