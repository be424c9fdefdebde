"""Keep slack-bolt and slack_sdk from writing payloads into our logs.

Both libraries log whole request and response bodies: bolt 1.30 at INFO when a
signature check fails, slack_sdk at DEBUG for every Web API call, `response_url`
post and Socket Mode message. Their loggers are created per class, each given the
root logger's level (so raising the parent "slack_bolt" logger does not reach
them), and a logger's filters only see records logged on that very logger.

So every SDK logger rollcall can reach gets `Redact`: records below WARNING are
dropped whatever level anyone sets, and a warning or error keeps only the
message's leading words (up to the first bracket, colon, brace, quote or
newline) plus the exception's type — never its text, never a traceback.
`sdk_logger()` is the base logger handed to bolt and the Web API client, so the
loggers they create later copy the filter.
"""

from __future__ import annotations

import logging
import re

SDK_PREFIXES = ("slack_bolt", "slack_sdk", "slack")
#: module loggers slack_sdk creates when no logger is passed; filtered up front
KNOWN_SDK_LOGGERS = (
    "slack_bolt",
    "slack_sdk",
    "slack_sdk.web.async_base_client",
    "slack_sdk.web.async_slack_response",
    "slack_sdk.webhook.async_client",
    "slack_sdk.socket_mode.aiohttp",
    "slack_sdk.socket_mode.async_client",
    "slack_sdk.http_retry",
)
SDK_LOGGER = "rollcall.slack.sdk"
_CUT = re.compile(r"[(\[{:=\"'\n<]")


def summary(message: str, limit: int = 80) -> str:
    """The leading words of a log message, before anything that may quote a payload."""
    head = _CUT.split(message, 1)[0].strip().rstrip(" -,.")
    return head[:limit] or "message withheld"


class Redact(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING:
            return False
        head = summary(record.msg if isinstance(record.msg, str) else "")
        if record.exc_info and record.exc_info[0] is not None:
            head = f"{head} [{record.exc_info[0].__name__}]"
        record.msg = "%s (from %s; details withheld)"
        record.args = (head, record.name)
        record.exc_info = None
        record.exc_text = None
        record.stack_info = None
        return True


_REDACT = Redact()


def _quiet(logger: logging.Logger) -> None:
    if not any(isinstance(f, Redact) for f in logger.filters):
        logger.addFilter(_REDACT)


def sdk_logger() -> logging.Logger:
    """The logger to hand to AsyncApp, AsyncWebClient and the Socket Mode client."""
    logger = logging.getLogger(SDK_LOGGER)
    _quiet(logger)
    return logger


def quiet_sdk_loggers() -> None:
    """Filter every SDK logger that exists now, and the module loggers slack_sdk uses."""
    for name in KNOWN_SDK_LOGGERS:
        _quiet(logging.getLogger(name))
    for name, logger in list(logging.root.manager.loggerDict.items()):
        if isinstance(logger, logging.Logger) and name.split(".")[0] in SDK_PREFIXES:
            _quiet(logger)
