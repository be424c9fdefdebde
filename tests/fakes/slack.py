"""A local stand-in for Slack: the Web API methods rollcall calls, `response_url`s, and a
Socket Mode WebSocket. Plus helpers that sign requests like Slack does.

Point `AsyncWebClient(base_url=fake.api_url)` at it. Every call is recorded as a
`Call(method, params)`; tests can make a method fail (`fail`) or answer 429 with
Retry-After (`rate_limit`). Posted messages are kept per channel (with their metadata)
and `conversations.history` answers from them in Slack's documented shape.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web
from slack_sdk.signature import SignatureVerifier

BOT_USER = "UBOT"
TEAM = "T0001"


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    token: str = ""


@dataclass
class FakeSlack:
    calls: list[Call] = field(default_factory=list)
    responses: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # response_url
    failures: dict[str, str] = field(default_factory=dict)
    rate_limits: dict[str, int] = field(default_factory=dict)
    retry_after: int = 0
    #: chat.postMessage to one channel answered 429 (channel -> times left)
    channel_limits: dict[str, int] = field(default_factory=dict)
    user_zones: dict[str, str] = field(default_factory=dict)  # users.info `tz` by user id
    posted: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # by channel
    respond_status: int = 200  # what response_urls answer
    socket_acks: asyncio.Queue[dict[str, Any]] = field(default_factory=asyncio.Queue)
    _runner: web.AppRunner | None = None
    port: int = 0
    _sockets: list[web.WebSocketResponse] = field(default_factory=list)
    _socket_ready: asyncio.Event = field(default_factory=asyncio.Event)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    # --- lifecycle ---

    async def start(self) -> FakeSlack:
        app = web.Application()
        app.router.add_post("/api/{method}", self._api)
        app.router.add_get("/api/{method}", self._api)
        app.router.add_post("/respond/{token}", self._respond)
        app.router.add_get("/ws", self._ws)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        for addr in self._runner.addresses:
            self.port = int(addr[1])
        return self

    async def close(self) -> None:
        for ws in list(self._sockets):
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    def response_url(self, token: str = "") -> str:
        return f"http://127.0.0.1:{self.port}/respond/{token or next(self._ids)}"

    # --- what was called ---

    def called(self, method: str) -> list[dict[str, Any]]:
        return [c.params for c in self.calls if c.method == method]

    def fail(self, method: str, error: str) -> None:
        self.failures[method] = error

    def rate_limit(self, method: str, times: int, retry_after: int = 0) -> None:
        self.rate_limits[method] = times
        self.retry_after = retry_after

    def rate_limit_channel(self, channel: str, times: int, retry_after: int = 0) -> None:
        """chat.postMessage to `channel` only answers 429 `times` times."""
        self.channel_limits[channel] = times
        self.retry_after = retry_after

    # --- the Web API ---

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await _params(request)
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        self.calls.append(Call(method, params, token))
        channel = str(params.get("channel", ""))
        limited = method == "chat.postMessage" and self.channel_limits.get(channel, 0) > 0
        if limited:
            self.channel_limits[channel] -= 1
        elif self.rate_limits.get(method, 0) > 0:
            self.rate_limits[method] -= 1
            limited = True
        if limited:
            return web.json_response(
                {"ok": False, "error": "ratelimited"},
                status=429,
                headers={"Retry-After": str(self.retry_after)},
            )
        if method in self.failures:
            return web.json_response({"ok": False, "error": self.failures[method]})
        return web.json_response(self._answer(method, params))

    def _answer(self, method: str, params: Mapping[str, Any]) -> dict[str, Any]:
        ok: dict[str, Any] = {"ok": True}
        if method == "auth.test":
            return ok | {"user_id": BOT_USER, "bot_id": "B0001", "team_id": TEAM, "team": "t"}
        if method == "conversations.open":
            return ok | {"channel": {"id": f"D{params.get('users', 'X')}"}}
        if method == "users.info":
            user = str(params.get("user", ""))
            return ok | {"user": {"id": user, "tz": self.user_zones.get(user)}}
        if method == "chat.postMessage":
            message = self._post(params)
            return ok | {"channel": params.get("channel"), "ts": message["ts"], "message": message}
        if method == "conversations.history":
            return ok | self._history(params)
        if method in ("views.open", "views.publish", "views.update"):
            return ok | {"view": {"id": f"V{next(self._ids)}"}}
        if method == "apps.connections.open":
            return ok | {"url": f"ws://127.0.0.1:{self.port}/ws"}
        return ok

    def _post(self, params: Mapping[str, Any]) -> dict[str, Any]:
        channel = str(params.get("channel", ""))
        kept = self.posted.setdefault(channel, [])
        ts = time.time()
        if kept:  # ts is unique per channel in Slack
            ts = max(ts, float(kept[-1]["ts"]) + 0.000001)
        message: dict[str, Any] = {
            "type": "message",
            "subtype": "bot_message",
            "user": BOT_USER,
            "bot_id": "B0001",
            "app_id": "A0001",
            "text": params.get("text", ""),
            "ts": f"{ts:.6f}",
        }
        if isinstance(params.get("metadata"), dict):
            message["metadata"] = params["metadata"]
        kept.append(message)
        return message

    def _history(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """Newest first; `oldest` exclusive (`inclusive` ignored), `limit` (default 100),
        metadata only with `include_all_metadata`."""
        kept = self.posted.get(str(params.get("channel", "")), [])
        oldest = float(params.get("oldest") or 0)
        limit = int(params.get("limit") or 100)
        with_meta = str(params.get("include_all_metadata", "")).lower() in ("1", "true")
        newer = [m for m in reversed(kept) if float(m["ts"]) > oldest]
        page = [m if with_meta else {k: v for k, v in m.items() if k != "metadata"}
                for m in newer[:limit]]  # fmt: skip
        return {
            "messages": page,
            "has_more": len(newer) > limit,
            "pin_count": 0,
            "channel_actions_ts": None,
            "channel_actions_count": 0,
            "response_metadata": {"next_cursor": ""},
        }

    async def _respond(self, request: web.Request) -> web.Response:
        body = await request.json()
        if self.respond_status != 200:
            return web.Response(status=self.respond_status, text="expired_url")
        self.responses.append((request.match_info["token"], body))
        return web.Response(text="ok")

    # --- Socket Mode ---

    async def _ws(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self._sockets.append(ws)
        await ws.send_json({"type": "hello", "num_connections": 1})
        self._socket_ready.set()
        try:
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    await self.socket_acks.put(json.loads(msg.data))
        finally:
            self._sockets.remove(ws)
        return ws

    async def socket_send(self, envelope: dict[str, Any]) -> None:
        await asyncio.wait_for(self._socket_ready.wait(), 5)
        await self._sockets[-1].send_json(envelope)


async def _params(request: web.Request) -> dict[str, Any]:
    if request.content_type == "application/json":
        data = await request.json()
        return dict(data) if isinstance(data, dict) else {}
    form = await request.post()
    params = {k: str(v) for k, v in form.items()}
    params.update({k: v for k, v in request.query.items()})
    return params


# --- signing ------------------------------------------------------------------------------


def signed_headers(
    secret: str, body: str, *, age: float = 0.0, content_type: str = ""
) -> dict[str, str]:
    """Headers Slack would send with `body`, signed `age` seconds ago."""
    ts = str(int(time.time() - age))
    signature = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
    headers = {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": signature or ""}
    if content_type:
        headers["Content-Type"] = content_type
    return headers


FORM = "application/x-www-form-urlencoded"


def command_body(
    command: str,
    text: str,
    *,
    user_id: str,
    channel_id: str = "C0001",
    response_url: str = "",
    trigger_id: str = "",
) -> str:
    form = {
        "token": "legacy",
        "team_id": TEAM,
        "team_domain": "example",
        "channel_id": channel_id,
        "channel_name": "directmessage" if channel_id.startswith("D") else "group-a",
        "user_id": user_id,
        "user_name": f"name-of-{user_id}",
        "command": command,
        "text": text,
        "api_app_id": "A0001",
        "response_url": response_url,
        "trigger_id": trigger_id or f"trig-{time.monotonic_ns()}",
    }
    return urllib.parse.urlencode(form)


def interactive_body(payload: Mapping[str, Any]) -> str:
    return urllib.parse.urlencode({"payload": json.dumps(payload)})


def block_action_payload(
    *,
    user_id: str,
    action_id: str,
    value: str,
    response_url: str,
    channel_id: str = "C0001",
) -> dict[str, Any]:
    return {
        "type": "block_actions",
        "team": {"id": TEAM},
        "user": {"id": user_id, "name": f"name-of-{user_id}"},
        "api_app_id": "A0001",
        "trigger_id": f"trig-{time.monotonic_ns()}",
        "container": {"type": "message", "channel_id": channel_id, "is_ephemeral": True},
        "channel": {"id": channel_id},
        "response_url": response_url,
        "actions": [
            {
                "type": "button",
                "action_id": action_id,
                "block_id": "b1",
                "value": value,
                "action_ts": f"{time.time():.6f}",
            }
        ],
    }


def view_submission_payload(
    *, user_id: str, session_id: str, answers: Mapping[str, tuple[str, str]]
) -> dict[str, Any]:
    """answers: question id -> (element type, value)."""
    values: dict[str, Any] = {}
    for qid, (kind, value) in answers.items():
        element: dict[str, Any] = {"type": kind}
        if kind == "plain_text_input":
            element["value"] = value
        else:
            element["selected_option"] = {"value": value, "text": {"type": "plain_text"}}
        values[f"q:{qid}"] = {"answer": element}
    return {
        "type": "view_submission",
        "team": {"id": TEAM},
        "user": {"id": user_id, "name": f"name-of-{user_id}"},
        "api_app_id": "A0001",
        "trigger_id": f"trig-{time.monotonic_ns()}",
        "view": {
            "id": "V0001",
            "type": "modal",
            "callback_id": "rollcall_survey",
            "private_metadata": session_id,
            "state": {"values": values},
        },
    }


def event_body(event: Mapping[str, Any], *, event_id: str) -> str:
    return json.dumps(
        {
            "token": "legacy",
            "team_id": TEAM,
            "api_app_id": "A0001",
            "type": "event_callback",
            "event_id": event_id,
            "event_time": int(time.time()),
            "event": dict(event),
        }
    )
