"""`SqlStore`: the `bot.core.ports.Store` on SQLite or PostgreSQL, behaving as storage.memory.

Everything goes through SQLAlchemy's async engine (aiosqlite / asyncpg), so no
call blocks the event loop; every method is one transaction; reads return
`bot.core.domain` types. The schema comes from the Alembic migrations
(`await storage.migrate.upgrade(url)`, i.e. `rollcall db upgrade`).
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import and_, delete, or_, select, text, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.core.domain import AuditEntry
from bot.core.outbox import FINISHED
from storage import cipher, rows
from storage._cache import ReadCache, invalidates
from storage._calendar import CalendarTokensSql
from storage._directory import DirectorySql
from storage._hints import HintsSql
from storage._ledger import LedgerSql
from storage._outbox import OutboxSql
from storage._sessions import SessionsSql
from storage._sqlite_reader import SqliteReader
from storage._sqlite_writer import SqliteLedgerWriter
from storage.engine import make_engine
from storage.tables import calendar_tokens, ledger, ledger_notes, outbox, people, presence_hints

if TYPE_CHECKING:
    from bot.core.ports import Store

PING_TIMEOUT_SECONDS = 5.0


class SqlStore(DirectorySql, SessionsSql, LedgerSql, OutboxSql, HintsSql, CalendarTokensSql):
    """A `Store` on an `AsyncEngine`. `close()` disposes of the engine."""

    def __init__(self, engine: AsyncEngine, *, cache_seconds: float = 0.0) -> None:
        super().__init__(engine)
        self._cache = ReadCache(cache_seconds)
        path = engine.url.database or ""
        if self._sqlite and path not in ("", ":memory:") and not path.startswith("file:"):
            self._writer = SqliteLedgerWriter(path, engine.dialect, key=cipher.env_key())
            self._reader = SqliteReader(path, key=cipher.env_key())

    async def ping(self) -> bool:
        try:
            async with asyncio.timeout(PING_TIMEOUT_SECONDS), self._read() as conn:
                await conn.execute(text("SELECT 1"))
        except (SQLAlchemyError, OSError, TimeoutError):
            return False
        return True

    @invalidates
    async def forget_person(self, person_id: str, *, audit: AuditEntry) -> bool:
        async with self._lock, self._write() as conn:
            head = await self._lock_head(conn, "audit")
            row = (await conn.execute(select(people).where(people.c.id == person_id))).first()
            if row is None:
                return False
            values = rows.forgotten_values(rows.to_person(row._mapping))
            del values["id"]
            await conn.execute(update(people).where(people.c.id == person_id).values(values))
            await conn.execute(delete(ledger_notes).where(ledger_notes.c.person_id == person_id))
            await conn.execute(
                delete(presence_hints).where(presence_hints.c.person_id == person_id)
            )
            await conn.execute(
                delete(calendar_tokens).where(calendar_tokens.c.person_id == person_id)
            )
            # queued messages to them keep their key and state, not their words
            # ... nor do alerts about them sent to their facilitators (they name them)
            escaped = person_id.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            about = outbox.c.key.like(f"alert:%:{escaped}:%", escape="\\")
            theirs = or_(outbox.c.person_id == person_id, about)
            await self._lock_in_key_order(conn, theirs)
            await conn.execute(update(outbox).where(theirs).values(text="", buttons=[]))
            await self._append_audit_locked(conn, audit, head)
        await self._reach_disk()
        return True

    async def purge_notes(self, before: datetime, *, audit: AuditEntry) -> int:
        old = select(ledger.c.key).where(ledger.c.at < before)
        async with self._lock, self._write() as conn:
            head = await self._lock_head(conn, "audit")
            result = await conn.execute(
                delete(ledger_notes).where(ledger_notes.c.key.in_(old.scalar_subquery()))
            )
            spent = and_(
                outbox.c.due_at < before,
                outbox.c.status.in_([str(s) for s in FINISHED]),
                outbox.c.text != "",
            )
            await self._lock_in_key_order(conn, spent)
            await conn.execute(update(outbox).where(spent).values(text="", buttons=[]))
            count = int(result.rowcount or 0)
            if count:
                detail = {**audit.detail, "notes": count}
                await self._append_audit_locked(conn, replace(audit, detail=detail), head)
        if count:
            await self._reach_disk()
        return count

    async def close(self) -> None:
        await self._cache.close()
        if self._writer is not None:
            await self._writer.close()
        if self._reader is not None:
            await self._reader.close()
        await self._engine.dispose()


#: how long another process's change to people, groups, enrollments or sessions may
#: take to be seen by this one (its own changes are seen at once)
CACHE_SECONDS = 10.0


async def open_store(url: str, *, cache_seconds: float = CACHE_SECONDS) -> SqlStore:
    """A `SqlStore` for a config URL (see storage.engine). Does not migrate."""
    return SqlStore(make_engine(url), cache_seconds=cache_seconds)


if TYPE_CHECKING:

    def _implements_the_port(store: SqlStore) -> Store:
        return store  # mypy fails here when bot.core.ports.Store grows a method we lack
