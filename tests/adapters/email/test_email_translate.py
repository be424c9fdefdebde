"""The pure part of the e-mail channel: address checks and the message we build."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from adapters.email.translate import (
    CHAT_HINT,
    SUBJECT,
    body_text,
    build_email,
    message_id,
    recipient_address,
)
from bot.core.actions import Button, DirectMessage
from bot.core.domain import Person

AT = datetime(2025, 3, 10, 14, 0, tzinfo=UTC)


def person(email: str | None, **kw: object) -> Person:
    return Person(id="p-1", display_name="Sam", email=email, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("email", "expected"),
    [
        ("sam@example.org", "sam@example.org"),
        ("  sam@example.org ", "sam@example.org"),
        (None, None),
        ("", None),
        ("sam", None),
        ("sam@localhost", None),
        ("Sam <sam@example.org>", None),
        ("a@example.org, b@example.org", None),
        ("sam@example.org\nBcc: x@example.org", None),
        ("sam@exa mple.org", None),
        ("sam\x00@example.org", None),
    ],
)
def test_recipient_address(email: str | None, expected: str | None) -> None:
    assert recipient_address(person(email)) == expected


def test_a_forgotten_person_has_no_address() -> None:
    assert recipient_address(person("sam@example.org", forgotten=True)) is None


def test_body_is_the_text_and_a_chat_hint_only_with_buttons() -> None:
    plain = DirectMessage(person_id="p-1", text="  Hello.  ", kind="notice", key="k")
    assert body_text(plain) == "Hello.\n"
    with_buttons = DirectMessage(
        person_id="p-1",
        text="Hello.",
        kind="survey",
        key="k",
        buttons=(Button(label="Yes", action="a", value="v"),),
    )
    assert body_text(with_buttons) == f"Hello.\n\n{CHAT_HINT}\n"


def test_message_id_is_stable_hashed_and_on_the_senders_domain() -> None:
    one = message_id("reminder:s-1:p-1:24h", "noreply@mail.example")
    assert one == message_id("reminder:s-1:p-1:24h", "noreply@mail.example")
    assert one != message_id("reminder:s-1:p-1:15m", "noreply@mail.example")
    assert one.startswith("<") and one.endswith("@mail.example>")
    assert "s-1" not in one and "p-1" not in one


def test_build_email_headers() -> None:
    msg = DirectMessage(person_id="p-1", text="Ünïcode ✓ text", kind="notice", key="k")
    mail = build_email(message=msg, to_addr="sam@example.org", from_addr="a@b.example", at=AT)
    assert mail["Subject"] == SUBJECT
    assert mail["To"] == "sam@example.org"
    assert mail["Date"] == "Mon, 10 Mar 2025 14:00:00 +0000"
    assert mail["X-Auto-Response-Suppress"] == "All"
    assert mail.get_content().strip() == "Ünïcode ✓ text"
    assert mail.get_content_charset() == "utf-8"
