"""Alembic environment for rollcall, async-capable.

The database URL comes, in order, from `config.attributes["url"]` (set by
storage.migrate), `-x url=...` on the alembic command line, the
ROLLCALL_DATABASE_URL environment variable, or `sqlalchemy.url` in alembic.ini.
A caller may also hand over an open sync connection in
`config.attributes["connection"]` (e.g. from `AsyncConnection.run_sync`).

Migrations run in ONE transaction: on PostgreSQL behind a transaction-scoped
advisory lock, on SQLite behind BEGIN IMMEDIATE, so several processes upgrading
at once (several bots starting) do it one after the other, and the later ones
find the schema already at head.
"""

from __future__ import annotations

import asyncio
import os
from logging.config import fileConfig

from alembic import context
from sqlalchemy import pool, text
from sqlalchemy.engine import Connection

from storage.engine import BEGIN_OPTION, make_engine
from storage.tables import metadata

#: an arbitrary constant: pg_advisory_xact_lock key for "rollcall schema migration"
MIGRATION_LOCK_KEY = 7_401_550_201

config = context.config

if config.config_file_name is not None and not config.attributes.get("programmatic"):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = metadata


def _url() -> str:
    url = config.attributes.get("url") or context.get_x_argument(as_dictionary=True).get("url")
    url = url or os.environ.get("ROLLCALL_DATABASE_URL") or config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no database URL: pass -x url=... or set ROLLCALL_DATABASE_URL")
    return str(url)


def run_migrations_offline() -> None:
    context.configure(
        url=_url(),
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


def do_run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        compare_type=True,
        # SQLAlchemy emits BEGIN on SQLite (see storage.engine), so its DDL is transactional
        transactional_ddl=True,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": MIGRATION_LOCK_KEY})
        context.run_migrations()


async def run_async_migrations(url: str) -> None:
    engine = make_engine(url, poolclass=pool.NullPool)
    try:
        async with engine.connect() as connection:
            if connection.dialect.name == "sqlite":
                await connection.execution_options(**{BEGIN_OPTION: "IMMEDIATE"})
            await connection.run_sync(do_run_migrations)
    finally:
        await engine.dispose()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        do_run_migrations(connection)
        return
    asyncio.run(run_async_migrations(_url()))


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
