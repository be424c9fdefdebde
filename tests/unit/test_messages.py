"""Every template rollcall sends on its own, on every channel: no program-type words,
and no chat command where the channel can't run one (SMS, e-mail)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.core.domain import Group, Person, Session
from bot.core.outreach import messages
from bot.core.outreach.digest import digest_text

NY = ZoneInfo("America/New_York")
NOW = datetime(2026, 11, 30, 22, 0, tzinfo=UTC)
GROUP = Group(id="ga", name="Group A")
PERSON = Person(id="p-001", display_name="J.")
SESSION = Session(
    id="s1", group_id="ga", start=NOW + timedelta(hours=1), end=NOW + timedelta(hours=4)
)
CHAT_COMMAND = re.compile(r"(?<![\w/.:])/[a-z]+\b")


def _templates() -> dict[str, str]:
    out = {
        "survey_invite": messages.survey_invite(GROUP),
        "nudge": messages.nudge(GROUP, [("Group B", NOW + timedelta(days=1))], NY),
        "nudge_none": messages.nudge(GROUP, [], NY),
        "alert_consecutive": messages.alert_consecutive(PERSON, GROUP, 2),
        "alert_rate": messages.alert_rate(PERSON, GROUP, 0.5, 14),
        "alert_review": messages.alert_review(PERSON, 3, 28),
        "alert_weekly": messages.alert_weekly(PERSON, 3.0, 9, 2, NOW, NY),
        "alert_weekly_lost": messages.alert_weekly(PERSON, 3.0, 9, 0, NOW, NY),
        "alert_unreachable": messages.alert_unreachable(PERSON, "chat"),
        "digest": digest_text(
            GROUP, SESSION, NY, [messages.alert_consecutive(PERSON, GROUP, 2), "K. …"]
        ),
    }
    for minutes in (1, 15, 24 * 60, 3 * 24 * 60, 9 * 24 * 60):
        out[f"reminder_{minutes}"] = messages.reminder(
            GROUP, SESSION, NY, SESSION.start - timedelta(minutes=minutes)
        )
    return out


#: direct messages, which may go by any channel
TEMPLATES = _templates()
#: posts in a group's chat channel (never SMS or e-mail)
POSTS = {"session_open": messages.session_open(GROUP)}


@pytest.mark.parametrize("name", sorted(TEMPLATES | POSTS))
@pytest.mark.parametrize("channel", messages.CHANNELS)
def test_no_template_discloses_the_kind_of_program(name: str, channel: str) -> None:
    template = (TEMPLATES | POSTS)[name]
    text = messages.for_channel(template, channel, link="https://x.example/r/tok").lower()
    assert not [w for w in messages.FORBIDDEN_WORDS if w in text]


@pytest.mark.parametrize("name", sorted(TEMPLATES))
@pytest.mark.parametrize("channel", ["sms", "email"])
def test_no_chat_command_goes_by_sms_or_email(name: str, channel: str) -> None:
    for link in ("https://x.example/r/tok", None):
        text = messages.for_channel(TEMPLATES[name], channel, link=link)
        assert not CHAT_COMMAND.findall(text), (name, channel, text)


def test_each_channel_says_how_to_tell_us_in_its_own_words() -> None:
    text = TEMPLATES["reminder_15"]
    assert "send /absent" in messages.for_channel(text, "chat")
    assert "Reply 1 if you can't make it" in messages.for_channel(text, "sms")
    email = messages.for_channel(text, "email", link="https://x.example/r/tok")
    assert "https://x.example/r/tok" in email
    assert "in 15 minutes (6:00 PM EST)" in text and text.count("EST") == 1
    assert "in 1 minute (" in TEMPLATES["reminder_1"]
    assert "tomorrow at 6:00 PM EST" in TEMPLATES[f"reminder_{24 * 60}"]


def test_the_chat_command_check_catches_one() -> None:
    assert CHAT_COMMAND.findall("please send /absent now")
    assert not CHAT_COMMAND.findall("open https://x.example/r/tok and 1/2")
