"""Encryption at rest for SQLite: SQLCipher, keyed from the environment (optional).

When ``ROLLCALL_DB_KEY`` is set (and the ``encryption`` extra, ``sqlcipher3-binary``,
is installed) every connection rollcall opens on a SQLite file — SQLAlchemy's pool
(through aiosqlite), the ledger's writer thread, backup and restore — comes from
`connect` here: ``sqlcipher3`` with ``PRAGMA key`` first. The database file, its WAL
and every backup are then encrypted page by page (AES-256, HMAC per page); the
``-shm`` index holds no content. Unset, nothing changes: the standard ``sqlite3``.

A key of exactly 64 hex digits (``openssl rand -hex 32``) is the raw 256-bit key;
anything else is a passphrase (SQLCipher's PBKDF2, a noticeable cost per connection).

Every refusal is a `CipherError` (a `UserError`: one line, shown as it is). The key
is never part of a message, a log line or an exception.
"""

from __future__ import annotations

import os
import re
import sqlite3
from types import ModuleType, SimpleNamespace
from typing import Any
from urllib.parse import urlparse

from bot.core.errors import UserError

KEY_ENV = "ROLLCALL_DB_KEY"
SQLITE_HEADER = b"SQLite format 3\x00"
_RAW_KEY = re.compile(r"[0-9a-fA-F]{64}")
_INSTALL = "pip install 'rollcall[encryption]' (sqlcipher3-binary)"


class CipherError(UserError):
    """The database and the key (or its absence) don't fit; the message says how."""


def env_key() -> str | None:
    """The key from the environment; None when encryption is off."""
    return os.environ.get(KEY_ENV) or None


def sqlcipher() -> ModuleType:
    """The ``sqlcipher3`` DB-API module; CipherError when the extra is not installed."""
    try:
        from sqlcipher3 import dbapi2
    except ImportError:
        raise CipherError(f"{KEY_ENV} is set but SQLCipher is not installed: {_INSTALL}") from None
    module: ModuleType = dbapi2
    return module


def errors() -> tuple[type[Exception], ...]:
    """The DB-API error classes a connection from `connect` may raise."""
    try:
        from sqlcipher3 import dbapi2
    except ImportError:
        return (sqlite3.Error,)
    return (sqlite3.Error, dbapi2.Error)


def export_encrypted(source: str, dest: str, key: str) -> None:
    """Copy the plain SQLite database `source` into a new encrypted file `dest`
    (``sqlcipher_export``, in one read transaction): how a database gets encrypted."""
    module = sqlcipher()
    conn = module.connect(source, isolation_level=None)
    try:
        conn.execute("PRAGMA cipher_log_level = NONE")
        conn.execute("ATTACH DATABASE ? AS encrypted KEY ?", (dest, _attach_key(key)))
        conn.execute("BEGIN")
        conn.execute("SELECT sqlcipher_export('encrypted')").fetchone()
        (version,) = conn.execute("PRAGMA main.user_version").fetchone()
        conn.execute(f"PRAGMA encrypted.user_version = {int(version)}")
        conn.execute("COMMIT")
        conn.execute("DETACH DATABASE encrypted")
    finally:
        conn.close()


def _attach_key(key: str) -> str:
    # the same forms as PRAGMA key: a raw key is written x'HEX'
    return f"x'{key}'" if _RAW_KEY.fullmatch(key) else key


def key_pragma(key: str) -> str:
    """``PRAGMA key = ...`` for `key`: raw hex as a blob literal, else a quoted passphrase."""
    if _RAW_KEY.fullmatch(key):
        return f"PRAGMA key = \"x'{key}'\""
    return "PRAGMA key = '{}'".format(key.replace("'", "''"))


def is_plain_sqlite(path: str) -> bool:
    """True when `path` starts with the plain SQLite header (an unencrypted database)."""
    try:
        with open(path, "rb") as f:
            return f.read(len(SQLITE_HEADER)) == SQLITE_HEADER
    except OSError:
        return False


def has_content(path: str) -> bool:
    try:
        return os.path.getsize(path) > 0
    except OSError:
        return False


def _display(path: str) -> str:
    return urlparse(path).path if path.startswith("file:") else path


def connect(path: str, key: str | None, **kwargs: Any) -> Any:
    """A DB-API connection to the SQLite file `path`: ``sqlite3`` without a key,
    ``sqlcipher3`` keyed and checked with one. Keyword arguments go to ``connect``.
    CipherError when the key doesn't open the file or the file isn't encrypted."""
    if key is None:
        return sqlite3.connect(path, **kwargs)
    module = sqlcipher()
    conn = module.connect(path, **kwargs)
    try:
        conn.execute("PRAGMA cipher_log_level = NONE")  # no decrypt errors on stderr
        conn.execute(key_pragma(key))
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except module.DatabaseError:
        conn.close()
        raise refusal(_display(path), key) from None
    except BaseException:
        conn.close()
        raise
    return conn


def refusal(path: str, key: str | None) -> CipherError:
    """Why the file at `path` can't be opened with `key` (or without one)."""
    if key is None:
        return CipherError(
            f"{path} is encrypted (or not a SQLite database): set {KEY_ENV} to its key"
        )
    if is_plain_sqlite(path):
        return CipherError(
            f"{path} is not encrypted but {KEY_ENV} is set: unset it, or encrypt the "
            "database (rollcall backup without the key, then rollcall restore with it)"
        )
    return CipherError(f"{KEY_ENV} does not open {path} (a wrong key, or not a rollcall database)")


def async_dbapi() -> Any:
    """SQLAlchemy's aiosqlite DB-API adapter over ``sqlcipher3`` instead of ``sqlite3``:
    the dialect wraps errors that are instances of the module's ``Error`` and maps them
    by class name (IntegrityError, OperationalError, ...), so they must be sqlcipher3's."""
    import aiosqlite
    from sqlalchemy.dialects.sqlite.aiosqlite import AsyncAdapt_aiosqlite_dbapi

    module = sqlcipher()
    names = (
        "DatabaseError",
        "Error",
        "IntegrityError",
        "NotSupportedError",
        "OperationalError",
        "ProgrammingError",
        "InterfaceError",
        "Warning",
        "sqlite_version",
        "sqlite_version_info",
        "PARSE_COLNAMES",
        "PARSE_DECLTYPES",
        "Binary",
    )
    driver = SimpleNamespace(
        connect=aiosqlite.connect,
        Connection=aiosqlite.Connection,
        **{name: getattr(module, name) for name in names},
    )
    return AsyncAdapt_aiosqlite_dbapi(driver, module)  # type: ignore[arg-type]
