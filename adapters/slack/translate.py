"""Slack payloads → core events, core actions → Slack payloads. Pure: no I/O, no SDK.

Payloads are the parsed JSON (or form fields) Slack sends; what comes back is the
dict a Web API call, an ack or a `response_url` post takes.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from datetime import datetime, tzinfo
from typing import Any

from adapters.slack.blocks import (
    ANSWER_ACTION,
    QUESTION_PREFIX,
    notice_modal,
    parse_action_id,
    roster_blocks,
    survey_modal,
    text_blocks,
)
from bot.core.actions import ChannelPost, DirectMessage, Reply, SurveyForm
from bot.core.commands import normalize
from bot.core.events import Actor, ButtonPressed, CommandInvoked, PresenceHint, SurveySubmitted

PLATFORM = "slack"

_USER_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
_ENTITIES = (("&lt;", "<"), ("&gt;", ">"), ("&amp;", "&"))


def normalise_text(text: str) -> str:
    """Mentions as bare `<@U123>` tokens (the label, a name, is dropped), and Slack's
    escaping of &, < and > undone."""
    text = _USER_MENTION.sub(lambda m: f"<@{m.group(1)}>", text)
    for entity, char in _ENTITIES:
        text = text.replace(entity, char)
    return text.strip()


def _str(payload: Mapping[str, Any], key: str) -> str:
    value = payload.get(key)
    return value if isinstance(value, str) else ""


def is_dm_channel(channel_id: str, channel_name: str = "") -> bool:
    return channel_id.startswith("D") or channel_name == "directmessage"


def command_event(form: Mapping[str, Any], *, at: datetime) -> CommandInvoked:
    """A slash command (the form fields Slack posts, or a Socket Mode payload)."""
    channel_id = _str(form, "channel_id")
    return CommandInvoked(
        actor=Actor(platform=PLATFORM, user_id=_str(form, "user_id")),
        command=normalize(_str(form, "command")),
        text=normalise_text(_str(form, "text")),
        channel_id=channel_id or None,
        is_dm=is_dm_channel(channel_id, _str(form, "channel_name")),
        at=at,
        request_id=f"slack:{_str(form, 'trigger_id') or _str(form, 'response_url')}",
    )


def _user_id(body: Mapping[str, Any]) -> str:
    user = body.get("user")
    if isinstance(user, Mapping):
        return _str(user, "id")
    return _str(body, "user_id")


def _channel_id(body: Mapping[str, Any]) -> str | None:
    channel = body.get("channel")
    if isinstance(channel, Mapping) and _str(channel, "id"):
        return _str(channel, "id")
    container = body.get("container")
    if isinstance(container, Mapping) and _str(container, "channel_id"):
        return _str(container, "channel_id")
    return None


def button_event(
    body: Mapping[str, Any], action: Mapping[str, Any], *, at: datetime
) -> ButtonPressed | None:
    """A block action on one of our buttons or overflow menus; None if it isn't ours."""
    name = parse_action_id(_str(action, "action_id"))
    if name is None:
        return None
    value = _str(action, "value")
    if _str(action, "type") in ("overflow", "static_select"):
        selected = action.get("selected_option")
        raw = _str(selected, "value") if isinstance(selected, Mapping) else ""
        name, _, value = raw.partition(":")
        if not name:
            return None
    stamp = _str(action, "action_ts") or _str(body, "trigger_id")
    return ButtonPressed(
        actor=Actor(platform=PLATFORM, user_id=_user_id(body)),
        action=name,
        value=value,
        channel_id=_channel_id(body),
        at=at,
        request_id=f"slack:{_str(body, 'trigger_id')}:{stamp}",
    )


def _answer(element: Mapping[str, Any]) -> str:
    selected = element.get("selected_option")
    if isinstance(selected, Mapping):
        return _str(selected, "value")
    return _str(element, "value")


