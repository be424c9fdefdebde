"""Replies by text: `POST /sms/inbound` as a Twilio-compatible provider sends them.

Form-encoded; `X-Twilio-Signature` is base64(HMAC-SHA1(auth token, URL + every
parameter name and value, sorted by name)), where URL is the address the provider
posted to: `{public_url}/sms/inbound`. Anything unsigned or forged gets 403 and
nothing is stored. The answer is TwiML: one `<Message>` back to the sender, or an
empty `<Response/>` (unknown numbers get nothing).

Logs carry the provider's message id and our person id only: never a number or text.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
from collections.abc import Mapping
from xml.sax.saxutils import escape

from aiohttp import web

from bot.core.actions import Reply
from bot.core.engine import Engine
from bot.core.events import TextReplied
from bot.core.settings import SmsConfig

log = logging.getLogger("rollcall.sms")

PATH = "/sms/inbound"
MAX_BODY = 64 * 1024
TWIML = "application/xml"


def signature(auth_token: str, url: str, params: Mapping[str, str]) -> str:
    payload = url + "".join(k + params[k] for k in sorted(params))
    digest = hmac.new(auth_token.encode(), payload.encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def twiml(text: str | None) -> str:
    if not text:
        return '<?xml version="1.0" encoding="UTF-8"?><Response/>'
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f"<Response><Message>{escape(text)}</Message></Response>"
    )


class SmsInbound:
    """The inbound half of SMS, mounted on the one aiohttp server."""

    name = "sms"

    def __init__(self, config: SmsConfig, engine: Engine, *, public_url: str) -> None:
        self.config = config
        self.engine = engine
        self.url = public_url.rstrip("/") + PATH

    def add_routes(self, app: web.Application) -> None:
        app.router.add_post(PATH, self.inbound)

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def inbound(self, request: web.Request) -> web.Response:
        if request.content_length is not None and request.content_length > MAX_BODY:
            return web.Response(status=413, text="too large")
        try:
            form = await request.post()
        except (ValueError, UnicodeDecodeError):
            return web.Response(status=400, text="bad form")
        params = {k: v for k, v in form.items() if isinstance(v, str)}
        given = request.headers.get("X-Twilio-Signature", "")
        expected = signature(self.config.auth_token, self.url, params)
        if not self.config.auth_token or not hmac.compare_digest(given, expected):
            log.warning("sms inbound refused: bad signature")
            return web.Response(status=403, text="forbidden")
        sid = params.get("MessageSid") or params.get("SmsSid") or ""
        person_id = await self.engine.person_by_phone(params.get("From", ""))
        if person_id is None or not sid:
            log.info("sms inbound %s from an unknown number: ignored", sid or "-")
            return web.Response(text=twiml(None), content_type=TWIML)
        actions = await self.engine.handle(
            TextReplied(
                person_id=person_id,
                channel="sms",
                text=params.get("Body", "")[:1600],
                at=self.engine.now(),
                request_id=sid,
            )
        )
        text = "\n".join(a.text for a in actions if isinstance(a, Reply))
        log.info("sms inbound %s from person=%s answered", sid, person_id)
        return web.Response(text=twiml(text), content_type=TWIML)
