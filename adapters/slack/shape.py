"""The shape of a signed interaction payload, checked before slack-bolt reads it.

bolt trusts the JSON inside `payload=`: a `view_submission` whose `view` has no
`type`, an `actions` that is not a list of objects, a `container` that is a number,
make its middleware raise, and its answer is a 500. Slack itself never sends such a
thing, so a payload of the wrong shape is refused with a 400 (and stores nothing).
Pure: the payload in, a reason or None out.
"""

from __future__ import annotations

import json
import urllib.parse
from typing import Any

#: where a field is present, the JSON type it must have
_OBJECTS = ("user", "team", "enterprise", "channel", "container", "view", "message", "state")
_STRINGS = ("type", "response_url", "trigger_id", "api_app_id", "token", "callback_id")
#: view fields bolt reads for view_submission / view_closed
_VIEW_STRINGS = ("id", "type", "callback_id", "private_metadata", "hash", "team_id", "app_id")
_ACTION_STRINGS = ("action_id", "block_id", "type", "value", "action_ts")


def _kind(value: Any, want: type) -> bool:
    return value is None or isinstance(value, want)


def payload_problem(body: str) -> str | None:
    """Why a form body's `payload` can't be an interaction, or None when it can (or when
    the body carries no payload: commands and events are bolt's to judge)."""
    try:
        form = urllib.parse.parse_qs(body, keep_blank_values=True, strict_parsing=False)
    except ValueError:
        return "not a form"
    raw = form.get("payload")
    if not raw:
        return None
    try:
        payload = json.loads(raw[0])
    except ValueError:
        return "payload is not JSON"
    if not isinstance(payload, dict):
        return "payload is not an object"
    for key in _OBJECTS:
        if not _kind(payload.get(key), dict):
            return f"{key} is not an object"
    for key in _STRINGS:
        if not _kind(payload.get(key), str):
            return f"{key} is not a string"
    kind = payload.get("type")
    if kind in ("view_submission", "view_closed"):
        view = payload.get("view")
        if not isinstance(view, dict):
            return "view is missing"
        for key in _VIEW_STRINGS:
            if not _kind(view.get(key), str):
                return f"view.{key} is not a string"
        if not isinstance(view.get("type"), str):
            return "view.type is missing"
    if "actions" in payload or kind == "block_actions":
        actions = payload.get("actions")
        if not isinstance(actions, list) or not actions:
            return "actions is not a list"
        for action in actions:
            if not isinstance(action, dict):
                return "an action is not an object"
            for key in _ACTION_STRINGS:
                if not _kind(action.get(key), str):
                    return f"action.{key} is not a string"
            if not isinstance(action.get("action_id"), str):
                return "action.action_id is missing"
    for key in ("user", "team", "channel", "enterprise"):
        part = payload.get(key)
        if isinstance(part, dict) and not _kind(part.get("id"), str):
            return f"{key}.id is not a string"
    return None


#: the fields Slack posts with a slash command (api.slack.com/interactivity/slash-commands)
COMMAND_FIELDS = frozenset(
    {
        "token",
        "team_id",
        "team_domain",
        "enterprise_id",
        "enterprise_name",
        "channel_id",
        "channel_name",
        "user_id",
        "user_name",
        "command",
        "text",
        "response_url",
        "trigger_id",
        "api_app_id",
        "is_enterprise_install",
    }
)


def slash_command(body: str, content_type: str | None) -> dict[str, str] | None:
    """A plain slash command's form, parsed as bolt parses it (`parse_body`: the last of
    a repeated field wins), or None for anything else: JSON, a `payload`, a command not
    starting with "/", a field Slack does not send with a command (`type`, `ssl_check`,
    `event`, …). Only such a form may skip bolt's dispatch: every bolt middleware
    passes it through unchanged and the one listener it matches is the command's."""
    if not body or body.startswith("{") or "payload" in body:
        return None
    # bolt reads JSON when the media type (`extract_content_type`: the header's first
    # value up to ";", kept as sent) is exactly "application/json" (`parse_body`)
    if content_type and content_type.split(";")[0] == "application/json":
        return None
    try:
        form = dict(urllib.parse.parse_qsl(body, keep_blank_values=True))
    except ValueError:
        return None
    command = form.get("command")
    if command is None or not command.startswith("/") or not form.keys() <= COMMAND_FIELDS:
        return None
    return form