def survey_event(body: Mapping[str, Any], *, at: datetime) -> SurveySubmitted | None:
    """A submitted survey modal; None if the view isn't one of ours or has no session."""
    view = body.get("view")
    if not isinstance(view, Mapping) or not _str(view, "private_metadata"):
        return None
    state = view.get("state")
    values = state.get("values") if isinstance(state, Mapping) else None
    answers: list[tuple[str, str]] = []
    if isinstance(values, Mapping):
        for block_id, elements in values.items():
            if not str(block_id).startswith(QUESTION_PREFIX) or not isinstance(elements, Mapping):
                continue
            element = elements.get(ANSWER_ACTION)
            if not isinstance(element, Mapping):
                continue
            answer = _answer(element).strip()
            if answer:
                answers.append((str(block_id)[len(QUESTION_PREFIX) :], answer))
    return SurveySubmitted(
        actor=Actor(platform=PLATFORM, user_id=_user_id(body)),
        session_id=_str(view, "private_metadata"),
        answers=tuple(answers),
        at=at,
        request_id=f"slack:{_str(body, 'trigger_id') or _str(view, 'id')}",
    )


# --- out ---------------------------------------------------------------------------------


def reply_message(reply: Reply, tz: tzinfo) -> dict[str, Any]:
    """An ack body or `response_url` post: private (ephemeral) unless the reply says not."""
    if reply.view is not None:
        text = f"Roster: {reply.view.title}"
        blocks = roster_blocks(reply.view, tz)
    else:
        text, blocks = reply.text, text_blocks(reply.text, reply.buttons)
    message: dict[str, Any] = {
        "response_type": "ephemeral" if reply.ephemeral else "in_channel",
        "text": text[:3000],
        "blocks": blocks,
    }
    if reply.replace_original:
        message["replace_original"] = True
    return message


def survey_view(form: SurveyForm) -> dict[str, Any]:
    return survey_modal(form)


def submitted_view(reply_text: str) -> dict[str, Any]:
    """What the survey modal turns into once answered."""
    return notice_modal("Thank you", reply_text)


#: the message metadata event type rollcall's DMs carry (their `key` is `message_tag`)
METADATA_EVENT = "rollcall_message"


def message_tag(key: str) -> str:
    """What a DM's metadata carries to find it again: a digest of the outbox key, which
    names no one (the key holds ids; the digest does not show them)."""
    return hashlib.sha256(f"rollcall-message:{key}".encode()).hexdigest()[:32]


def dm_message(message: DirectMessage) -> dict[str, Any]:
    """chat.postMessage arguments (besides the channel) for a DM, with metadata tagging it
    as this outbox message (conversations.history finds it after a crash)."""
    return {
        "text": message.text[:3000],
        "blocks": text_blocks(message.text, message.buttons),
        "metadata": {
            "event_type": METADATA_EVENT,
            "event_payload": {"key": message_tag(message.key)},
        },
    }


def has_tagged(history: Mapping[str, Any], tag: str) -> bool:
    """Whether a conversations.history answer (`include_all_metadata`) holds a message
    tagged `tag` (any shape it may have: missing or odd fields are no match)."""
    messages = history.get("messages")
    if not isinstance(messages, list):
        return False
    for m in messages:
        meta = m.get("metadata") if isinstance(m, Mapping) else None
        if not isinstance(meta, Mapping) or meta.get("event_type") != METADATA_EVENT:
            continue
        payload = meta.get("event_payload")
        if isinstance(payload, Mapping) and payload.get("key") == tag:
            return True
    return False


def channel_message(post: ChannelPost) -> dict[str, Any]:
    return {"text": post.text[:3000], "blocks": text_blocks(post.text)}


# --- events ------------------------------------------------------------------------------


def huddle_event(event: Mapping[str, Any], *, at: datetime) -> PresenceHint | None:
    """`user_huddle_changed`: the user is (or no longer is) in *some* huddle. Slack never
    says which channel's, nor who else is there, so this is a hint, not presence."""
    user = event.get("user")
    if not isinstance(user, Mapping) or not _str(user, "id"):
        return None
    profile = user.get("profile")
    profile = profile if isinstance(profile, Mapping) else {}
    return PresenceHint(
        actor=Actor(platform="slack", user_id=_str(user, "id")),
        source="slack_huddle",
        active=_str(profile, "huddle_state") == "in_a_huddle",
        at=at,
    )


def home_opened_user(event: Mapping[str, Any]) -> str | None:
    """The user who opened our Home tab (None for the Messages tab)."""
    if _str(event, "tab") not in ("", "home"):
        return None
    return _str(event, "user") or None
