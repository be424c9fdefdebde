"""Replies by text through `POST /sms/inbound`, signed like Twilio signs them: 1/NO/CANT
give notice for the session the last texted reminder was about; STOP, START, HELP;
forged requests get 403; unknown numbers get nothing."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import AsyncIterator
from datetime import timedelta

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from adapters.sms.inbound import SmsInbound, signature
from bot.core.domain import EvidenceKind
from bot.core.outbox import OutboxStatus
from bot.core.settings import SmsConfig
from tests.fakes.casts import week_cast
from tests.unit.test_autopilot import Inbox, Week, local

TOKEN = "tok-secret-42"
PUBLIC = "https://rollcall.example.org"  # behind a proxy: not the address we listen on
PHONE = "+15550123456"
MONDAY = "ga-20261130-1800"


class Texts(Inbox):
    channel = "sms"


class Phone:
    def __init__(self, w: Week, server: TestServer, http: aiohttp.ClientSession) -> None:
        self.w, self.server, self.http = w, server, http
        self.texts = Texts(w.clock)
        self.n = 0

    async def reply(self, body: str, *, number: str = PHONE, token: str = TOKEN) -> tuple[int, str]:
        self.n += 1
        params = {"MessageSid": f"SM{self.n:032d}", "From": number, "To": "+1555000", "Body": body}
        headers = {"X-Twilio-Signature": signature(token, PUBLIC + "/sms/inbound", params)}
        async with self.http.post(
            self.server.make_url("/sms/inbound"), data=params, headers=headers
        ) as resp:
            return resp.status, await resp.text()


@contextlib.asynccontextmanager
async def texting(cast: str | None = None) -> AsyncIterator[Phone]:
    w = Week(local(2026, 11, 29, 12, 0), cast=cast)  # Sunday noon; Monday 6 PM is ahead
    await w.start()
    p2 = await w.store.get_person("p-002")
    assert p2 is not None
    await w.store.upsert_person(dataclasses.replace(p2, phone=PHONE, channels=("sms",)))
    app = web.Application()
    config = SmsConfig(enabled=True, auth_token=TOKEN, account_sid="AC1", from_number="+1555")
    SmsInbound(config, w.engine, public_url=PUBLIC).add_routes(app)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    async with aiohttp.ClientSession() as http:
        p = Phone(w, server, http)
        w.pilot.dispatcher.notifiers = {"chat": [w.inbox], "sms": [p.texts]}
        yield p
    await server.close()


@pytest.fixture
async def phone() -> AsyncIterator[Phone]:
    async with texting() as p:
        yield p


def _texted(p: Phone) -> list[str]:
    return [m.text for _, _, m in p.texts.sent if m.kind == "reminder"]


async def test_reply_1_gives_notice_for_the_texted_session(phone: Phone) -> None:
    w = phone.w
    await w.run_until(local(2026, 11, 29, 18, 5))
    (text,) = _texted(phone)
    assert text.endswith("Reply 1 if you can't make it — no need to explain.")
    assert "/absent" not in text and "6:00 PM EST" in text
    status, body = await phone.reply(" 1 ")
    # the notice rules apply: less than 24 hours ahead is late notice
    assert status == 200 and "<Response><Message>" in body and "is noted" in body
    notice = await w.store.evidence(person_id="p-002", kinds=[EvidenceKind.ABSENCE_NOTICE])
    assert [(e.session_id, e.source) for e in notice] == [(MONDAY, "sms")]
    # the same answer again changes nothing; "cant" is the same notice
    status, body = await phone.reply("CANT")
    assert "already let us know" in body
    # and the 15-minute reminder is not sent
    await w.run_until(local(2026, 11, 30, 18, 0), step=timedelta(minutes=15))
    assert len(_texted(phone)) == 1
    dropped = await w.store.outbox_items(person_id="p-002", status=OutboxStatus.DROPPED)
    assert [i.last_error for i in dropped if i.kind == "reminder"] == ["notice_given"]


async def test_a_forged_or_unsigned_reply_gets_403_and_changes_nothing(phone: Phone) -> None:
    w = phone.w
    await w.run_until(local(2026, 11, 29, 18, 5))
    assert (await phone.reply("1", token="guessed"))[0] == 403
    async with phone.http.post(
        phone.server.make_url("/sms/inbound"), data={"From": PHONE, "Body": "1"}
    ) as resp:
        assert resp.status == 403
    assert not await w.store.evidence(kinds=[EvidenceKind.ABSENCE_NOTICE])


async def test_unknown_numbers_get_nothing(phone: Phone) -> None:
    status, body = await phone.reply("1", number="+19998887777")
    assert status == 200 and "<Message>" not in body
    assert not await phone.w.store.evidence(kinds=[EvidenceKind.ABSENCE_NOTICE])


async def test_stop_start_and_help(phone: Phone) -> None:
    w = phone.w
    _, body = await phone.reply("HELP")
    assert "Evening: reply 1" in body and "STOP" in body
    assert "Your facilitator can help" in body  # no [program] contact configured
    _, body = await phone.reply("Stop")
    assert "won't get texts" in body
    await w.run_until(local(2026, 11, 29, 18, 5))
    assert _texted(phone) == []  # no other channel: nothing is texted
    _, body = await phone.reply("START")
    assert "back on" in body
    await w.run_until(local(2026, 11, 30, 17, 50), step=timedelta(minutes=15))
    assert len(_texted(phone)) == 1  # the 15-minute reminder


async def test_help_names_the_program_and_its_contact_line() -> None:
    """Carriers want a HELP answer to name the program, how to opt out and how to
    reach a person: `[program] contact`."""
    async with texting(week_cast(contact="(555) 010-0100 or help@example.org")) as phone:
        status, body = await phone.reply("help")
        assert status == 200 and "<Response><Message>Evening: reply 1 if you can" in body
        assert "STOP to stop texts" in body
        assert "For anything else contact (555) 010-0100 or help@example.org." in body
        # anything it does not understand gets the same line, and changes nothing
        _, other = await phone.reply("what time is group?")
        assert other == body
        assert not await phone.w.store.evidence(kinds=[EvidenceKind.ABSENCE_NOTICE])
