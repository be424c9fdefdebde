"""SQLite encrypted at rest with SQLCipher (storage.cipher, ``ROLLCALL_DB_KEY``).

The store contract suite runs over an encrypted store too (`sqlite-encrypted` in
conftest.py); here: what is on disk, how errors surface through SQLAlchemy, backups,
and the refusals when the key and the file don't fit.
"""

from __future__ import annotations

import asyncio
import sqlite3
import sys
from pathlib import Path

import pytest
from sqlalchemy import exc, insert, text

from bot.core.domain import EvidenceKind
from storage import backup, cipher
from storage.cipher import KEY_ENV, CipherError
from storage.engine import BEGIN_OPTION
from storage.migrate import current_revision, upgrade
from storage.sql import open_store
from storage.tables import people
from tests.contract.conftest import TEST_KEY
from tests.contract.factories import entry, person

NAME, NOTE, GUEST, EMAIL = "Canary Quillfeather", "canary-note-7731", "Canary Guest", "cq@x.org"
CANARIES = (NAME, NOTE, GUEST, EMAIL)
PASSPHRASE = "correct horse 'battery' staple"


def on_disk(db: Path, *needles: str) -> list[str]:
    found = []
    for suffix in ("", "-wal", "-shm"):
        path = Path(f"{db}{suffix}")
        data = path.read_bytes() if path.exists() else b""
        found += [f"{n} in {path.name}" for n in needles if n.encode() in data]
    return found


async def _fill(url: str) -> None:
    store = await open_store(url)
    try:
        await store.upsert_person(person("p-1", display_name=NAME, email=EMAIL))
        await store.append_evidence([entry("c1", person_id="p-1", session_id="s1")], notes=[NOTE])
        await store.append_evidence(
            [entry("g1", kind=EvidenceKind.PRESENCE, guest_key="zoom:g", data={"action": "join"})],
            notes=[GUEST],
        )
        assert (await store.get_person("p-1")) is not None
    finally:
        await store.close()


@pytest.mark.parametrize("key", [TEST_KEY, PASSPHRASE], ids=["raw-key", "passphrase"])
async def test_nothing_readable_on_disk_while_open_and_after(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, key: str
) -> None:
    monkeypatch.setenv(KEY_ENV, key)
    db = tmp_path / "rollcall.db"
    url = f"sqlite:///{db}"
    await upgrade(url)
    store = await open_store(url)
    try:
        await store.upsert_person(person("p-1", display_name=NAME, email=EMAIL))
        # the note goes through the ledger's own writer thread
        await store.append_evidence([entry("c1", person_id="p-1", session_id="s1")], notes=[NOTE])
        await store.append_evidence(
            [entry("g1", kind=EvidenceKind.PRESENCE, guest_key="zoom:g", data={"action": "join"})],
            notes=[GUEST],
        )
        got = await store.get_person("p-1")
        assert got is not None and got.display_name == NAME
        assert cipher.has_content(f"{db}-wal")  # the WAL holds the new pages ...
        assert on_disk(db, *CANARIES) == []  # ... encrypted, like the file
        assert not cipher.is_plain_sqlite(str(db))
    finally:
        await store.close()
    assert on_disk(db, *CANARIES) == []
    # the standard sqlite3 module sees noise
    plain = sqlite3.connect(db)
    with pytest.raises(sqlite3.DatabaseError, match="not a database"):
        plain.execute("SELECT count(*) FROM sqlite_master").fetchone()
    plain.close()
    # the same key opens it again: the writer thread's rows and the pool's are both there
    store = await open_store(url)
    try:
        assert (await store.chain_head("ledger"))[0] == 2
        assert (await store.get_person("p-1")) is not None
    finally:
        await store.close()


async def test_errors_surface_as_the_same_sqlalchemy_exceptions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(KEY_ENV, TEST_KEY)
    url = f"sqlite:///{tmp_path / 'rollcall.db'}"
    await upgrade(url)
    store = await open_store(url)
    other = await open_store(url)
    try:
        await store.upsert_person(person("p-1"))
        row = {"id": "p-1", "display_name": "x", "role": "participant"}
        with pytest.raises(exc.IntegrityError, match="UNIQUE constraint failed"):
            async with store.engine.begin() as conn:
                await conn.execute(insert(people).values(row))
        # a held write lock: "database is locked" is an OperationalError, as on sqlite3
        async with other.engine.connect() as holder:
            await holder.execution_options(**{BEGIN_OPTION: "IMMEDIATE"})
            await holder.begin()
            await holder.execute(text("SELECT 1"))
            with pytest.raises(exc.OperationalError, match="database is locked"):
                async with store.engine.connect() as conn:
                    await conn.exec_driver_sql("PRAGMA busy_timeout=50")
                    await conn.execute(insert(people).values({**row, "id": "p-2"}))
            await holder.rollback()
        assert await store.ping()
        async with store.engine.connect() as conn:
            assert (await conn.execute(text("SELECT count(*) FROM people"))).scalar() == 1
    finally:
        await other.close()
        await store.close()


