"""Socket Mode: apps.connections.open hands out a ws:// URL on FakeSlack; envelopes go
to the same handlers as over HTTP, and the ack goes back over the socket."""

from __future__ import annotations

import asyncio
import json
import urllib.parse
from pathlib import Path
from typing import Any

from bot.core.domain import EvidenceKind
from tests.adapters.slack.harness import P1, running_bot
from tests.fakes.slack import command_body, event_body


async def _ack(queue: asyncio.Queue[dict[str, Any]], envelope_id: str) -> dict[str, Any]:
    while True:
        message = await asyncio.wait_for(queue.get(), 5)
        if message.get("envelope_id") == envelope_id:
            return message


async def test_slash_command_and_event_over_socket_mode(tmp_path: Path) -> None:
    async with running_bot(tmp_path, sqlite=False, mode="socket") as bot:
        (opened,) = [c for c in bot.fake.calls if c.method == "apps.connections.open"]
        assert opened.token == "xapp-test"  # the app-level token, not the bot token
        assert bot.adapter.is_connected  # what /readyz and rollcall_adapter_connected read
        form = dict(urllib.parse.parse_qsl(command_body("/checkin", "hi", user_id=P1)))
        await bot.fake.socket_send(
            {
                "envelope_id": "env-1",
                "type": "slash_commands",
                "accepts_response_payload": True,
                "payload": form,
            }
        )
        ack = await _ack(bot.fake.socket_acks, "env-1")
        assert ack["payload"]["response_type"] == "ephemeral"
        assert ack["payload"]["text"].startswith("You're checked in to Evening Group A")
        assert await bot.app.store.evidence(kinds=[EvidenceKind.CHECKIN])

        home = {"type": "app_home_opened", "user": P1, "channel": "D1", "tab": "home"}
        await bot.fake.socket_send(
            {
                "envelope_id": "env-2",
                "type": "events_api",
                "accepts_response_payload": False,
                "payload": json.loads(event_body(home, event_id="EvS1")),
            }
        )
        await _ack(bot.fake.socket_acks, "env-2")
        await bot.settle()
        assert len(bot.fake.called("views.publish")) == 1
        # a POST to /slack/events is not served in Socket Mode
        async with bot.http.post(bot.url, data=b"x") as resp:
            assert resp.status == 404
