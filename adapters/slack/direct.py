"""Plain slash commands without bolt's dispatch: the same answer for less work.

For a signed slash command whose form holds only the fields Slack sends with one
(`shape.slash_command`), bolt's dispatch does nothing but run its middleware, which
pass such a form through unchanged once its authorization has succeeded (auth.test,
kept for good), and then the one listener it matches: the adapter's `_on_command`,
whose ack is the answer. The adapter sends a command through bolt until bolt has let
one through; after that, `plain_command` picks out such requests and `answer` runs
the listener as bolt would, with bolt's own `AsyncAck` and `BoltResponse`, so the
bytes on the wire are the same. Anything else (events, interactions, a bad
signature, odd fields or headers) still goes through bolt.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.response import BoltResponse
from slack_sdk.signature import SignatureVerifier

from adapters.slack.shape import slash_command
from bot.core.logging_policy import describe

log = logging.getLogger("rollcall.slack")

TIMESTAMP, SIGNATURE = "X-Slack-Request-Timestamp", "X-Slack-Signature"
#: bolt runs no listener inline for requests carrying these
LAZY = ("X-Slack-Bolt-Lazy-Only", "X-Slack-Bolt-Lazy-Function-Name")

Listener = Callable[[AsyncAck, Mapping[str, Any]], Awaitable[None]]
#: the content types bolt gives its answers, as `to_aiohttp_response` passes them on
_CONTENT_TYPES = {
    "application/json;charset=utf-8": "application/json",
    "text/plain;charset=utf-8": "text/plain",
}


def plain_command(
    body: str, headers: Mapping[str, str], verifier: SignatureVerifier
) -> dict[str, str] | None:
    """The form of a signed, plain slash command; None for anything else. `headers`
    look up case-insensitively (aiohttp's), first value first, as bolt reads them."""
    if any(name in headers for name in LAZY):
        return None
    form = slash_command(body, headers.get("Content-Type"))
    if form is None:
        return None
    signed = verifier.is_valid(
        body, timestamp=headers.get(TIMESTAMP), signature=headers.get(SIGNATURE)
    )
    return form if signed else None


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
