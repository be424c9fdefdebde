"""Plain slash commands without bolt's dispatch: the same answer for less work.

For a signed slash command whose form holds only the fields Slack sends with one
(`shape.slash_command`), bolt's dispatch does nothing but run its middleware, which
pass such a form through unchanged once its authorization has succeeded (auth.test,
kept for good), and then the one listener it matches: the adapter's `_on_command`,
whose ack is the answer. The adapter sends a command through bolt until bolt has let
one through; after that, `command_form` and `signed` pick out such requests and
`answer` runs the listener as bolt would, with bolt's own `AsyncAck` and `BoltResponse`, so the
bytes on the wire are the same. Anything else (events, interactions, a bad
signature, odd fields or headers) still goes through bolt.

That holds only while bolt's dispatch is the one the adapter set up: the built-in
middleware of the pinned list (`BUILT_IN`), the adapter's command listener first, with
no middleware or matcher of its own, and bolt's default error handler. `dispatch_problem`
says what differs (a middleware added by `app.use`, a listener put first, a bolt
upgrade with another built-in…); then every command goes through bolt again.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.listener.async_listener import AsyncCustomListener
from slack_bolt.listener.async_listener_error_handler import AsyncDefaultListenerErrorHandler
from slack_bolt.middleware.async_builtins import (
    AsyncAttachingFunctionToken,
    AsyncIgnoringSelfEvents,
    AsyncRequestVerification,
    AsyncSslCheck,
    AsyncUrlVerification,
)
from slack_bolt.middleware.authorization.async_single_team_authorization import (
    AsyncSingleTeamAuthorization,
)
from slack_bolt.response import BoltResponse
from slack_sdk.signature import SignatureVerifier

from adapters.slack.shape import slash_command
from bot.core.logging_policy import describe

log = logging.getLogger("rollcall.slack")

TIMESTAMP, SIGNATURE = "X-Slack-Request-Timestamp", "X-Slack-Signature"
#: bolt runs no listener inline for requests carrying these
LAZY = ("X-Slack-Bolt-Lazy-Only", "X-Slack-Bolt-Lazy-Function-Name")

Listener = Callable[[AsyncAck, Mapping[str, Any]], Awaitable[None]]
#: bolt's global middleware for this app (single team, HTTP), in its order: each passes
#: a signed plain command through unchanged once authorization has succeeded
BUILT_IN = (
    AsyncSslCheck,
    AsyncRequestVerification,
    AsyncSingleTeamAuthorization,
    AsyncIgnoringSelfEvents,
    AsyncUrlVerification,
    AsyncAttachingFunctionToken,
)
#: the longest timestamp read as one: more digits are years past bolt's 5-minute window
#: (and int() refuses past 4,300)
_TIMESTAMP_DIGITS = 15
#: the content types bolt gives its answers, as `to_aiohttp_response` passes them on
_CONTENT_TYPES = {
    "application/json;charset=utf-8": "application/json",
    "text/plain;charset=utf-8": "text/plain",
}


def readable_timestamp(headers: Mapping[str, str]) -> bool:
    """Whether the request's timestamp, if any, is all ASCII digits (not too many):
    `SignatureVerifier.is_valid` does int() on it, which raises (a 500) on "x" or "".
    A request failing this is unsigned: refused as bolt refuses a bad signature."""
    timestamp = headers.get(TIMESTAMP)
    return timestamp is None or (
        timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= _TIMESTAMP_DIGITS
    )


def refused() -> BoltResponse:
    """Bolt's answer to a request whose signature does not verify
    (`RequestVerification._build_error_response`)."""
    return BoltResponse(status=401, body={"error": "invalid request"})


def command_form(body: str, headers: Mapping[str, str]) -> dict[str, str] | None:
    """The form of a plain slash command, signed or not; None for anything else.
    `headers` look up case-insensitively (aiohttp's), first value first, as bolt reads
    them."""
    if any(name in headers for name in LAZY):
        return None
    return slash_command(body, headers.get("Content-Type"))


def signed(body: str, headers: Mapping[str, str], verifier: SignatureVerifier) -> bool:
    """Whether the request is signed (within bolt's 5 minutes); False for a timestamp
    that is not one (see `readable_timestamp`)."""
    if not readable_timestamp(headers):
        return False
    return verifier.is_valid(
        body, timestamp=headers.get(TIMESTAMP), signature=headers.get(SIGNATURE)
    )


def dispatch_problem(app: AsyncApp, listener: object) -> str | None:
    """Why bolt's dispatch may do more for a plain command than run `listener` (the
    adapter's command listener), or None when it does just that. Reads bolt's own
    lists on every call, so a middleware added at any time counts. The reason names
    no person and no text."""
    middleware = app._async_middleware_list
    if len(middleware) != len(BUILT_IN) or any(
        type(m) is not kind for m, kind in zip(middleware, BUILT_IN, strict=True)
    ):
        return "middleware other than bolt's built-in list"
    listeners = app._async_listeners
    first = listeners[0] if listeners else None
    if type(first) is not AsyncCustomListener or first.ack_function != listener:
        return "another listener before the command listener"
    if first.middleware or len(first.matchers) != 1 or first.lazy_functions:
        return "listener middleware, matchers or lazy functions on the command listener"
    if first.auto_acknowledgement:
        return "the command listener acks automatically"
    handler = app._async_listener_runner.listener_error_handler
    if type(handler) is not AsyncDefaultListenerErrorHandler:
        return "a custom error handler"
    return None


class Shortcut:
    """Whether plain slash commands skip bolt's dispatch now (`on`): never unless
    `enabled`; turned on once bolt has let a command through to `listener` (its
    authorization then holds for good); turned off for good, and logged once, as soon
    as bolt's dispatch is no longer the one set up (`dispatch_problem`, checked on every
    such command: a middleware may be added at any time)."""

    def __init__(self, app: AsyncApp, listener: object, *, enabled: bool) -> None:
        self._app = app
        self._listener = listener
        self._enabled = enabled
        self._logged = False
        self.on = False

    def bolt_let_one_through(self) -> None:
        if self._enabled and not self.on:
            self.on = self.may_skip()

    def may_skip(self) -> bool:
        problem = dispatch_problem(self._app, self._listener)
        if problem is None:
            return True
        self.on = False
        if not self._logged:
            self._logged = True
            log.warning("slack: plain slash commands go through bolt's dispatch: %s", problem)
        return False


async def answer(listener: Listener, form: dict[str, str]) -> BoltResponse:
    """What bolt's dispatch (process_before_response) answers: the listener's ack, a
    bare 500 if it raised, bolt's 404 if it never acked."""
    ack = AsyncAck()  # type: ignore[no-untyped-call]
    try:
        await listener(ack, form)
    except Exception as e:
        log.error("slack: command failed: %s", describe(e))
        return BoltResponse(status=500)
    if ack.response is None:
        log.warning("slack: the command listener did not call ack()")
        return BoltResponse(status=404, body={"error": "unhandled request"})
    return ack.response


async def to_response(bolt: BoltResponse) -> web.Response:
    """`to_aiohttp_response` for an answer with no header but bolt's content type (every
    answer `answer` gives): the same status, headers and bytes, without its regex and
    header copies. Anything else goes through `to_aiohttp_response` itself."""
    content_type = bolt.headers.get("content-type", [""])[0] if len(bolt.headers) == 1 else ""
    kind = _CONTENT_TYPES.get(content_type)
    if kind is None:
        return await to_aiohttp_response(bolt)
    return web.Response(status=bolt.status, body=bolt.body.encode(), content_type=kind)
