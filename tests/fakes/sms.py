"""The one fake of a Twilio-compatible SMS API: the Messages API on 127.0.0.1.

It answers ``POST /2010-04-01/Accounts/{sid}/Messages.json`` (any sid) with the
scripted replies in `FakeSms.replies` (201 "queued" when none is left) and records
every request it got: basic-auth credentials, form fields, path, and the time on
`clock` when one is given. `delivered` counts, per To number, the requests
answered 2xx. `hold = True` stalls every request until `released` is set (as does
a scripted `Reply(hang=True)`); `got_request` is set by the first request.

The `twilio` fixture serves one for a test; `base_url` goes into `[sms] api_base_url`.
"""

from __future__ import annotations

import asyncio
import base64
from collections import Counter, deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

import pytest
from aiohttp import web

from bot.core.settings import SmsConfig

SID = "AC0123456789abcdef0123456789abcdef"
TOKEN = "tok-secret-42"
FROM = "+15550001111"


@dataclass(frozen=True)
class Reply:
    status: int
    body: Any = None  # a dict is sent as JSON, bytes/str as is, None as an empty body
    headers: dict[str, str] = field(default_factory=dict)
    hang: bool = False  # answer only when the test ends (a stalled API)
    to: str | None = None  # only for a message to this number (None: to anyone)


class Clock(Protocol):
    def now(self) -> datetime: ...


@dataclass(frozen=True)
class Seen:
    path: str
    auth: tuple[str, str] | None
    content_type: str
    form: dict[str, str]
    at: datetime | None = None  # on the fake's `clock`, when it has one


@dataclass
class FakeSms:
    base_url: str = ""
    replies: deque[Reply] = field(default_factory=deque)
    requests: list[Seen] = field(default_factory=list)
    released: asyncio.Event = field(default_factory=asyncio.Event)
    delivered: Counter[str] = field(default_factory=Counter)
    got_request: asyncio.Event = field(default_factory=asyncio.Event)
    hold: bool = False
    clock: Clock | None = None

    def config(self, **overrides: Any) -> SmsConfig:
        values: dict[str, Any] = {
            "enabled": True,
            "api_base_url": self.base_url,
            "account_sid": SID,
            "auth_token": TOKEN,
            "from_number": FROM,
        }
        values.update(overrides)
        return SmsConfig(**values)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        form = await request.post()
        self.requests.append(
            Seen(
                path=request.path,
                auth=_basic_auth(request.headers.get("Authorization", "")),
                content_type=request.content_type,
                form={k: str(v) for k, v in form.items()},
                at=self.clock.now() if self.clock is not None else None,
            )
        )
        self.got_request.set()
        to = str(form.get("To"))
        reply = next((r for r in self.replies if r.to in (None, to)), None)
        if reply is None:
            reply = Reply(201, _queued(form))
        else:
            self.replies.remove(reply)
        if reply.hang or self.hold:
            await self.released.wait()
        if 200 <= reply.status < 300:
            self.delivered[to] += 1
        if isinstance(reply.body, dict):
            return web.json_response(reply.body, status=reply.status, headers=reply.headers)
        body = reply.body.encode() if isinstance(reply.body, str) else reply.body
        return web.Response(status=reply.status, body=body, headers=reply.headers)


def twilio_error(code: int, status: int = 400) -> dict[str, Any]:
    return {"code": code, "message": "error", "more_info": "", "status": status}


def _queued(form: Any) -> dict[str, Any]:
    return {"sid": "SM" + "0" * 32, "status": "queued", "to": form.get("To"), "body": "..."}


def _basic_auth(header: str) -> tuple[str, str] | None:
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    user, _, password = base64.b64decode(encoded).decode().partition(":")
    return user, password


@pytest.fixture
async def twilio() -> AsyncIterator[FakeSms]:
    stand_in = FakeSms()
    app = web.Application()
    app.router.add_post("/2010-04-01/Accounts/{sid}/Messages.json", stand_in.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    stand_in.base_url = f"http://{host}:{port}/2010-04-01"
    try:
        yield stand_in
    finally:
        stand_in.released.set()
        await runner.cleanup()
