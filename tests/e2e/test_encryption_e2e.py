"""`rollcall run` on a SQLite file encrypted with SQLCipher (``ROLLCALL_DB_KEY``).

The bot runs with a key; a participant checks in through the console with a canary
note; while the bot keeps running (and after it stopped) the database file, its
`-wal` and its `-shm` are read byte by byte: no canary, no name from the config, no
SQLite header. The CLI with the key reads it all back; with a wrong key, without a
key, or on a plain database with a key, every command refuses in one line.
"""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

from storage.cipher import KEY_ENV
from tests.e2e.conftest import (
    CONFIG_NAME,
    DB_NAME,
    GROUP,
    Cli,
    assert_ok,
    assert_user_error,
    child_env,
)
from tests.e2e.test_run_server import rollcall_run

KEY = "c0ffee" * 10 + "beef"  # 64 hex digits: a raw key
NOTE = "canary-note-cipher-5521"
CANARIES = (NOTE.encode(), b"Jordan", b"Dr. Rivera", b"SQLite format 3")


def on_disk(directory: Path) -> list[str]:
    found = []
    for suffix in ("", "-wal", "-shm"):
        path = directory / f"{DB_NAME}{suffix}"
        data = path.read_bytes() if path.exists() else b""
        found += [f"{c.decode()} in {path.name}" for c in CANARIES if c in data]
    return found


def cli(directory: Path, key: str | None) -> Cli:
    env = child_env(**({KEY_ENV: key} if key is not None else {}))
    return Cli(config=directory / CONFIG_NAME, cwd=directory, env=env)


async def test_a_check_in_on_an_encrypted_database_leaves_no_readable_byte(
    config_dir: Path,
) -> None:
    keyed = cli(config_dir, KEY)
    async with rollcall_run(config_dir, env=child_env(**{KEY_ENV: KEY})) as running:
        stdin = running.proc.stdin
        assert stdin is not None
        stdin.write(f"as f-001\nstart {GROUP} 60\nas p-001\n/checkin {NOTE}\n".encode())
        await stdin.drain()
        exported = ""
        for _ in range(100):  # the check-in is in when the CLI (with the key) reads it
            exported = (await asyncio.to_thread(keyed.run, "participant", "export", "p-001")).stdout
            if NOTE in exported:
                break
            await asyncio.sleep(0.2)
        assert NOTE in exported, running.output
        assert running.proc.returncode is None, running.output  # still running
        assert (config_dir / f"{DB_NAME}-wal").exists()
        assert on_disk(config_dir) == []
        await running.stop_with(signal.SIGTERM)
    assert running.code == 0, running.output
    assert "Traceback" not in running.output
    assert on_disk(config_dir) == []
    assert assert_ok(keyed.run("audit", "verify")).stdout.startswith("ok: ")


async def test_wrong_key_no_key_and_a_plain_database_are_refused_in_one_line(
    config_dir: Path, tmp_path: Path
) -> None:
    assert_ok(cli(config_dir, KEY).run("db", "upgrade"))
    wrong = cli(config_dir, "f" * 64)
    for args in (("run",), ("audit", "verify"), ("db", "upgrade"), ("backup", "b.db")):
        line = assert_user_error(wrong.run(*args), f"{KEY_ENV} does not open", DB_NAME)
        assert "f" * 64 not in line
    assert_user_error(cli(config_dir, None).run("audit", "verify"), "is encrypted", KEY_ENV)
    doctor = wrong.run("doctor")
    assert doctor.returncode == 1 and "Traceback" not in doctor.stdout + doctor.stderr
    assert f"database: {KEY_ENV} does not open" in doctor.stdout

    # the other way round: a plain database and a key
    plain_dir = tmp_path / "plain"
    plain_dir.mkdir()
    (plain_dir / CONFIG_NAME).write_text(
        (config_dir / CONFIG_NAME).read_text(encoding="utf-8"), encoding="utf-8"
    )
    assert_ok(cli(plain_dir, None).run("db", "upgrade"))
    assert_user_error(cli(plain_dir, KEY).run("run"), "is not encrypted but", KEY_ENV)


async def test_backup_is_encrypted_and_a_plain_backup_restores_encrypted(
    config_dir: Path, tmp_path: Path
) -> None:
    keyed, plain = cli(config_dir, KEY), cli(config_dir, None)
    # a database made before encryption was turned on, with a participant's name in it
    assert_ok(plain.run("run"))  # seeds the people; end of input stops it
    assert_ok(plain.run("backup", "plain.db"))
    assert b"Jordan" in (config_dir / "plain.db").read_bytes()
    # encrypting it: restore that backup with the key set (the plain one is still there)
    assert_ok(keyed.run("restore", "plain.db"))
    assert on_disk(config_dir) == []
    kept = (config_dir / f"{DB_NAME}.before-restore").read_bytes()
    assert b"Jordan" not in kept  # the previous database is kept, encrypted too
    assert assert_ok(keyed.run("audit", "verify")).stdout.startswith("ok: ")
    # a backup of the encrypted database is encrypted with the same key
    assert_ok(keyed.run("backup", "enc.db"))
    data = (config_dir / "enc.db").read_bytes()
    assert b"Jordan" not in data and not data.startswith(b"SQLite format 3")
    assert_ok(keyed.run("restore", "enc.db"))
    assert_user_error(plain.run("restore", "enc.db"), "enc.db is not a SQLite database")
