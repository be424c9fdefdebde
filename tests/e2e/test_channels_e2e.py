"""Reminders through the real wiring to a real SMTP server (aiosmtpd) and a stand-in
SMS API that first answers 429: each person's order of preference, the fallback,
the retry after Retry-After, and exactly one message each."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.config import parse_config
from bot.core.clock import FakeClock
from bot.core.outreach.autopilot import Autopilot
from bot.core.outreach.delivery import Dispatcher
from bot.shell.app import build_channels, open_app
from tests.fakes.casts import channels_cast
from tests.fakes.sms import FakeSms, Reply
from tests.fakes.smtp import SmtpServer

SID = "AC77"
START = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)  # a Tuesday, 10 AM in New York


P_NONE = "+15550123457"  # p-none's number (tests/fakes/casts.py)


async def test_reminders_by_email_and_sms_with_a_429(
    tmp_path: Path, smtp_server: SmtpServer, twilio: FakeSms
) -> None:
    fake = twilio
    too_many = {"code": 20429, "message": "Too Many Requests"}
    # p-none's SMS (its only channel) is refused once; the others go as they come
    # (the dispatcher sends to several people at once: no order between them)
    fake.replies.append(Reply(429, too_many, headers={"Retry-After": "120"}, to=P_NONE))
    config = parse_config(
        channels_cast(
            tmp_path / "db.sqlite", smtp_port=smtp_server.port, sms_base=fake.base_url, sms_sid=SID
        )
    )
    clock = FakeClock(START - timedelta(hours=1))
    fake.clock = clock
    app = await open_app(config, clock=clock)
    channels = build_channels(config, [], None)  # no chat platform: chat can't reach anyone
    try:
        await app.engine.create_session(group_id="g", start=START, minutes=60, actor_id="t")
        pilot = Autopilot(
            app.engine,
            config,
            Dispatcher(app.store, clock, notifiers=channels.notifiers),
            store=app.store,
        )
        while clock.now() < START:
            await pilot.tick(leader=True)
            clock.advance(timedelta(minutes=1))
    finally:
        await channels.close()
        await app.close()
    # e-mail: one reminder, neutral subject, the local time, no program words
    mails = [m.message() for m in smtp_server.handler.messages]
    to = sorted(m["To"] for m in mails)
    assert to == ["e@example.org"]
    body = mails[0].get_payload(decode=True).decode()  # type: ignore[union-attr]
    assert "Morning Group starts in 15 minutes (10:00 AM EST)" in body
    assert "/absent" not in body  # e-mail can't run a chat command
    assert "therapy" not in body.lower() and "care" not in mails[0]["Subject"].lower()
    # SMS: p-none's refused with a 429 (Retry-After 120 s), then delivered; p-sms's
    # at once (p-sms prefers SMS, so it gets no e-mail; p-none has no chat platform)
    calls = [(seen.at, seen.form["To"]) for seen in fake.requests]
    numbers = [n for _, n in calls]
    assert sorted(numbers) == ["+15550123456", P_NONE, P_NONE]
    first_at, retried_at = (t for t, n in calls if n == P_NONE)
    assert first_at is not None and retried_at is not None
    assert retried_at - first_at >= timedelta(seconds=120)  # Retry-After honoured
