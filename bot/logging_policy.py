"""Keep names, message text and request bodies out of logs.

Our own log lines carry ids only. Third-party loggers that may print payloads
(slack-bolt logs whole request bodies on a bad signature) are raised to WARNING,
and a filter drops any record from them that would echo a body.
"""

from __future__ import annotations

import logging

NOISY = ("slack_bolt", "slack_sdk", "discord", "aiohttp.access", "apscheduler", "alembic")


class DropPayloads(logging.Filter):
    """Drop third-party records that carry a request body or message text."""

    MARKERS = ("body", "payload", "text=", "token=", "user_name", "real_name")

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            msg = record.getMessage().lower()
        except Exception:
            return False
        return not any(m in msg for m in self.MARKERS)


def tame_loggers() -> None:
    for name in NOISY:
        logger = logging.getLogger(name)
        logger.setLevel(logging.WARNING)
        if not any(isinstance(f, DropPayloads) for f in logger.filters):
            logger.addFilter(DropPayloads())
