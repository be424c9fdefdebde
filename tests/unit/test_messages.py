"""Every template of bot.core.outreach.messages, rendered on every channel: no
program-type or diagnosis words anywhere, nobody named (nor a name placeholder) in what
is posted where others can see it (PRODUCT.md, Privacy and safety), and no chat command
where the channel can't run one (SMS, e-mail)."""

from __future__ import annotations

import ast
import inspect
import re
import typing
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.core.domain import Group, Person, Program, Session
from bot.core.outbox import Kind
from bot.core.outreach import messages
from bot.core.outreach.digest import digest_text
from bot.core.outreach.planner import session_open_post

TEMPLATES: dict[str, Callable[..., str]] = {
    name: fn
    for name, fn in vars(messages).items()
    if inspect.isfunction(fn) and not name.startswith("_") and fn.__module__ == messages.__name__
}

#: the templates whose text goes into a group's channel (outbox kind SESSION_OPEN)
CHANNEL_VISIBLE = {"session_open"}

NY = ZoneInfo("America/New_York")
START = datetime(2025, 3, 4, 23, 0, tzinfo=UTC)  # Tue 6:00 PM in New York
GROUP = Group(
    id="g-tue", name="Tuesday Evening", facilitators=("f-1",), participants=("p-1", "p-2")
)
SESSION = Session(id="s-1", group_id=GROUP.id, start=START, end=START + timedelta(hours=3))
JORDAN = Person(id="p-1", display_name="Jordan Avery")
SAM = Person(id="p-2", display_name="Sam Okafor")


def _later() -> list[tuple[str, datetime]]:
    return [("Thursday Evening", START + timedelta(days=2)), ("Friday Noon", START.replace(day=7))]


#: each template rendered over the branches its arguments choose between
RENDER: dict[str, Callable[[], list[str]]] = {
    "reminder": lambda: [
        messages.reminder(GROUP, SESSION, NY, START - timedelta(minutes=m))
        for m in (0, 1, 15, 60, 90, 180, 1440, 2880, 3 * 1440, 9 * 1440)
    ],
    "relative": lambda: [
        messages.relative(START, START - timedelta(minutes=m), NY) for m in (-5, 1, 15, 1440)
    ],
    "for_channel": lambda: [
        messages.for_channel(text, channel, link=link)
        for text in (
            messages.reminder(GROUP, SESSION, NY, START - timedelta(minutes=15)),
            messages.nudge(GROUP, _later(), NY),
        )
        for channel in messages.CHANNELS
        for link in ("https://x.example/r/tok", None)
    ],
    "session_open": lambda: [messages.session_open(GROUP)],
    "survey_invite": lambda: [messages.survey_invite(GROUP)],
    "nudge": lambda: [messages.nudge(GROUP, [], NY), messages.nudge(GROUP, _later(), NY)],
    "alert_consecutive": lambda: [messages.alert_consecutive(JORDAN, GROUP, 2)],
    "alert_rate": lambda: [messages.alert_rate(JORDAN, GROUP, 0.5, 14)],
    "alert_review": lambda: [messages.alert_review(JORDAN, 4, 28)],
    "alert_weekly": lambda: [
        messages.alert_weekly(JORDAN, 5.5, 9, more, START + timedelta(days=3), NY)
        for more in (0, 1, 2)
    ],
    "alert_unreachable": lambda: [
        messages.alert_unreachable(JORDAN, channel) for channel in ("Slack", "Discord")
    ],
    "alert_sms_stopped": lambda: [messages.alert_sms_stopped(JORDAN)],
    "signoff_reminder": lambda: [messages.signoff_reminder(GROUP, START, NY)],
}


def test_every_template_is_rendered_here() -> None:
    """A new template must be added to `RENDER`, so that it is checked too."""
    assert set(RENDER) == set(TEMPLATES)
    assert set(TEMPLATES) >= CHANNEL_VISIBLE


def test_the_forbidden_words_cover_program_type_and_diagnosis() -> None:
    words = messages.FORBIDDEN_WORDS
    assert all(w == w.lower().strip() and w for w in words)
    for must in ("therapy", "iop", "intensive outpatient", "mental", "substance", "diagnos"):
        assert must in words


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_no_template_says_what_kind_of_program_this_is(name: str) -> None:
    for text in RENDER[name]():
        assert text.strip()
        lowered = text.lower()
        found = [w for w in messages.FORBIDDEN_WORDS if w in lowered]
        assert found == [], f"{name} says {found}: {text!r}"


@pytest.mark.parametrize("name", sorted(CHANNEL_VISIBLE))
def test_a_channel_visible_template_cannot_be_given_a_person(name: str) -> None:
    hints = typing.get_type_hints(TEMPLATES[name])
    hints.pop("return", None)
    assert Person not in hints.values(), f"{name} takes a Person: {hints}"


@pytest.mark.parametrize("name", sorted(CHANNEL_VISIBLE))
def test_a_channel_visible_message_names_and_counts_nobody(name: str) -> None:
    for text in RENDER[name]():
        _assert_names_nobody(text)


