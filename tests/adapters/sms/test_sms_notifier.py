"""SmsNotifier against a local stand-in for the Twilio Messages API."""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import aiohttp
import pytest

from adapters.sms.notifier import SmsNotifier
from adapters.sms.translate import CHAT_HINT, MAX_BODY
from bot.core.actions import Button, DirectMessage
from bot.core.domain import Person
from bot.core.ports import Delivery, Notifier, Retry
from tests.fakes.sms import FROM, SID, TOKEN, FakeSms, Reply, twilio_error

NUMBER = "+15557654321"
PERSON = Person(id="p-001", display_name="Jordan Rivers", phone=NUMBER)
TEXT = "Reminder: your group starts in 15 minutes. Can't make it? Send /absent."
MESSAGE = DirectMessage(person_id="p-001", text=TEXT, kind="reminder", key="reminder:s-9:p-001:15m")


def our_logs(caplog: pytest.LogCaptureFixture) -> str:
    """What rollcall itself logged (the fake servers' own loggers are left out)."""
    return "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("rollcall"))


@pytest.fixture
async def notifier(twilio: FakeSms) -> AsyncIterator[SmsNotifier]:
    sms = SmsNotifier(twilio.config(), timeout=2.0)
    try:
        yield sms
    finally:
        await sms.close()


async def test_is_a_notifier_on_the_sms_channel(notifier: SmsNotifier) -> None:
    as_port: Notifier = notifier
    assert as_port.channel == "sms"


async def test_delivers_with_basic_auth_and_the_form_fields(
    twilio: FakeSms, notifier: SmsNotifier
) -> None:
    assert await notifier.deliver(PERSON, MESSAGE) is Delivery.DELIVERED

    [seen] = twilio.requests
    assert seen.path == f"/2010-04-01/Accounts/{SID}/Messages.json"
    assert seen.auth == (SID, TOKEN)
    assert seen.content_type == "application/x-www-form-urlencoded"
    assert seen.form == {"To": NUMBER, "From": FROM, "Body": TEXT}


async def test_a_trailing_slash_in_the_base_url_is_fine(twilio: FakeSms) -> None:
    sms = SmsNotifier(twilio.config(api_base_url=twilio.base_url + "/"))
    try:
        assert await sms.deliver(PERSON, MESSAGE) is Delivery.DELIVERED
    finally:
        await sms.close()


async def test_a_rate_limit_is_a_refusal_with_its_retry_after_then_delivery(
    twilio: FakeSms, notifier: SmsNotifier
) -> None:
    twilio.replies.append(Reply(429, twilio_error(20429, 429), headers={"Retry-After": "7"}))

    # nothing was sent, and the whole channel is to wait 7 s
    assert await notifier.deliver(PERSON, MESSAGE) == Retry(
        refused=True, after=timedelta(seconds=7)
    )
    assert await notifier.deliver(PERSON, MESSAGE) is Delivery.DELIVERED
    assert len(twilio.requests) == 2


async def test_retry_after_as_an_http_date(twilio: FakeSms, notifier: SmsNotifier) -> None:
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    twilio.replies.append(Reply(503, None, headers={"Retry-After": when}))

    result = await notifier.deliver(PERSON, MESSAGE)
    assert isinstance(result, Retry) and not result.refused  # a 503: maybe taken
    assert timedelta(seconds=25) <= result.after <= timedelta(seconds=30)


async def test_a_rate_limit_without_retry_after(twilio: FakeSms, notifier: SmsNotifier) -> None:
    twilio.replies.append(Reply(429, twilio_error(20429, 429)))
    assert await notifier.deliver(PERSON, MESSAGE) == Retry(refused=True)


@pytest.mark.parametrize("code", [21211, 21614, 21610, 21612])
async def test_a_number_that_cannot_get_sms_is_unreachable(
    twilio: FakeSms, notifier: SmsNotifier, code: int
) -> None:
    twilio.replies.append(Reply(400, twilio_error(code)))
    assert await notifier.deliver(PERSON, MESSAGE) is Delivery.UNREACHABLE


@pytest.mark.parametrize(
    "reply",
    [
        Reply(500, twilio_error(20500, 500)),
        Reply(502, "<html>bad gateway</html>"),
        Reply(503, None),
    ],
)
async def test_server_errors_are_retries(
    twilio: FakeSms, notifier: SmsNotifier, reply: Reply, caplog: pytest.LogCaptureFixture
) -> None:
    twilio.replies.append(reply)
    with caplog.at_level(logging.DEBUG, logger="rollcall.sms"):
        assert await notifier.deliver(PERSON, MESSAGE) is Delivery.RETRY
    assert [r.levelno for r in caplog.records if r.name.startswith("rollcall")] == [logging.WARNING]


