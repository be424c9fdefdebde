"""SQLite backup and restore, and the lock that tells a restore a bot is running.

A backup is SQLite's online backup API copying the whole database in one step: one
consistent snapshot (a read transaction; in WAL mode writers carry on meanwhile), so
every write committed before it began is in the copy. The copy is written to a
temporary file, checked (`PRAGMA quick_check`), turned into a single self-contained
file (journal_mode=DELETE), fsynced and renamed into place.

`rollcall run` holds a shared lock on ``DB.run.lock`` for its whole life; a restore
takes it exclusively, so it refuses while any bot runs on the database.

With ``ROLLCALL_DB_KEY`` set (storage.cipher) every connection here is SQLCipher's,
keyed: the copy is encrypted with the same key, and a plain database copied with a
key set (a restore of an unencrypted backup) is encrypted on the way
(``sqlcipher_export``).

All functions here are synchronous file work: callers run them in a thread.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path

from sqlalchemy.engine import make_url

from storage import cipher

SQLITE_HEADER = cipher.SQLITE_HEADER


class BackupError(Exception):
    """What went wrong, in words for the operator (no paths' contents, no data)."""


def sqlite_path(url: str) -> str | None:
    """The database file of a SQLite URL; None for anything else (PostgreSQL, memory)."""
    if url == "memory://":
        return None
    u = make_url(url)
    if u.get_backend_name() != "sqlite":
        return None
    db = u.database or ""
    return None if db in ("", ":memory:") or db.startswith("file:") else db


def run_lock_path(db: str) -> Path:
    return Path(f"{db}.run.lock")


class RunLock:
    """Held (shared) by every running bot on a SQLite file; see `exclusive`."""

    def __init__(self, db: str) -> None:
        self.path = run_lock_path(db)
        self._fd: int | None = None

    def acquire_shared(self) -> None:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(fd, fcntl.LOCK_SH)
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            with contextlib.suppress(OSError):
                fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)


@contextlib.contextmanager
def exclusive(db: str):  # type: ignore[no-untyped-def]
    """No bot runs on `db` while this is held; BackupError at once if one does."""
    fd = os.open(run_lock_path(db), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise BackupError(
                "a rollcall process is running on this database; stop it first "
                "(systemctl stop rollcall, or docker compose stop rollcall)"
            ) from None
        scheduler = Path(f"{db}.scheduler.lock")
        if scheduler.exists() and _locked(scheduler):
            raise BackupError("a rollcall scheduler is running on this database; stop it first")
        yield
    finally:
        with contextlib.suppress(OSError):
            fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def _locked(path: Path) -> bool:
    fd = os.open(path, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return True
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)


def is_sqlite_file(path: str) -> bool:
    """A plain SQLite file; with a key set, also any non-empty file (an encrypted
    database looks like noise until the key opens it)."""
    if cipher.is_plain_sqlite(path):
        return True
    return cipher.env_key() is not None and cipher.has_content(path)


def copy_database(source: str, dest: str) -> None:
    """A consistent copy of `source` as one self-contained file at `dest` (replaced
    atomically). `source` is only read."""
    if not os.path.exists(source):
        raise BackupError(f"no database at {source}")
    tmp = f"{dest}.partial"
    for leftover in (tmp, f"{tmp}-journal", f"{tmp}-wal", f"{tmp}-shm"):
        with contextlib.suppress(FileNotFoundError):
            os.remove(leftover)
    key = cipher.env_key()
    try:
        if key is not None and cipher.is_plain_sqlite(source):
            cipher.export_encrypted(source, tmp, key)  # a plain database gets encrypted
            _check(tmp, key)
        else:
            _online_copy(source, tmp, key)
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, dest)
        _fsync_dir(os.path.dirname(os.path.abspath(dest)))
    except cipher.errors() as e:
        if key is None and "not a database" in str(e):
            raise cipher.refusal(source, None) from None
        raise BackupError(f"copying the database failed: {type(e).__name__}: {e}") from None
    except OSError as e:
        raise BackupError(f"cannot write {dest}: {e.strerror or e}") from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.remove(tmp)


def _online_copy(source: str, tmp: str, key: str | None) -> None:
    src = cipher.connect(f"{Path(source).absolute().as_uri()}?mode=ro", key, uri=True, timeout=30)
    try:
        src.execute("PRAGMA busy_timeout=30000")
        dst = cipher.connect(tmp, key)
        try:
            src.backup(dst)  # all pages in one step: one snapshot
        finally:
            dst.close()
    finally:
        src.close()
    _check(tmp, key)


def _check(path: str, key: str | None) -> None:
    conn = cipher.connect(path, key)
    try:
        conn.execute("PRAGMA journal_mode=DELETE")
        (ok,) = conn.execute("PRAGMA quick_check").fetchone()
        if ok != "ok":
            raise BackupError(f"the copy failed its integrity check: {ok}")
    finally:
        conn.close()


def settle(db: str) -> None:
    """Fold a database's WAL into the file and leave it as one file (journal DELETE)."""
    conn = cipher.connect(db, cipher.env_key())
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute("PRAGMA journal_mode=DELETE")
    finally:
        conn.close()


def swap_in(staged: str, db: str) -> None:
    """Replace `db` (and its WAL and shared memory) by the file `staged`. Only while
    `exclusive(db)` is held."""
    for side in (f"{db}-wal", f"{db}-shm", f"{db}-journal"):
        with contextlib.suppress(FileNotFoundError):
            os.remove(side)
    os.replace(staged, db)
    _fsync_dir(os.path.dirname(os.path.abspath(db)))


def _fsync_dir(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
