"""The Slack Web API client keeps one aiohttp session: calls reuse its connections
(slack_sdk alone opens and closes a connection per call), and after `close` a call
opens a new session. Against a stand-in Web API on loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from adapters.slack.client import PooledWebClient


@pytest.fixture
async def api() -> AsyncIterator[tuple[str, list[int]]]:
    peers: list[int] = []  # the client's port of every call: one per connection

    async def call(request: web.Request) -> web.Response:
        peer = request.transport.get_extra_info("peername") if request.transport else None
        peers.append(peer[1] if peer else -1)
        return web.json_response({"ok": True, "channel": {"id": "D1"}, "ts": "1.0"})

    app = web.Application()
    app.router.add_post("/api/{method}", call)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = next(a[1] for a in runner.addresses if isinstance(a, tuple))
    yield f"http://127.0.0.1:{port}/api/", peers
    await runner.cleanup()


async def test_calls_share_one_connection_and_close_ends_it(
    api: tuple[str, list[int]],
) -> None:
    url, peers = api
    client = PooledWebClient(token="xoxb-test", base_url=url, timeout=5)
    for _ in range(5):
        await client.conversations_open(users="U1")
        await client.chat_postMessage(channel="D1", text="hello")
    assert len(peers) == 10 and len(set(peers)) == 1
    session = client.session
    await client.close()
    assert session is not None and session.closed and client.session is None
    await client.close()  # again: nothing to do
    await client.chat_postMessage(channel="D1", text="again")  # a new session
    assert len(set(peers)) == 2
    await client.close()