async def _refusal(url: str) -> str:
    with pytest.raises(CipherError) as caught:
        await current_revision(url)
    return str(caught.value)


async def test_a_wrong_key_no_key_or_a_plain_file_is_refused_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    encrypted, plain = tmp_path / "enc.db", tmp_path / "plain.db"
    monkeypatch.setenv(KEY_ENV, PASSPHRASE)
    await upgrade(f"sqlite:///{encrypted}")

    monkeypatch.setenv(KEY_ENV, "not the key")
    wrong = await _refusal(f"sqlite:///{encrypted}")
    assert (
        wrong
        == f"ROLLCALL_DB_KEY does not open {encrypted} (a wrong key, or not a rollcall database)"
    )
    with pytest.raises(CipherError, match="does not open"):
        await upgrade(f"sqlite:///{encrypted}")  # alembic's own engine refuses the same way

    monkeypatch.delenv(KEY_ENV)
    missing = await _refusal(f"sqlite:///{encrypted}")
    assert (
        missing
        == f"{encrypted} is encrypted (or not a SQLite database): set ROLLCALL_DB_KEY to its key"
    )
    await upgrade(f"sqlite:///{plain}")

    monkeypatch.setenv(KEY_ENV, PASSPHRASE)
    unencrypted = await _refusal(f"sqlite:///{plain}")
    assert unencrypted.startswith(f"{plain} is not encrypted but ROLLCALL_DB_KEY is set")
    for message in (wrong, missing, unencrypted):
        assert "\n" not in message and PASSPHRASE not in message and "not the key" not in message
    assert cipher.is_plain_sqlite(str(plain))  # refused, and left as it was


async def test_backup_stays_encrypted_and_a_plain_backup_is_encrypted_on_restore(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    live, copy, plain, staged = (tmp_path / n for n in ("live.db", "b.db", "p.db", "s.db"))
    monkeypatch.setenv(KEY_ENV, TEST_KEY)
    await upgrade(f"sqlite:///{live}")
    await _fill(f"sqlite:///{live}")
    await asyncio.to_thread(backup.copy_database, str(live), str(copy))
    await asyncio.to_thread(backup.settle, str(copy))
    assert on_disk(copy, *CANARIES) == [] and backup.is_sqlite_file(str(copy))
    store = await open_store(f"sqlite:///{copy}")
    try:
        assert (await store.get_person("p-1")) is not None
    finally:
        await store.close()

    # a database made without a key, copied with one (restore): encrypted on the way
    monkeypatch.delenv(KEY_ENV)
    await upgrade(f"sqlite:///{plain}")
    await _fill(f"sqlite:///{plain}")
    assert on_disk(plain, NAME)
    monkeypatch.setenv(KEY_ENV, TEST_KEY)
    await asyncio.to_thread(backup.copy_database, str(plain), str(staged))
    assert on_disk(staged, *CANARIES) == []
    store = await open_store(f"sqlite:///{staged}")
    try:
        assert (await store.get_person("p-1")) is not None
        assert (await store.chain_head("ledger"))[0] == 2
    finally:
        await store.close()

    # without the key an encrypted copy is refused, and nothing is written
    monkeypatch.delenv(KEY_ENV)
    assert not backup.is_sqlite_file(str(copy))
    with pytest.raises(CipherError, match="is encrypted"):
        await asyncio.to_thread(backup.copy_database, str(copy), str(tmp_path / "x.db"))
    assert not (tmp_path / "x.db").exists()


async def test_without_the_extra_a_key_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "sqlcipher3", None)  # as if not installed
    monkeypatch.setenv(KEY_ENV, TEST_KEY)
    with pytest.raises(CipherError, match=r"SQLCipher is not installed: pip install"):
        cipher.sqlcipher()
