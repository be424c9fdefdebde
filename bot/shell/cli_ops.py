"""The operator's verbs: `doctor`, `backup FILE`, `restore FILE`, `db downgrade`.

None of them opens the app (no seeding, no sessions planned): they work on the
database as it is. Backup and restore are SQLite's; on PostgreSQL they print the
`pg_dump` / `pg_restore` commands to use instead and exit 2.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shlex
import sys
from typing import Any

from sqlalchemy.engine import URL, make_url

from bot.config import Config
from bot.core.errors import UserError
from bot.core.ledger import verify_chain

NOT_DONE = 2  # told what to do instead


def add_parsers(sub: Any, db: Any) -> None:
    """Add the verbs to `rollcall`'s subparsers (`sub`) and `rollcall db`'s (`db`)."""
    sub.add_parser(
        "doctor", help="check the config, database, tokens and channels; exit 1 on a problem"
    )
    b = sub.add_parser("backup", help="a consistent copy of the SQLite database, while it runs")
    b.add_argument("file")
    r = sub.add_parser("restore", help="replace the database by a backup (the bot must be stopped)")
    r.add_argument("file")
    down = db.add_parser("downgrade", help="undo migrations, only where no record is lost")
    down.add_argument("revision", nargs="?", help="the revision to go back to (default: one step)")


def handles(args: argparse.Namespace) -> bool:
    return args.command in ("doctor", "backup", "restore") or (
        args.command == "db" and args.db_command == "downgrade"
    )


async def run_doctor(config_path: str) -> int:
    from bot.shell.doctor import check

    findings = await check(config_path)
    for f in findings:
        print(f.line())
    problems = sum(not f.ok for f in findings)
    if problems:
        print(f"{problems} problem(s)", file=sys.stderr)
        return 1
    print("everything checked is ready")
    return 0


async def dispatch(args: argparse.Namespace, config: Config) -> int:
    if args.command == "backup":
        return await backup(config.storage_url, args.file)
    if args.command == "restore":
        return await restore(config.storage_url, args.file)
    return await db_downgrade(config.storage_url, args.revision)


def _postgres_hint(url: str, verb: str, file: str) -> int:
    u = make_url(url)
    bare = URL.create(
        "postgresql", u.username, None, u.host, u.port, u.database, query=u.query
    )  # never the password
    target = shlex.quote(bare.render_as_string(hide_password=False))
    file = shlex.quote(file)
    if verb == "backup":
        command = f"pg_dump --format=custom --no-owner --file={file} {target}"
        print(
            "rollcall backup copies SQLite databases; on PostgreSQL use pg_dump:", file=sys.stderr
        )
    else:
        command = (
            f"pg_restore --clean --if-exists --no-owner --dbname={target} {file} && "
            "rollcall db upgrade && rollcall audit verify"
        )
        print(
            "rollcall restore replaces SQLite databases; on PostgreSQL stop every rollcall "
            "process, then use pg_restore:",
            file=sys.stderr,
        )
    print("(the password comes from PGPASSWORD or ~/.pgpass)", file=sys.stderr)
    print(command)
    return NOT_DONE


def _sqlite_db(url: str, verb: str) -> str:
    from storage.backup import sqlite_path

    db = sqlite_path(url)
    if db is None:
        raise UserError(f"nothing to {verb}: the database is in memory")
    return db


async def verify_chains(url: str) -> tuple[list[str], int, int]:
    """The hash chains of the database at `url`: problems, ledger rows, audit rows."""
    problems, heads = await verify_chains_and_heads(url)
    return problems, int(heads[0].split(":")[1]), int(heads[1].split(":")[1])


async def verify_chains_and_heads(url: str) -> tuple[list[str], list[str]]:
    """The hash chains of the database at `url`: problems, and the heads as tokens
    (`ledger:SEQ:HASH`, `audit:SEQ:HASH`, as `rollcall audit head` prints them)."""
    from bot.core.integrity import head_token
    from storage.sql import open_store

    store = await open_store(url, cache_seconds=0)
    try:
        problems = []
        for chain, fetch in (
            ("ledger", lambda after: store.ledger_page(after_seq=after)),
            ("audit", lambda after: store.audit_page(after_seq=after)),
        ):
            problem = await verify_chain(chain, fetch, await store.chain_head(chain))
            if problem is not None:
                problems.append(f"{problem.chain} row {problem.seq}: {problem.reason}")
        heads = [head_token(c, await store.chain_head(c)) for c in ("ledger", "audit")]
        return problems, heads
    finally:
        await store.close()


async def backup(url: str, file: str) -> int:
    from storage.backup import BackupError, copy_database, settle

    if not url.startswith("sqlite") and url != "memory://":
        return _postgres_hint(url, "backup", file)
    db = _sqlite_db(url, "back up")
    if await asyncio.to_thread(_same, file, db):
        raise UserError("the backup file is the database itself; name another file")
    try:
        await asyncio.to_thread(copy_database, db, file)
        problems, heads = await verify_chains_and_heads(f"sqlite:///{file}")
        await asyncio.to_thread(settle, file)
    except BackupError as e:
        raise UserError(str(e)) from None
    if problems:
        for p in problems:
            print(f"TAMPERED: {p}", file=sys.stderr)
        raise UserError("the database's hash chains are broken; the copy was kept for analysis")
    # the copy's chain heads, beside it and on stdout (the journal): a checkpoint a later
    # editor of the live database can't rewind (`rollcall audit verify --head TOKEN`)
    heads_file = f"{file}.heads"
    try:
        await asyncio.to_thread(_write_heads, heads_file, heads)
    except OSError as e:
        raise UserError(f"cannot write {heads_file}: {e.strerror or e}") from None
    ledger_rows, audit_rows = (int(h.split(":")[1]) for h in heads)
    print(
        f"backed up to {file}: ledger {ledger_rows} rows, audit {audit_rows} rows, "
        f"hash chains intact; heads in {heads_file}: {' '.join(heads)}"
    )
    return 0


def _write_heads(path: str, heads: list[str]) -> None:
    tmp = f"{path}.tmp"
    with open(tmp, "w", encoding="ascii") as f:
        f.write("".join(f"{h}\n" for h in heads))
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


async def restore(url: str, file: str) -> int:
    from storage.backup import (
        BackupError,
        copy_database,
        exclusive,
        is_sqlite_file,
        settle,
        swap_in,
    )
    from storage.migrate import current_revision, head_revision, upgrade

    if not url.startswith("sqlite") and url != "memory://":
        return _postgres_hint(url, "restore", file)
    db = _sqlite_db(url, "restore")
    if not await asyncio.to_thread(is_sqlite_file, file):
        raise UserError(f"{file} is not a SQLite database (a rollcall backup)")
    staged = f"{db}.restoring"
    staged_url = f"sqlite:///{staged}"
    try:
        with exclusive(db):
            await asyncio.to_thread(copy_database, file, staged)
            revision = await current_revision(staged_url)
            if revision is None:
                raise UserError(f"{file} holds no rollcall database")
            try:
                await upgrade(staged_url)  # an older backup is brought up to this version
            except Exception:
                raise UserError(
                    f"{file} is at migration {revision}, which this version does not know "
                    "(made by a newer rollcall?)"
                ) from None
            if await current_revision(staged_url) != head_revision():
                raise UserError(f"{file} could not be migrated to this version")
            problems, _, _ = await verify_chains(staged_url)
            if problems:
                for p in problems:
                    print(f"TAMPERED: {p}", file=sys.stderr)
                raise UserError(f"{file}'s hash chains are broken; nothing was restored")
            await asyncio.to_thread(settle, staged)
            kept = ""
            if await asyncio.to_thread(os.path.exists, db):
                kept = f"{db}.before-restore"
                await asyncio.to_thread(copy_database, db, kept)
            await asyncio.to_thread(swap_in, staged, db)
            problems, ledger_rows, audit_rows = await verify_chains(url)
    except BackupError as e:
        raise UserError(str(e)) from None
    finally:
        await asyncio.to_thread(_remove, staged, f"{staged}-wal", f"{staged}-shm")
    if problems:
        for p in problems:
            print(f"TAMPERED: {p}", file=sys.stderr)
        raise UserError("the restored database fails its hash-chain check")
    print(
        f"restored {file} into {db}: ledger {ledger_rows} rows, audit {audit_rows} rows, "
        "hash chains intact" + (f"; the previous database is kept as {kept}" if kept else "")
    )
    return 0


async def db_downgrade(url: str, revision: str | None) -> int:
    from storage.backup import BackupError, exclusive, sqlite_path
    from storage.migrate import SAFE_TO_UNDO, current_revision, downgrade, downgrade_steps

    if url == "memory://":
        raise UserError("nothing to downgrade: the database is in memory")
    current = await current_revision(url)
    try:
        steps = downgrade_steps(current, revision)
    except ValueError as e:
        raise UserError(str(e)) from None
    if not steps:
        print(f"the database is already at {current}")
        return 0
    unsafe = [s for s in steps if s not in SAFE_TO_UNDO]
    if unsafe:
        raise UserError(
            f"refusing to downgrade: undoing migration {', '.join(unsafe)} would delete "
            "records. Restore a backup taken before the upgrade instead (rollcall restore FILE)"
        )
    target = revision or _below(steps[-1])
    db = sqlite_path(url)
    try:
        if db is not None:
            with exclusive(db):
                await downgrade(url, target)
        else:
            await downgrade(url, target)
    except BackupError as e:
        raise UserError(str(e)) from None
    why = "; ".join(f"{s}: {SAFE_TO_UNDO[s]}" for s in steps)
    print(f"downgraded from {current} to {target} ({why})")
    return 0


def _same(a: str, b: str) -> bool:
    if os.path.exists(a) and os.path.exists(b):
        return os.path.samefile(a, b)
    return os.path.abspath(a) == os.path.abspath(b)


def _remove(*paths: str) -> None:
    for path in paths:
        if os.path.exists(path):
            os.remove(path)


def _below(revision: str) -> str:
    from alembic.config import Config as AlembicConfig
    from alembic.script import ScriptDirectory

    from storage.migrate import INI_PATH

    script = ScriptDirectory.from_config(AlembicConfig(str(INI_PATH)))
    rev = script.get_revision(revision)
    down = rev.down_revision if rev is not None else None
    return down if isinstance(down, str) else "base"
