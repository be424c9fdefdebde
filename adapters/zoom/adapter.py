"""The Zoom adapter: `POST /zoom/webhook` on the shared aiohttp server.

Per request: check the signature and its timestamp (5-minute window), parse,
translate, append the evidence durably (many concurrent requests share one
transaction, see `GroupCommit`), answer 200. Recomputing attendance records runs
afterwards in the background and is awaited on `stop()`.

Answers: 200 for everything stored, repeated, ignored (unknown event, meeting not
bound to a group); 401 when the signature or timestamp fails (nothing stored);
400 for a body that is not the JSON Zoom sends; 503 when storage fails (Zoom
retries). Logs carry event types and counts only, never a body or a name.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from aiohttp import web

from adapters.zoom.batching import Coalescer, GroupCommit, Stopped
from adapters.zoom.translate import (
    SOURCE,
    BadPayload,
    Ignored,
    MeetingEnded,
    UrlValidation,
    parse_body,
    request_time,
    signature_ok,
    translate,
    url_validation_answer,
)
from bot.core.domain import LedgerEntry
from bot.core.engine import Engine
from bot.core.events import (
    PresenceBatch,
    PresenceCatchUp,
    PresenceObserved,
    PresenceSettled,
    RoomClosed,
)
from bot.core.ports import Telemetry
from bot.core.settings import ZoomConfig
from bot.core.telemetry import NULL as NULL_TELEMETRY

log = logging.getLogger("rollcall.zoom")
EVENTS = "rollcall_events_total"
REJECTED = "rollcall_webhooks_rejected_total"
PRESENCE = "rollcall_presence_events_total"

PATH = "/zoom/webhook"
MAX_SKEW = timedelta(minutes=5)
#: after a restart, catch up on what may have been stored but not recomputed
CATCH_UP_LOOKBACK = timedelta(hours=2)


def _answer(code: int, **body: object) -> web.Response:
    return web.json_response(body, status=code)


def _status(word: str) -> web.Response:
    # the hot path's answers, without a JSON encoder per request
    return web.Response(body=b'{"status": "%s"}' % word.encode(), content_type="application/json")


class ZoomAdapter:
    name = "zoom"

    def __init__(
        self,
        config: ZoomConfig,
        engine: Engine,
        *,
        settle_seconds: float = 0.25,
        linger_seconds: float = 0.0,
        max_batch: int = 500,
        catch_up_on_start: bool = True,
        telemetry: Telemetry = NULL_TELEMETRY,
    ) -> None:
        self._secret = config.webhook_secret
        self._telemetry = telemetry
        self._engine = engine
        self._catch_up_on_start = catch_up_on_start
        self._writer: GroupCommit[PresenceObserved, LedgerEntry | None] = GroupCommit(
            self._write, max_batch=max_batch, linger_seconds=linger_seconds
        )
        self._refresher: Coalescer[LedgerEntry] = Coalescer(
            self._refresh, settle_seconds=settle_seconds, quiet_for=self._writer.quiet_for
        )
        self._startup: asyncio.Task[None] | None = None

    # -- lifecycle -------------------------------------------------------------------
    def add_routes(self, app: web.Application) -> None:
        app.router.add_post(PATH, self.webhook)

    async def start(self) -> None:
        if self._catch_up_on_start:
            self._startup = asyncio.create_task(self._catch_up(), name="zoom-catch-up")

    async def stop(self) -> None:
        await self._writer.close()
        if self._startup is not None:
            await asyncio.gather(self._startup, return_exceptions=True)
        await self._refresher.idle()

    async def idle(self) -> None:
        """Wait until every accepted event is stored and its records recomputed."""
        if self._startup is not None:
            await asyncio.gather(self._startup, return_exceptions=True)
        await self._refresher.idle()

    # -- the webhook -----------------------------------------------------------------
    async def webhook(self, request: web.Request) -> web.Response:
        body = await request.read()
        rejected = self._authenticate(request, body)
        if rejected is not None:
            return rejected
        try:
            what = translate(parse_body(body))
        except BadPayload as exc:
            return self._reject(400, "malformed", str(exc))
        if isinstance(what, UrlValidation):
            log.info("zoom endpoint URL validated")
            return web.json_response(url_validation_answer(self._secret, what.plain_token))
        if isinstance(what, Ignored):
            self._telemetry.count(EVENTS, kind="ignored", platform=SOURCE)
            log.debug("zoom event %s ignored (%s)", what.event, what.reason)
            return _status("ignored")
        try:
            if isinstance(what, MeetingEnded):
                closed = RoomClosed(
                    source=SOURCE, room_id=what.meeting_id, key=what.key, at=what.at
                )
                (stored,) = (await self._engine.handle(closed)).entries
            else:
                stored = await self._writer.submit(what)
        except Stopped:
            return _answer(503, error="shutting down")
        except Exception as exc:
            # never log the exception text: a database error quotes the row (names)
            log.error("storing a zoom event failed (%s)", type(exc).__name__)
            return _answer(503, error="storage unavailable")
        kind = "meeting_ended" if isinstance(what, MeetingEnded) else "presence"
        self._telemetry.count(EVENTS, kind=kind, platform=SOURCE)
        if kind == "presence":
            self._telemetry.count(PRESENCE, source=SOURCE)
        if stored is None:
            return _status("unchanged")
        self._refresher.add([stored])
        return _status("stored")

    def _authenticate(self, request: web.Request, body: bytes) -> web.Response | None:
        given = request.headers.get("x-zm-signature", "")
        stamp = request.headers.get("x-zm-request-timestamp", "")
        if not self._secret or not given or not stamp:
            return self._reject(401, "missing_signature", "no signature")
        if not signature_ok(self._secret, stamp, body, given):
            return self._reject(401, "bad_signature", "bad signature")
        sent = request_time(stamp)
        now = self._engine.now()
        if sent is None or abs(now - sent) > MAX_SKEW:
            return self._reject(401, "stale", "stale or invalid timestamp")
        return None

    def _reject(self, status: int, reason: str, message: str) -> web.Response:
        self._telemetry.count(REJECTED, source=SOURCE, reason=reason)
        log.warning("zoom webhook refused: %s (%d)", reason, status)
        return _answer(status, error=message)

    # -- background ------------------------------------------------------------------
    async def _write(self, events: list[PresenceObserved]) -> list[LedgerEntry | None]:
        recorded = await self._engine.handle(PresenceBatch(events=tuple(events)))
        return list(recorded.entries)

    async def _refresh(self, entries: list[LedgerEntry]) -> None:
        await self._engine.handle(PresenceSettled(entries=tuple(entries)))

    async def _catch_up(self) -> None:
        since = self._engine.now() - CATCH_UP_LOOKBACK
        try:
            await self._engine.handle(PresenceCatchUp(source=SOURCE, since=since))
        except Exception as exc:
            log.error("zoom catch-up after start failed (%s)", type(exc).__name__)
