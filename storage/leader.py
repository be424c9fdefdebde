"""Who runs the scheduler: one leader per database.

PostgreSQL: `pg_try_advisory_lock` held on a dedicated connection (leadership ends
when that connection does, so a killed leader is replaced at the next try). SQLite:
an exclusive, non-blocking lock on a file next to the database — a second process on
the same file is told why it does not schedule. In memory: always the leader.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

log = logging.getLogger("rollcall.leader")

#: an arbitrary, fixed advisory-lock key for "the rollcall scheduler"
LOCK_KEY = 0x726F6C6C  # "roll"


class AlwaysLeader:
    async def try_acquire(self) -> bool:
        return True

    async def release(self) -> None:
        return None

    def why_not(self) -> str:
        return ""


class SqliteLeader:
    def __init__(self, db_path: str) -> None:
        self.lock_path = Path(f"{db_path}.scheduler.lock")
        self._fd: int | None = None

    def _try(self) -> bool:
        if self._fd is not None:
            return True
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        return True

    async def try_acquire(self) -> bool:
        return await asyncio.to_thread(self._try)

    async def release(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            with contextlib.suppress(OSError):
                fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def why_not(self) -> str:
        holder = ""
        with contextlib.suppress(OSError):
            holder = self.lock_path.read_text().strip()
        who = f" (pid {holder})" if holder else ""
        return (
            f"another rollcall process{who} already runs the scheduler for this SQLite "
            f"database ({self.lock_path.name}); this one serves requests only. "
            "Use PostgreSQL to run several processes."
        )


class PostgresLeader:
    def __init__(self, url: str) -> None:
        u = make_url(url).set(drivername="postgresql")
        self.dsn = u.render_as_string(hide_password=False)
        self._conn: Any = None  # an asyncpg connection, imported only when used

    async def try_acquire(self) -> bool:
        import asyncpg

        if self._conn is not None and not self._conn.is_closed():
            try:
                await self._conn.fetchval("SELECT 1")
                return True
            except (asyncpg.PostgresError, OSError):
                await self.release()
        try:
            conn = await asyncpg.connect(self.dsn, timeout=10)
        except (asyncpg.PostgresError, OSError):
            log.warning("cannot reach PostgreSQL for the scheduler lock")
            return False
        got = bool(await conn.fetchval("SELECT pg_try_advisory_lock($1)", LOCK_KEY))
        if not got:
            await conn.close()
            return False
        self._conn = conn
        return True

    async def release(self) -> None:
        import asyncpg

        conn, self._conn = self._conn, None
        if conn is not None and not conn.is_closed():
            with contextlib.suppress(asyncpg.PostgresError, OSError):
                await conn.execute("SELECT pg_advisory_unlock($1)", LOCK_KEY)
            await conn.close()

    def why_not(self) -> str:
        return "another rollcall process holds the scheduler lock; this one delivers only"


def leader_for(url: str) -> AlwaysLeader | SqliteLeader | PostgresLeader:
    if url == "memory://":
        return AlwaysLeader()
    u = make_url(url)
    if u.get_backend_name() == "sqlite":
        db = u.database or ""
        if db in ("", ":memory:"):
            return AlwaysLeader()
        return SqliteLeader(db)
    return PostgresLeader(url)