@pytest.mark.parametrize(
    "reply",
    [
        Reply(401, twilio_error(20003, 401)),
        Reply(403, twilio_error(20003, 403)),
        Reply(404, twilio_error(20404, 404)),
        Reply(400, twilio_error(21606)),  # the From number cannot send SMS
        Reply(400, "not json"),
        Reply(302, None, headers={"Location": "http://127.0.0.1:1/elsewhere"}),
    ],
)
async def test_our_misconfiguration_is_a_retry_logged_as_an_error(
    twilio: FakeSms, notifier: SmsNotifier, reply: Reply, caplog: pytest.LogCaptureFixture
) -> None:
    twilio.replies.append(reply)
    with caplog.at_level(logging.DEBUG, logger="rollcall.sms"):
        assert await notifier.deliver(PERSON, MESSAGE) == Retry(refused=True)
    assert [r.levelno for r in caplog.records if r.name.startswith("rollcall")] == [logging.ERROR]
    assert f"status={reply.status}" in our_logs(caplog)
    assert TOKEN not in our_logs(caplog)
    assert len(twilio.requests) == 1  # a redirect is not followed


@pytest.mark.parametrize(
    "person",
    [
        Person(id="p-002", display_name="No Phone"),
        Person(id="p-003", display_name="Bad Phone", phone="555-1234"),
        Person(id="p-004", display_name="forgotten", phone=NUMBER, forgotten=True),
    ],
)
async def test_no_usable_number_is_unreachable_without_a_request(
    twilio: FakeSms, notifier: SmsNotifier, person: Person
) -> None:
    assert await notifier.deliver(person, MESSAGE) is Delivery.UNREACHABLE
    assert twilio.requests == []


async def test_a_number_written_with_spaces_is_sent_in_e164(
    twilio: FakeSms, notifier: SmsNotifier
) -> None:
    person = Person(id="p-005", display_name="Spaced", phone="+1 (555) 765-4321")
    assert await notifier.deliver(person, MESSAGE) is Delivery.DELIVERED
    assert twilio.requests[0].form["To"] == NUMBER


async def test_api_down_is_a_retry() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    sms = SmsNotifier(FakeSms(base_url=f"http://127.0.0.1:{port}/2010-04-01").config(), timeout=2.0)
    try:
        assert await sms.deliver(PERSON, MESSAGE) is Delivery.RETRY
    finally:
        await sms.close()


async def test_a_slow_api_times_out_as_a_retry(twilio: FakeSms) -> None:
    twilio.replies.append(Reply(201, {"sid": "SM1"}, hang=True))
    sms = SmsNotifier(twilio.config(), timeout=0.2)
    try:
        started = time.monotonic()
        assert await sms.deliver(PERSON, MESSAGE) is Delivery.RETRY
        assert time.monotonic() - started < 1.5
    finally:
        await sms.close()


async def test_a_long_text_is_cut_to_the_limit_keeping_the_chat_hint(
    twilio: FakeSms, notifier: SmsNotifier
) -> None:
    message = DirectMessage(
        person_id="p-001",
        text="word " * 500,
        kind="survey",
        key="k",
        buttons=(Button(label="Open survey", action="survey_open", value="s-9:p-001"),),
    )
    assert await notifier.deliver(PERSON, message) is Delivery.DELIVERED

    body = twilio.requests[0].form["Body"]
    assert len(body) == MAX_BODY
    assert body.endswith(CHAT_HINT)
    assert "s-9" not in body and "survey_open" not in body


async def test_a_given_session_is_used_and_left_open(twilio: FakeSms) -> None:
    async with aiohttp.ClientSession() as session:
        sms = SmsNotifier(twilio.config(), session)
        assert await sms.deliver(PERSON, MESSAGE) is Delivery.DELIVERED
        await sms.close()
        assert not session.closed


async def test_a_given_session_closed_under_us_is_a_retry(twilio: FakeSms) -> None:
    session = aiohttp.ClientSession()
    await session.close()
    sms = SmsNotifier(twilio.config(), session)
    assert await sms.deliver(PERSON, MESSAGE) == Retry(refused=True)
    assert twilio.requests == []


async def test_close_closes_its_own_session_and_is_idempotent(twilio: FakeSms) -> None:
    sms = SmsNotifier(twilio.config())
    await sms.close()  # before any use: nothing to close
    assert await sms.deliver(PERSON, MESSAGE) is Delivery.DELIVERED
    await sms.close()
    await sms.close()
    # usable again afterwards (a new session is made on demand)
    assert await sms.deliver(PERSON, MESSAGE) is Delivery.DELIVERED
    await sms.close()


async def test_logs_carry_ids_only(
    twilio: FakeSms, notifier: SmsNotifier, caplog: pytest.LogCaptureFixture
) -> None:
    twilio.replies.extend([Reply(400, twilio_error(21211)), Reply(401, twilio_error(20003))])
    with caplog.at_level(logging.DEBUG):
        for _ in range(3):
            await notifier.deliver(PERSON, MESSAGE)

    ours = our_logs(caplog)
    assert "p-001" in ours and MESSAGE.key in ours and "code=21211" in ours
    for secret in (NUMBER, "5557654321", FROM, TOKEN, "Jordan", TEXT[:20]):
        assert secret not in ours
