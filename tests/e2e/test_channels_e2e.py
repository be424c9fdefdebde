"""Reminders through the real wiring to a real SMTP server (aiosmtpd) and a stand-in
SMS API that first answers 429: each person's order of preference, the fallback,
the retry after Retry-After, and exactly one message each."""

from __future__ import annotations

import email
import threading
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiosmtpd.controller import Controller

from bot.config import parse_config
from bot.core.clock import FakeClock
from bot.core.outreach.autopilot import Autopilot
from bot.core.outreach.delivery import Dispatcher
from bot.shell.app import build_channels, open_app
from tests.adapters.email.conftest import free_port

SID = "AC77"
START = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)  # a Tuesday, 10 AM in New York


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[email.message.Message] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[Mailbox, int]]:
    box = Mailbox()
    port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield box, port
    finally:
        controller.stop()


class Sms:
    def __init__(self) -> None:
        self.calls: list[tuple[datetime, str]] = []
        self.clock: FakeClock | None = None
        self.busy_once = True

    async def handle(self, request: web.Request) -> web.Response:
        form = await request.post()
        assert self.clock is not None
        self.calls.append((self.clock.now(), str(form["To"])))
        if self.busy_once:
            self.busy_once = False
            return web.json_response(
                {"code": 20429, "message": "Too Many Requests"},
                status=429,
                headers={"Retry-After": "120"},
            )
        return web.json_response({"sid": "SM1"}, status=201)


@pytest.fixture
async def sms() -> AsyncIterator[tuple[Sms, str]]:
    fake = Sms()
    app = web.Application()
    app.router.add_post(f"/2010-04-01/Accounts/{SID}/Messages.json", fake.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    yield fake, f"http://127.0.0.1:{runner.addresses[0][1]}/2010-04-01"
    await runner.cleanup()


def config_text(db: Path, smtp_port: int, sms_base: str) -> str:
    return f"""
[storage]
url = "sqlite:///{db}"
[email]
enabled = true
host = "127.0.0.1"
port = {smtp_port}
from_addr = "rollcall@example.org"
starttls = false
[sms]
enabled = true
api_base_url = "{sms_base}"
account_sid = "{SID}"
auth_token = "secret"
from_number = "+15550100000"
[program]
name = "Mornings"
timezone = "America/New_York"
[program.reminders]
before = ["15m"]
[[people]]
id = "f-001"
display_name = "F."
role = "facilitator"
[[people]]
id = "p-mail"
display_name = "E."
email = "e@example.org"
channels = ["email"]
[[people]]
id = "p-sms"
display_name = "S."
phone = "+15550123456"
email = "s@example.org"
channels = ["sms", "email"]
[[people]]
id = "p-none"
display_name = "N."
phone = "+15550123457"
channels = ["chat", "sms"]
[[groups]]
id = "g"
name = "Morning Group"
facilitators = ["f-001"]
participants = ["p-mail", "p-sms", "p-none"]
"""


async def test_reminders_by_email_and_sms_with_a_429(
    tmp_path: Path, smtp: tuple[Mailbox, int], sms: tuple[Sms, str]
) -> None:
    box, port = smtp
    fake, base = sms
    config = parse_config(config_text(tmp_path / "db.sqlite", port, base))
    clock = FakeClock(START - timedelta(hours=1))
    fake.clock = clock
    app = await open_app(config, clock=clock)
    channels = build_channels(config, [], None)  # no chat platform: chat can't reach anyone
    try:
        await app.engine.sessions.create(group_id="g", start=START, minutes=60, actor_id="t")
        pilot = Autopilot(
            app.engine, config, Dispatcher(app.store, clock, notifiers=channels.notifiers)
        )
        while clock.now() < START:
            await pilot.tick(leader=True)
            clock.advance(timedelta(minutes=1))
    finally:
        await channels.close()
        await app.close()
    # e-mail: one reminder, neutral subject, the local time, no program words
    to = sorted(m["To"] for m in box.messages)
    assert to == ["e@example.org"]
    body = box.messages[0].get_payload(decode=True).decode()  # type: ignore[union-attr]
    assert "Morning Group starts in 15 minutes (10:00 AM EST)" in body
    assert "/absent" not in body  # e-mail can't run a chat command
    assert "therapy" not in body.lower() and "care" not in box.messages[0]["Subject"].lower()
    # SMS: p-none first (no chat), then 429 with Retry-After 120 s; p-sms the same way
    # (p-sms prefers SMS, so it gets no e-mail; p-none has no chat platform to use)
    numbers = [n for _, n in fake.calls]
    assert len(numbers) == 3 and set(numbers) == {"+15550123456", "+15550123457"}
    (first_at, refused), *rest = fake.calls
    assert numbers.count(refused) == 2  # refused once with 429, then delivered
    retried_at = next(t for t, n in rest if n == refused)
    assert retried_at - first_at >= timedelta(seconds=120)  # Retry-After honoured
