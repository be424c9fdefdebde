"""Zoom as the bot sees it: signed webhook requests to a running bot over HTTP.

`running_bot(config_text, clock)` opens the real app (SQLite file, migrations),
mounts the Zoom adapter on the real aiohttp server on 127.0.0.1 (port 0) and
yields a `ZoomBot` whose `send` posts a payload the way Zoom does: the raw JSON
body, `x-zm-request-timestamp` and `x-zm-signature`.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import aiohttp

from adapters.zoom.adapter import ZoomAdapter
from adapters.zoom.translate import signature
from bot.config import parse_config
from bot.core.clock import FakeClock
from bot.shell.app import App, open_app
from bot.shell.metrics import TELEMETRY
from bot.shell.web import bound_port, make_web_app, start_server

SECRET = "zoom-test-secret"
MEETING = "85746352000"
INSTANCE = "4444AAAiAAAAAiAiAiiAii=="


def zulu(at: datetime) -> str:
    """How Zoom writes a time: UTC, seconds, a Z."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def participant_event(
    event: str,
    *,
    uuid: str,
    name: str,
    at: datetime,
    email: str = "",
    registrant_id: str = "",
    user_id: str = "16778240",
    leave_reason: str | None = None,
    meeting: str | int = MEETING,
    instance: str = INSTANCE,
) -> dict[str, Any]:
    who: dict[str, Any] = {
        "user_id": user_id,
        "user_name": name,
        "id": "",
        "participant_uuid": uuid,
        "email": email,
        "registrant_id": registrant_id,
        "participant_user_id": "",
        "customer_key": "",
        "phone_number": "",
    }
    if event == "meeting.participant_left_breakout_room":
        # by default a move back to the main room (leaving the meeting says so)
        who["leave_time"] = zulu(at)
        who["leave_reason"] = leave_reason or "leave breakout room to join main meeting"
    elif event == "meeting.participant_left":
        who["leave_time"] = zulu(at)
        who["leave_reason"] = leave_reason or "left the meeting. Reason : left the meeting"
    elif event in (
        "meeting.participant_admitted",
        "meeting.participant_put_in_waiting_room",
        "meeting.participant_joined_waiting_room",
        "meeting.participant_left_waiting_room",
    ):
        who["date_time"] = zulu(at)
    else:
        who["join_time"] = zulu(at)
    return {
        "event": event,
        "event_ts": 1_700_000_000_000,
        "payload": {
            "account_id": "AAAAAABBBB",
            "object": {
                "id": meeting,
                "uuid": instance,
                "host_id": "x1yCzABCDEfg23HiJKl4mN",
                "topic": "Evening group",
                "type": 8,
                "start_time": "2026-11-16T22:55:00Z",
                "timezone": "America/New_York",
                "duration": 180,
                "participant": who,
            },
        },
    }


def joined(**kw: Any) -> dict[str, Any]:
    return participant_event("meeting.participant_joined", **kw)


def left(**kw: Any) -> dict[str, Any]:
    return participant_event("meeting.participant_left", **kw)


def meeting_ended(
    end: datetime, *, meeting: str | int = MEETING, instance: str = INSTANCE
) -> dict[str, Any]:
    return {
        "event": "meeting.ended",
        "event_ts": 1_700_000_000_000,
        "payload": {
            "account_id": "AAAAAABBBB",
            "object": {
                "id": meeting,
                "uuid": instance,
                "host_id": "x1yCzABCDEfg23HiJKl4mN",
                "topic": "Evening group",
                "type": 8,
                "start_time": "2026-11-16T22:55:00Z",
                "end_time": zulu(end),
                "timezone": "America/New_York",
                "duration": 180,
            },
        },
    }


def url_validation(token: str = "qgg8vlvZRS6UYooatFL8Aw") -> dict[str, Any]:
    return {"event": "endpoint.url_validation", "payload": {"plainToken": token}, "event_ts": 1}


@dataclass(kw_only=True)
class Response:
    status: int
    body: dict[str, Any]


@dataclass(kw_only=True)
class ZoomBot:
    app: App
    adapter: ZoomAdapter
    clock: FakeClock
    url: str
    http: aiohttp.ClientSession

    async def send(
        self,
        doc: Mapping[str, Any] | bytes,
        *,
        timestamp: int | None = None,
        secret: str = SECRET,
        headers: Mapping[str, str] | None = None,
        settle: bool = True,
    ) -> Response:
        """POST as Zoom does; by default also wait for the records to be recomputed."""
        body = doc if isinstance(doc, bytes) else json.dumps(doc).encode()
        stamp = str(timestamp if timestamp is not None else int(self.clock.now().timestamp()))
        sent = {
            "content-type": "application/json; charset=utf-8",
            "x-zm-request-timestamp": stamp,
            "x-zm-signature": signature(secret, stamp, body),
        }
        if headers is not None:
            sent = {k: v for k, v in sent.items() if k not in headers} | dict(headers)
            sent = {k: v for k, v in sent.items() if v}
        async with self.http.post(self.url, data=body, headers=sent) as r:
            status = r.status
            text = await r.text()
        if settle:
            await self.adapter.idle()
        return Response(status=status, body=json.loads(text) if text else {})

    async def ledger_size(self) -> int:
        return (await self.app.store.chain_head("ledger"))[0]


@asynccontextmanager
async def running_bot(
    config_text: str, clock: FakeClock, *, settle_seconds: float = 0.0
) -> AsyncIterator[ZoomBot]:
    config = parse_config(config_text, {})
    app = await open_app(config, clock=clock)
    adapter = ZoomAdapter(
        config.zoom, app.engine, settle_seconds=settle_seconds, telemetry=TELEMETRY
    )
    web_app = make_web_app(app.store)
    adapter.add_routes(web_app)
    runner = await start_server(web_app, "127.0.0.1", 0)
    await adapter.start()
    http = aiohttp.ClientSession()
    try:
        yield ZoomBot(
            app=app,
            adapter=adapter,
            clock=clock,
            url=f"http://127.0.0.1:{bound_port(runner)}/zoom/webhook",
            http=http,
        )
    finally:
        await http.close()
        await adapter.stop()
        await runner.cleanup()
        await app.close()
