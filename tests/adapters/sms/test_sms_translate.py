"""The pure part of the SMS channel: numbers, bodies, answers."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from adapters.sms.translate import (
    CHAT_HINT,
    MAX_BODY,
    classify,
    error_code,
    parse_retry_after,
    recipient_number,
    sms_body,
)
from bot.core.actions import Button, DirectMessage
from bot.core.domain import Person
from bot.core.ports import Delivery

NOW = datetime(2025, 3, 10, 14, 0, tzinfo=UTC)
BUTTON = Button(label="Yes", action="a", value="v")


@pytest.mark.parametrize(
    ("phone", "expected"),
    [
        ("+15557654321", "+15557654321"),
        ("+44 20 7946 0958", "+442079460958"),
        (None, None),
        ("", None),
        ("5557654321", None),  # no country code
        ("+0123456789", None),
        ("+1555ABC4321", None),
    ],
)
def test_recipient_number(phone: str | None, expected: str | None) -> None:
    assert recipient_number(Person(id="p", display_name="x", phone=phone)) == expected


def test_body_short_text_untouched_and_hint_only_with_buttons() -> None:
    plain = DirectMessage(person_id="p", text=" Hi. ", kind="notice", key="k")
    assert sms_body(plain) == "Hi."
    with_buttons = DirectMessage(person_id="p", text="Hi.", kind="n", key="k", buttons=(BUTTON,))
    assert sms_body(with_buttons) == f"Hi.\n\n{CHAT_HINT}"


@pytest.mark.parametrize("length", [MAX_BODY - 1, MAX_BODY, MAX_BODY + 1, 5000])
def test_body_never_exceeds_the_limit(length: int) -> None:
    body = sms_body(DirectMessage(person_id="p", text="x" * length, kind="n", key="k"))
    assert len(body) == min(length, MAX_BODY)
    if length > MAX_BODY:
        assert body.endswith("...")
    assert body.isascii()


@pytest.mark.parametrize(
    ("status", "code", "delivery", "misconfigured"),
    [
        (200, None, Delivery.DELIVERED, False),
        (201, None, Delivery.DELIVERED, False),
        (429, 20429, Delivery.RETRY, False),
        (500, None, Delivery.RETRY, False),
        (400, 21211, Delivery.UNREACHABLE, False),
        (400, 21610, Delivery.UNREACHABLE, False),
        (400, 21614, Delivery.UNREACHABLE, False),
        (400, 21606, Delivery.RETRY, True),
        (400, None, Delivery.RETRY, True),
        (401, 20003, Delivery.RETRY, True),
        (403, None, Delivery.RETRY, True),
        (301, None, Delivery.RETRY, True),
    ],
)
def test_classify(status: int, code: int | None, delivery: Delivery, misconfigured: bool) -> None:
    outcome = classify(status, code)
    assert (outcome.delivery, outcome.misconfigured) == (delivery, misconfigured)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b'{"code": 21211, "message": "bad"}', 21211),
        (b'{"code": "21211"}', None),
        (b'{"code": true}', None),
        (b"[1, 2]", None),
        (b"<html>", None),
        (b"\xff\xfe", None),
        (b"", None),
    ],
)
def test_error_code(body: bytes, expected: int | None) -> None:
    assert error_code(body) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("", None),
        ("12", 12.0),
        (" 3 ", 3.0),
        ("Mon, 10 Mar 2025 14:01:00 GMT", 60.0),
        ("Mon, 10 Mar 2025 13:00:00 GMT", 0.0),  # in the past
        ("soon", None),
        ("-5", None),
    ],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value, NOW) == expected
