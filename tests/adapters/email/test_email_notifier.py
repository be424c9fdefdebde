"""EmailNotifier against a real local SMTP server (aiosmtpd on 127.0.0.1)."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import AsyncIterator
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest

from adapters.email.notifier import EmailNotifier
from adapters.email.translate import CHAT_HINT, SUBJECT
from bot.core.actions import Button, DirectMessage
from bot.core.domain import Person
from bot.core.ports import Delivery, Notifier
from tests.fakes.smtp import Certificate, SmtpServer, email_config, free_port

ADDRESS = "jordan.r@example.org"
PERSON = Person(id="p-001", display_name="Jordan Rivers", email=ADDRESS)
TEXT = "Reminder: your group starts tomorrow at 6:00 PM. Can't make it? Send /absent."
MESSAGE = DirectMessage(person_id="p-001", text=TEXT, kind="reminder", key="reminder:s-9:p-001:24h")

#: words that would reveal what kind of program someone attends
PROGRAM_WORDS = re.compile(
    r"\b(therap\w*|iop|intensive|outpatient|treatment|recovery|substance|addiction|"
    r"mental|psych\w*|diagnos\w*|clinic\w*|rehab\w*|counsel\w*|program\w*|patient\w*)\b",
    re.IGNORECASE,
)


def our_logs(caplog: pytest.LogCaptureFixture) -> str:
    """What rollcall itself logged (the fake servers' own loggers are left out)."""
    return "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("rollcall"))


def parsed(raw: bytes) -> EmailMessage:
    mail = message_from_bytes(raw, policy=policy.default)
    assert isinstance(mail, EmailMessage)
    return mail


def body_of(mail: EmailMessage) -> str:
    part = mail.get_body(preferencelist=("plain",))
    assert part is not None
    content = part.get_content()
    assert isinstance(content, str)
    return content


async def test_is_a_notifier_on_the_email_channel(smtp_server: SmtpServer) -> None:
    notifier: Notifier = EmailNotifier(smtp_server.config())
    assert notifier.channel == "email"


async def test_delivers_a_plain_text_mail_with_a_neutral_subject(smtp_server: SmtpServer) -> None:
    notifier = EmailNotifier(smtp_server.config())

    assert await notifier.deliver(PERSON, MESSAGE) is Delivery.DELIVERED

    [got] = smtp_server.handler.messages
    assert got.mail_from == "noreply@rollcall.example"
    assert got.rcpt_tos == [ADDRESS]
    mail = parsed(got.content)
    assert mail["Subject"] == SUBJECT
    assert mail["From"] == "noreply@rollcall.example"
    assert mail["To"] == ADDRESS
    assert mail["Date"] is not None
    assert mail["Auto-Submitted"] == "auto-generated"
    assert mail.get_content_type() == "text/plain"
    assert body_of(mail).strip() == TEXT
    assert CHAT_HINT not in body_of(mail)


async def test_nothing_but_the_message_text_could_name_the_program(
    smtp_server: SmtpServer,
) -> None:
    notifier = EmailNotifier(smtp_server.config())
    await notifier.deliver(PERSON, MESSAGE)

    raw = smtp_server.handler.messages[0].content.decode()
    assert not PROGRAM_WORDS.search(raw.replace(TEXT, ""))
    assert "Jordan" not in raw  # not even the person's own name in a header


async def test_buttons_become_one_line_pointing_to_the_chat_app(smtp_server: SmtpServer) -> None:
    buttons = (
        Button(label="Open survey", action="survey_open", value="s-9:p-001"),
        Button(label="Book a make-up", action="makeup_book", value="s-12:p-001"),
    )
    message = DirectMessage(
        person_id="p-001", text="How was today's group?", kind="survey", key="k1", buttons=buttons
    )
    notifier = EmailNotifier(smtp_server.config())

    assert await notifier.deliver(PERSON, message) is Delivery.DELIVERED

    raw = smtp_server.handler.messages[0].content.decode()
    body = body_of(parsed(smtp_server.handler.messages[0].content))
    assert body.startswith("How was today's group?")
    assert CHAT_HINT in body
    for leak in ("s-9", "s-12", "survey_open", "makeup_book", "http"):
        assert leak not in raw


async def test_a_resend_of_the_same_message_keeps_its_message_id(smtp_server: SmtpServer) -> None:
    notifier = EmailNotifier(smtp_server.config())
    await notifier.deliver(PERSON, MESSAGE)
    await notifier.deliver(PERSON, MESSAGE)
    other = DirectMessage(person_id="p-001", text="x", kind="notice", key="another")
    await notifier.deliver(PERSON, other)

    ids = [parsed(m.content)["Message-ID"] for m in smtp_server.handler.messages]
    assert ids[0] == ids[1] != ids[2]
    assert "p-001" not in ids[0] and "s-9" not in ids[0]
    assert ids[0].endswith("@rollcall.example>")


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ("550 5.1.1 <jordan.r@example.org>: mailbox unavailable", Delivery.UNREACHABLE),
        ("553 5.1.3 bad destination mailbox address", Delivery.UNREACHABLE),
        ("450 4.2.1 mailbox busy, try later", Delivery.RETRY),
        ("452 4.5.3 too many recipients", Delivery.RETRY),
    ],
)
async def test_a_refused_recipient(
    smtp_server: SmtpServer, reply: str, expected: Delivery, caplog: pytest.LogCaptureFixture
) -> None:
    smtp_server.handler.refuse[ADDRESS] = reply
    notifier = EmailNotifier(smtp_server.config())

    with caplog.at_level(logging.DEBUG, logger="rollcall.email"):
        assert await notifier.deliver(PERSON, MESSAGE) is expected

    assert smtp_server.handler.messages == []
    assert reply[:3] in our_logs(caplog)
    assert ADDRESS not in our_logs(caplog)  # the server's reply echoes it; we never log it


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ("554 5.7.1 message rejected", Delivery.UNREACHABLE),
        ("451 4.3.0 local error, try again", Delivery.RETRY),
    ],
)
async def test_a_refused_message(smtp_server: SmtpServer, reply: str, expected: Delivery) -> None:
    smtp_server.handler.data_reply = reply
    notifier = EmailNotifier(smtp_server.config())
    assert await notifier.deliver(PERSON, MESSAGE) is expected


