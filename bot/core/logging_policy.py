"""Keep names, message text, notes and request bodies out of logs.

Our own log lines carry ids only. Third-party loggers that may print payloads or
statement parameters (slack-bolt logs whole request bodies on a bad signature;
aiosqlite and SQLAlchemy log parameters, notes included, at DEBUG) are held at
WARNING, and a filter on the root handlers drops any record of theirs that would
echo a body — filters on a parent logger never see its children's records, and
slack-bolt gives each of its loggers its own level.
"""

from __future__ import annotations

import logging

NOISY = (
    "slack_bolt",
    "slack_sdk",
    "discord",
    "aiohttp.access",
    "apscheduler",
    "alembic",
    "aiosqlite",
    "sqlalchemy",
    "asyncpg",
    "aiosmtplib",
)


class DropPayloads(logging.Filter):
    """Below WARNING, nothing from the noisy libraries; at WARNING and above, only
    records that carry no body, token, name or parameters."""

    MARKERS = ("body", "payload", "text=", "token", "user_name", "real_name", "parameters")

    def filter(self, record: logging.LogRecord) -> bool:
        if not record.name.startswith(NOISY):
            return True
        if record.levelno < logging.WARNING:
            return False
        try:
            msg = record.getMessage().lower()
        except Exception:
            return False
        if any(m in msg for m in self.MARKERS):
            return False
        record.exc_info = None  # an exception's text may quote what was sent
        record.exc_text = None
        return True


def tame_loggers() -> None:
    for name in NOISY:
        logging.getLogger(name).setLevel(logging.WARNING)
    root = logging.getLogger()
    for handler in root.handlers:
        if not any(isinstance(f, DropPayloads) for f in handler.filters):
            handler.addFilter(DropPayloads())


def describe(error: BaseException) -> str:
    """An exception for a log line: its type and where it was raised, never its message
    (a database error's message quotes the statement's parameters)."""
    tb = error.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    where = f"{tb.tb_frame.f_code.co_filename}:{tb.tb_lineno}" if tb else "?"
    return f"{type(error).__name__} at {where}"
