"""Schema migrations, programmatically: `await upgrade(url)` is `rollcall db upgrade`.

Alembic's command API is synchronous and its env.py drives the async engine with
`asyncio.run`, so the whole upgrade runs in a worker thread (its own event loop);
the caller's loop never blocks. Idempotent: at head, it does nothing.

Alembic keeps its `context`/`op` proxies in module globals, so two migrations in
one process must not overlap: a process-wide lock serializes them. Between
processes, env.py serializes with a database lock.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from storage.engine import async_url, make_engine

if TYPE_CHECKING:  # alembic is imported when a migration runs, not on every start
    from alembic.config import Config

INI_PATH = Path(__file__).with_name("alembic.ini")
VERSIONS = Path(__file__).with_name("migrations") / "versions"
_ALEMBIC_LOCK = threading.Lock()  # alembic's proxies are process-global


def newest_migration() -> str:
    """The head revision by the migrations' file names ("0003_….py" is revision
    "0003"; a test holds this equal to alembic's own head): read without alembic."""
    return max(p.name.split("_", 1)[0] for p in VERSIONS.glob("[0-9]*_*.py"))


def alembic_config(url: str) -> Config:
    """An Alembic Config for this package's migrations, aimed at `url`."""
    from alembic.config import Config

    cfg = Config(str(INI_PATH))
    cfg.attributes["url"] = async_url(url).render_as_string(hide_password=False)
    cfg.attributes["programmatic"] = True  # env.py leaves the app's logging alone
    return cfg


def head_revision() -> str | None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(Config(str(INI_PATH))).get_current_head()


async def upgrade(url: str, revision: str = "head") -> None:
    """Migrate the database at `url` to `revision` (default: head). A database
    already at head is told by one query (every start), without loading alembic."""
    if revision == "head" and await _stamped(url) == newest_migration():
        return
    from alembic import command

    await asyncio.to_thread(_locked, command.upgrade, alembic_config(url), revision)


async def _stamped(url: str) -> str | None:
    """alembic_version's row, read directly; None when there is none (or no table)."""
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            rows = (await conn.execute(text("SELECT version_num FROM alembic_version"))).all()
    except DBAPIError:  # no table yet: a new database
        return None
    finally:
        await engine.dispose()
    return str(rows[0][0]) if len(rows) == 1 else None


async def downgrade(url: str, revision: str) -> None:
    """Migrate the database at `url` down to `revision` ("base": drop everything)."""
    from alembic import command

    await asyncio.to_thread(_locked, command.downgrade, alembic_config(url), revision)


def _locked(fn: Callable[[Config, str], None], cfg: Config, revision: str) -> None:
    with _ALEMBIC_LOCK:
        fn(cfg, revision)


async def current_revision(url: str) -> str | None:
    """The revision the database is at; None for an empty database."""

    from alembic.runtime.migration import MigrationContext

    def _current(conn: Connection) -> str | None:
        return MigrationContext.configure(conn).get_current_revision()

    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(_current)
    finally:
        await engine.dispose()


#: Revisions whose downgrade loses no records (only live state that is rebuilt), with
#: why. `rollcall db downgrade` undoes only these; a new migration is refused until
#: it is listed here.
SAFE_TO_UNDO: dict[str, str] = {
    "0002": "presence hints are live state, not evidence; they come back from the platforms",
    "0003": "calendar feed tokens only: people send /calendar again for a new link",
    "0004": "the outbox's in-flight marks only: a message whose send was cut by a crash"
    " may then be sent twice (at least once, as before)",
    "0005": "an index only: reports read the sign-offs more slowly again",
    "0006": "nothing to undo: the ledger's datetimes stay in the text every version reads"
    " as the same instant",
    "0007": "an index only: a group's presence is read from the group's whole range again",
}


def downgrade_steps(current: str | None, target: str | None) -> list[str]:
    """The revisions a downgrade from `current` to `target` undoes, newest first.
    `target` None means one step. ValueError when `target` is not below `current`."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory
    from alembic.script.revision import RevisionError

    script = ScriptDirectory.from_config(Config(str(INI_PATH)))
    if current is None:
        raise ValueError("the database has no schema yet")
    if target is None:
        rev = script.get_revision(current)
        down = rev.down_revision if rev is not None else None
        target = down if isinstance(down, str) else "base"
    if target == current:
        return []
    try:
        return [r.revision for r in script.iterate_revisions(current, target)]
    except RevisionError as e:  # no such revision, or not below the current one
        raise ValueError(f"{target} is not an earlier revision than {current}: {e}") from None
