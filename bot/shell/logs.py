"""Where log lines go and what they look like: `[logging] format = "text" | "json"`, `level`.

Both formats go to stderr through the same handler, and the privacy filter of
bot.core.logging_policy sits on that handler whichever format is chosen: our own lines
carry ids only; a third-party record that might echo a body is dropped. A JSON line
carries the time, level, logger, the message (already id-only) and, when the record
has them, `request_id` and an exception's type — never its text, which may quote
what was sent.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import TextIO

from bot.core.logging_policy import tame_loggers
from bot.core.settings import LoggingConfig

HANDLER_NAME = "rollcall"
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
#: record attributes a JSON line may carry beyond the basics (set with `extra=`)
ID_FIELDS = ("request_id", "session_id", "group_id", "person_id", "platform", "event")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for name in ID_FIELDS:
            value = getattr(record, name, None)
            if isinstance(value, str | int):
                line[name] = value
        if record.exc_info and record.exc_info[0] is not None:
            line["exc_type"] = record.exc_info[0].__name__
        return json.dumps(line, ensure_ascii=False, separators=(",", ":"))


def setup_logging(
    config: LoggingConfig | None = None, *, verbose: bool = False, stream: TextIO | None = None
) -> None:
    """(Re)configure the root logger: one stderr handler, the chosen format and level,
    the privacy filter in front. Safe to call again once the config is known."""
    config = config or LoggingConfig()
    handler = logging.StreamHandler(stream or sys.stderr)
    if config.format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    handler.set_name(HANDLER_NAME)
    root = logging.getLogger()
    for old in list(root.handlers):
        if old.get_name() == HANDLER_NAME:  # ours from an earlier call; others stay
            root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbose else getattr(logging, config.level.upper()))
    tame_loggers()
