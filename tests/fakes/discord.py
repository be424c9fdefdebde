"""A stand-in for Discord on 127.0.0.1: the REST API discord.py calls, and a gateway.

The gateway speaks the real protocol (HELLO, IDENTIFY → READY + GUILD_CREATE,
HEARTBEAT → ACK, RESUME → RESUMED or INVALID_SESSION) in plain-text JSON frames,
so discord.py's own connection, parsing and dispatch run unchanged. The test
drives it: `dispatch()` sends an event, `invalidate()` ends the session (the
client reconnects with a fresh IDENTIFY), `drop()` closes the socket (the client
RESUMEs). Every REST request is recorded; some can be scripted to fail.

Messages get snowflakes made from the real time of their creation (as Discord's are),
so GET /channels/{id}/messages?after=… answers by time; a send with a `nonce` and
`enforce_nonce` within NONCE_WINDOW of one with the same nonce returns that message.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import WSMsgType, web

from tests.fakes import discord_gateway as P

API = "/api/v10"
DISCORD_EPOCH_MS = 1_420_070_400_000
NONCE_WINDOW = 120.0  # Discord says "the past few minutes"


@dataclass
class Recorded:
    method: str
    path: str
    body: Any
    query: dict[str, str]


@dataclass
class Scripted:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    # discord.py only parses a body whose content-type is exactly application/json
    return web.Response(
        status=status,
        body=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", **(headers or {})},
    )


class FakeDiscord:
    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self.guilds: dict[str, dict[str, Any]] = {}  # GUILD_CREATE payloads, sent after READY
        self.closed_dms: set[str] = set()  # user ids whose DMs are closed (50007)
        self.failures: dict[str, list[Scripted]] = {}  # "POST /channels/{id}/messages" -> queue
        self.dm_channels: dict[str, str] = {}  # channel id -> user id
        self.messages: dict[str, dict[str, Any]] = {}
        self._nonces: dict[tuple[str, str], tuple[float, dict[str, Any]]] = {}
        self._low = itertools.count()
        self.originals: dict[str, dict[str, Any]] = {}  # interaction token -> message
        self.callbacks: list[dict[str, Any]] = []  # interaction callbacks, in order
        self.gateway_log: list[dict[str, Any]] = []  # ops received from the client
        self.ready_gate = asyncio.Event()
        self.ready_gate.set()
        self.accept_resume = True
        self._ws: web.WebSocketResponse | None = None
        self._seq = itertools.count(1)
        self._sessions = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.port = 0
        self.connections = 0
        self._changed = asyncio.Condition()

    # ------------------------------------------------------------ server

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.port}{API}"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/gateway", self._gateway)
        app.router.add_route("*", API + "/{tail:.*}", self._rest)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]

    async def stop(self) -> None:
        if self._ws is not None and not self._ws.closed:
            await self._ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def wait_for(self, predicate: Callable[[], bool], within: float = 5.0) -> None:
        async def waiting() -> None:
            async with self._changed:
                await self._changed.wait_for(predicate)

        await asyncio.wait_for(waiting(), within)

    # ------------------------------------------------------------ REST

    def count(self, method: str, prefix: str) -> int:
        return sum(1 for r in self.requests if r.method == method and r.path.startswith(prefix))

    def sent_to(self, channel_id: str) -> list[dict[str, Any]]:
        """The messages created in a channel, oldest first."""
        return sorted(
            (m for m in self.messages.values() if m["channel_id"] == channel_id),
            key=lambda m: int(m["id"]),
        )

    def _message(self, channel_id: str, body: dict[str, Any], flags: int = 0) -> dict[str, Any]:
        ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
        mid = str((ms << 22) | (next(self._low) % (1 << 22)))
        msg = {
            "id": mid,
            "channel_id": channel_id,
            "author": P.bot_user(),
            "content": body.get("content") or "",
            "embeds": body.get("embeds") or [],
            "components": body.get("components") or [],
            "attachments": [],
            "mentions": [],
            "mention_roles": [],
            "mention_everyone": False,
            "pinned": False,
            "tts": False,
            "type": 0,
            "flags": flags | int(body.get("flags") or 0),
            "timestamp": datetime.now(UTC).isoformat(),
            "edited_timestamp": None,
        }
        self.messages[mid] = msg
        return msg

    async def _rest(self, request: web.Request) -> web.Response:
        path = request.path.removeprefix(API)
        body: Any = None
        if request.can_read_body:
            raw = await request.read()
            ctype = request.headers.get("Content-Type", "")
            if raw and ctype.startswith("application/json"):
                body = json.loads(raw)
            elif raw and ctype.startswith("multipart/"):
                body = {"multipart": True}
        self.requests.append(Recorded(request.method, path, body, dict(request.query)))
        try:
            scripted = self._scripted(f"{request.method} {path}")
            if scripted is not None:
                return scripted
            return await self._route(request.method, path, body or {}, dict(request.query))
        finally:
            await self._notify()

    def _scripted(self, key: str) -> web.Response | None:
        queue = self.failures.get(key)
        if not queue:
            return None
        s = queue.pop(0)
        return _json(s.body, s.status, s.headers)

    def _history(self, channel_id: str, query: dict[str, str]) -> list[dict[str, Any]]:
        """Newest first, like Discord; `after`: the `limit` messages right after it."""
        limit = int(query.get("limit") or 50)
        kept = self.sent_to(channel_id)
        if "after" in query:
            after = int(query["after"])
            return list(reversed([m for m in kept if int(m["id"]) > after][:limit]))
        return list(reversed(kept))[:limit]

    async def _route(
        self, method: str, path: str, body: dict[str, Any], query: dict[str, str]
    ) -> web.Response:
        parts = path.strip("/").split("/")
        if method == "GET" and path == "/users/@me":
            return _json(P.bot_user())
        if method == "GET" and path == "/oauth2/applications/@me":
            return _json(P.application())
        if method == "GET" and path == "/gateway/bot":
            return _json(
                {
                    "url": self.gateway_url,
                    "shards": 1,
                    "session_start_limit": {
                        "total": 1000,
                        "remaining": 999,
                        "reset_after": 0,
                        "max_concurrency": 1,
                    },
                }
            )
        if method == "PUT" and parts[0] == "applications" and parts[-1] == "commands":
            return _json([{**c, "id": P.snowflake(), "application_id": P.APP_ID} for c in body])
        if method == "POST" and path == "/users/@me/channels":
            uid = str(body["recipient_id"])
            cid = next((c for c, u in self.dm_channels.items() if u == uid), None) or P.snowflake()
            self.dm_channels[cid] = uid
            return _json(P.dm_channel(cid, uid))
        if method == "POST" and parts[0] == "channels" and parts[-1] == "messages":
            cid = parts[1]
            scripted = self._scripted(f"POST /channels/{cid}/messages") or self._scripted(
                "POST /channels/*/messages"
            )
            if scripted is not None:
                return scripted
            if self.dm_channels.get(cid) in self.closed_dms:
                return _json({"message": "Cannot send messages to this user", "code": 50007}, 403)
            nonce = str(body.get("nonce") or "")
            if nonce and body.get("enforce_nonce"):
                seen = self._nonces.get((cid, nonce))
                if seen is not None and time.time() - seen[0] < NONCE_WINDOW:
                    return _json(seen[1])
            msg = self._message(cid, body)
            if nonce:
                self._nonces[(cid, nonce)] = (time.time(), msg)
            return _json(msg)
        if method == "GET" and parts[0] == "channels" and parts[-1] == "messages":
            return _json(self._history(parts[1], query))
        if method == "POST" and parts[0] == "interactions" and parts[-1] == "callback":
            return self._callback(parts[1], parts[2], body)
        if parts[0] == "webhooks" and len(parts) >= 3:
            token = parts[2]
            if method == "PATCH" and parts[-1] == "@original":
                msg = self.originals.get(token) or self._message("0", {})
                msg.update(
                    {k: v for k, v in body.items() if k in ("content", "embeds", "components")}
                )
                self.originals[token] = msg
                return _json(msg)
            if method == "POST":
                return _json(self._message("0", body))
        return _json({"message": "404: Not Found", "code": 0}, 404)

    def _callback(self, iid: str, token: str, body: dict[str, Any]) -> web.Response:
        self.callbacks.append({"id": iid, "token": token, **body})
        kind = body.get("type")
        data = body.get("data") or {}
        interaction = {
            "id": iid,
            "type": 2,
            "response_message_loading": kind == 5,
            "response_message_ephemeral": bool(int(data.get("flags") or 0) & 64),
        }
        out: dict[str, Any] = {"interaction": interaction}
        if kind in (4, 5):
            msg = self._message("0", data if kind == 4 else {})
            self.originals[token] = msg
            interaction["response_message_id"] = msg["id"]
            out["resource"] = {"type": kind, "message": msg}
        return _json(out)

    # ------------------------------------------------------------ gateway

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._ws = ws
        self.connections += 1
        await self._notify()
        await ws.send_str(json.dumps({"op": 10, "d": {"heartbeat_interval": 45000}}))
        async for msg in ws:
            if msg.type is not WSMsgType.TEXT:
                continue
            frame = json.loads(msg.data)
            self.gateway_log.append(frame)
            op = frame.get("op")
            if op == 1:
                await ws.send_str(json.dumps({"op": 11}))
            elif op == 2:
                await self.ready_gate.wait()
                await self._ready(ws, frame["d"].get("shard"))
            elif op == 6:
                if self.accept_resume:
                    await self._send(ws, "RESUMED", {})
                else:
                    await ws.send_str(json.dumps({"op": 9, "d": False}))
            await self._notify()
        return ws

    async def _send(self, ws: web.WebSocketResponse, event: str, data: Any) -> None:
        await ws.send_str(json.dumps({"op": 0, "t": event, "s": next(self._seq), "d": data}))

    async def _ready(self, ws: web.WebSocketResponse, shard: list[int] | None) -> None:
        session = f"session-{next(self._sessions)}"
        ready = P.ready(session, self.gateway_url, list(self.guilds))
        if shard is not None:
            ready["shard"] = shard
        await self._send(ws, "READY", ready)
        for guild in self.guilds.values():
            await self._send(ws, "GUILD_CREATE", guild)

    def identifies(self) -> int:
        return sum(1 for f in self.gateway_log if f.get("op") == 2)

    def resumes(self) -> int:
        return sum(1 for f in self.gateway_log if f.get("op") == 6)

    async def dispatch(self, event: str, data: Any) -> None:
        assert self._ws is not None and not self._ws.closed, "no gateway connection"
        await self._send(self._ws, event, data)

    async def invalidate(self) -> None:
        """End the session: the client reconnects and IDENTIFYs afresh (new READY)."""
        assert self._ws is not None
        await self._ws.send_str(json.dumps({"op": 9, "d": False}))

    async def drop(self) -> None:
        """Close the socket abnormally: the client reconnects and tries to RESUME."""
        assert self._ws is not None
        await self._ws.close(code=4000)