def test_the_session_open_post_as_queued_names_nobody() -> None:
    item = session_open_post(SESSION, GROUP, Program(timezone="America/New_York"))
    assert item.kind is Kind.SESSION_OPEN and item.person_id is None
    assert GROUP.name in item.text
    _assert_names_nobody(item.text)


def test_private_alerts_do_name_their_person() -> None:
    """The check above would see a name: the facilitator's private alerts carry one."""
    for name, render in RENDER.items():
        if name.startswith("alert_"):
            assert all(JORDAN.display_name in t for t in render()), name


def _assert_names_nobody(text: str) -> None:
    for person in (JORDAN, SAM):
        assert person.display_name not in text
        assert person.display_name.split()[0] not in text
        assert person.id not in text
    assert "{" not in text and "}" not in text  # no placeholder left unfilled
    assert "display_name" not in text
    assert str(len(GROUP.participants)) not in text  # nobody counted out


# -- each channel in its own words ---------------------------------------------------
CHAT_COMMAND = re.compile(r"(?<![\w/.:])/[a-z]+\b")

#: direct messages, which may go by any channel (posts only go to a group's chat channel)
DIRECT = {
    name: render
    for name, render in RENDER.items()
    if name not in CHANNEL_VISIBLE and name not in {"for_channel", "relative"}
}


def _digest() -> list[str]:
    return [digest_text(GROUP, SESSION, NY, [messages.alert_consecutive(JORDAN, GROUP, 2)])]


@pytest.mark.parametrize("name", sorted(RENDER))
@pytest.mark.parametrize("channel", messages.CHANNELS)
def test_no_template_discloses_the_kind_of_program_on_any_channel(name: str, channel: str) -> None:
    for template in RENDER[name]() + _digest():
        text = messages.for_channel(template, channel, link="https://x.example/r/tok").lower()
        assert not [w for w in messages.FORBIDDEN_WORDS if w in text]


@pytest.mark.parametrize("name", sorted(DIRECT))
@pytest.mark.parametrize("channel", ["sms", "email"])
def test_no_chat_command_goes_by_sms_or_email(name: str, channel: str) -> None:
    for template in DIRECT[name]() + _digest():
        for link in ("https://x.example/r/tok", None):
            text = messages.for_channel(template, channel, link=link)
            assert not CHAT_COMMAND.findall(text), (name, channel, text)


def test_each_channel_says_how_to_tell_us_in_its_own_words() -> None:
    def at(minutes: int) -> str:
        return messages.reminder(GROUP, SESSION, NY, START - timedelta(minutes=minutes))

    text = at(15)
    assert "send /absent" in messages.for_channel(text, "chat")
    assert "Reply 1 if you can't make it" in messages.for_channel(text, "sms")
    email = messages.for_channel(text, "email", link="https://x.example/r/tok")
    assert "https://x.example/r/tok" in email
    assert "in 15 minutes (6:00 PM EST)" in text and text.count("EST") == 1
    assert "in 1 minute (" in at(1)
    assert "tomorrow at 6:00 PM EST" in at(24 * 60)


def test_the_chat_command_check_catches_one() -> None:
    assert CHAT_COMMAND.findall("please send /absent now")
    assert not CHAT_COMMAND.findall("open https://x.example/r/tok and 1/2")


# -- the program's name never goes in a message ---------------------------------------
#: where every text sent to a person is written: the core (templates, command answers,
#: SMS replies) and the adapters that send DMs, texts and e-mails
MESSAGE_SOURCES = (
    "bot/core",
    "adapters/sms",
    "adapters/email",
    "adapters/slack",
    "adapters/discord",
)


def _program_name_uses(source: str) -> list[int]:
    """Lines reading `[program] name`: `….program.name`, `program.name` or a
    `program_name`."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and node.attr == "name":
            owner = node.value
            if (isinstance(owner, ast.Name) and owner.id == "program") or (
                isinstance(owner, ast.Attribute) and owner.attr == "program"
            ):
                found.append(node.lineno)
        elif (
            (isinstance(node, ast.Name) and node.id == "program_name")
            or (isinstance(node, ast.Attribute) and node.attr == "program_name")
            or (isinstance(node, ast.keyword | ast.arg) and node.arg == "program_name")
        ):
            found.append(node.lineno)
    return sorted(set(found))


def test_no_sms_email_or_dm_text_includes_the_program_name() -> None:
    """`[program] name` may itself be a program-type word ("Evening IOP"), and a text or
    an e-mail shows on lock screens: no template, reply or adapter that writes a
    message reads it (the web dashboard and the CLI, for staff, may)."""
    root = Path(__file__).resolve().parents[2]
    offenders = []
    for folder in MESSAGE_SOURCES:
        files = sorted((root / folder).rglob("*.py"))
        assert files, folder
        for path in files:
            for line in _program_name_uses(path.read_text(encoding="utf-8")):
                offenders.append(f"{path.relative_to(root)}:{line}")
    assert offenders == []


def test_the_program_name_check_catches_one() -> None:
    assert _program_name_uses("t = f'{services.program.name}: reply 1'") == [1]
    assert _program_name_uses("def f(program): return program.name + ':'") == [1]
    assert _program_name_uses("x = pages(program_name=n)\ny = program_name") == [1, 2]
    assert _program_name_uses("t = group.name + person.display_name") == []