async def test_server_down_is_a_retry() -> None:
    notifier = EmailNotifier(email_config(free_port()), timeout=2.0)

    started = time.monotonic()
    assert await notifier.deliver(PERSON, MESSAGE) is Delivery.RETRY
    assert time.monotonic() - started < 2.0


@pytest.fixture
async def silent_server() -> AsyncIterator[int]:
    """Accepts connections and never greets: a hung mail server."""

    async def hang(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()
        writer.close()

    server = await asyncio.start_server(hang, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()
        await server.wait_closed()


async def test_a_hung_server_times_out_as_a_retry(silent_server: int) -> None:
    notifier = EmailNotifier(email_config(silent_server), timeout=0.3)

    started = time.monotonic()
    assert await notifier.deliver(PERSON, MESSAGE) is Delivery.RETRY
    assert time.monotonic() - started < 1.5


@pytest.mark.parametrize(
    "person",
    [
        Person(id="p-002", display_name="No Mail"),
        Person(id="p-003", display_name="Bad Mail", email="not-an-address"),
        Person(id="p-004", display_name="Injected", email="a@example.org\r\nBcc: x@evil.example"),
        Person(id="p-005", display_name="forgotten", email="gone@example.org", forgotten=True),
    ],
)
async def test_no_usable_address_is_unreachable_without_connecting(
    smtp_server: SmtpServer, person: Person
) -> None:
    before = smtp_server.handler.connections
    notifier = EmailNotifier(smtp_server.config())

    assert await notifier.deliver(person, MESSAGE) is Delivery.UNREACHABLE

    assert smtp_server.handler.connections == before
    assert smtp_server.handler.messages == []


async def test_starttls_asked_for_but_not_offered_never_sends_in_clear(
    smtp_server: SmtpServer, caplog: pytest.LogCaptureFixture
) -> None:
    notifier = EmailNotifier(smtp_server.config(starttls=True))

    with caplog.at_level(logging.ERROR, logger="rollcall.email"):
        assert await notifier.deliver(PERSON, MESSAGE) is Delivery.RETRY

    assert smtp_server.handler.messages == []
    assert "check [email] settings" in our_logs(caplog)


async def test_logs_in_when_a_username_is_set(smtp_server: SmtpServer) -> None:
    smtp_server.handler.logins.add(("mailer", "s3cret"))
    notifier = EmailNotifier(smtp_server.config(username="mailer", password="s3cret"))

    assert await notifier.deliver(PERSON, MESSAGE) is Delivery.DELIVERED
    assert smtp_server.handler.logged_in == ["mailer"]


async def test_a_refused_login_is_a_retry_logged_as_an_error(
    smtp_server: SmtpServer, caplog: pytest.LogCaptureFixture
) -> None:
    smtp_server.handler.logins.add(("mailer", "s3cret"))
    notifier = EmailNotifier(smtp_server.config(username="mailer", password="wrong"))

    with caplog.at_level(logging.DEBUG, logger="rollcall.email"):
        assert await notifier.deliver(PERSON, MESSAGE) is Delivery.RETRY

    assert smtp_server.handler.messages == []
    assert [r.levelno for r in caplog.records if r.name.startswith("rollcall")] == [logging.ERROR]
    assert "wrong" not in our_logs(caplog)


async def test_logs_carry_ids_only(
    smtp_server: SmtpServer, caplog: pytest.LogCaptureFixture
) -> None:
    notifier = EmailNotifier(smtp_server.config())
    with caplog.at_level(logging.DEBUG):
        await notifier.deliver(PERSON, MESSAGE)
        smtp_server.handler.refuse[ADDRESS] = f"550 5.1.1 <{ADDRESS}> unknown"
        await notifier.deliver(PERSON, MESSAGE)

    ours = our_logs(caplog)
    assert "p-001" in ours and MESSAGE.key in ours
    for secret in (ADDRESS, "Jordan", "Rivers", TEXT[:20], SUBJECT):
        assert secret not in ours


async def test_sends_run_side_by_side_within_the_connection_cap(smtp_server: SmtpServer) -> None:
    notifier = EmailNotifier(smtp_server.config(), max_connections=3)
    people = [
        Person(id=f"p-{i}", display_name=f"P {i}", email=f"p{i}@example.org") for i in range(10)
    ]
    results = await asyncio.gather(
        *(notifier.deliver(p, MESSAGE) for p in people), return_exceptions=True
    )
    assert results == [Delivery.DELIVERED] * 10
    assert sorted(m.rcpt_tos[0] for m in smtp_server.handler.messages) == sorted(
        p.email or "" for p in people
    )


async def test_starttls_upgrades_and_delivers(
    tls_smtp_server: SmtpServer, certificate: Certificate
) -> None:
    notifier = EmailNotifier(
        tls_smtp_server.config(starttls=True), tls_context=certificate.client_context()
    )
    assert await notifier.deliver(PERSON, MESSAGE) is Delivery.DELIVERED
    assert len(tls_smtp_server.handler.messages) == 1


async def test_an_untrusted_certificate_is_a_retry_logged_as_an_error(
    tls_smtp_server: SmtpServer, caplog: pytest.LogCaptureFixture
) -> None:
    notifier = EmailNotifier(tls_smtp_server.config(starttls=True))  # system CAs only

    with caplog.at_level(logging.DEBUG, logger="rollcall.email"):
        assert await notifier.deliver(PERSON, MESSAGE) is Delivery.RETRY

    assert tls_smtp_server.handler.messages == []
    assert [r.levelno for r in caplog.records if r.name.startswith("rollcall")] == [logging.ERROR]


async def test_a_server_that_requires_starttls_gets_nothing_in_clear(
    tls_smtp_server: SmtpServer,
) -> None:
    notifier = EmailNotifier(tls_smtp_server.config(starttls=False))
    assert await notifier.deliver(PERSON, MESSAGE) is Delivery.RETRY
    assert tls_smtp_server.handler.messages == []
