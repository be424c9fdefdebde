"""Real-shaped Discord payloads (API v10) for the stand-in gateway and REST API."""

from __future__ import annotations

import itertools
from typing import Any

APP_ID = "900000000000000001"
BOT_ID = "900000000000000002"
JOINED = "2026-01-05T12:00:00.000000+00:00"

_ids = itertools.count(1_000_000_000_000_000_000)


def snowflake() -> str:
    return str(next(_ids))


def user(uid: str, name: str = "someone", *, bot: bool = False) -> dict[str, Any]:
    return {
        "id": uid,
        "username": name,
        "discriminator": "0",
        "global_name": name,
        "avatar": None,
        "bot": bot,
        "flags": 0,
        "public_flags": 0,
    }


def bot_user() -> dict[str, Any]:
    return {**user(BOT_ID, "rollcall", bot=True), "verified": True, "mfa_enabled": False}


def member(uid: str, name: str = "someone", *, bot: bool = False) -> dict[str, Any]:
    return {
        "user": user(uid, name, bot=bot),
        "nick": None,
        "avatar": None,
        "roles": [],
        "joined_at": JOINED,
        "premium_since": None,
        "deaf": False,
        "mute": False,
        "pending": False,
        "flags": 0,
    }


def application() -> dict[str, Any]:
    return {
        "id": APP_ID,
        "name": "rollcall",
        "icon": None,
        "description": "",
        "summary": "",
        "bot_public": False,
        "bot_require_code_grant": False,
        "verify_key": "0" * 64,
        "flags": 0,
        "owner": user("900000000000000003", "owner"),
        "team": None,
    }


def voice_state(
    channel_id: str | None,
    uid: str,
    *,
    guild_id: str | None = None,
    name: str = "someone",
    self_video: bool = False,
    self_stream: bool = False,
    self_mute: bool = False,
    self_deaf: bool = False,
    session_id: str | None = None,
    with_member: bool = True,
) -> dict[str, Any]:
    d: dict[str, Any] = {
        "channel_id": channel_id,
        "user_id": uid,
        "session_id": session_id or f"vs-{uid}",
        "deaf": False,
        "mute": False,
        "self_deaf": self_deaf,
        "self_mute": self_mute,
        "self_video": self_video,
        "self_stream": self_stream,
        "suppress": False,
        "request_to_speak_timestamp": None,
    }
    if guild_id is not None:
        d["guild_id"] = guild_id
        if with_member:
            d["member"] = member(uid, name)
    return d


def text_channel(cid: str, guild_id: str, name: str = "group") -> dict[str, Any]:
    return {
        "id": cid,
        "type": 0,
        "guild_id": guild_id,
        "name": name,
        "position": 0,
        "permission_overwrites": [],
        "nsfw": False,
        "parent_id": None,
        "topic": None,
        "last_message_id": None,
        "rate_limit_per_user": 0,
    }


def voice_channel(cid: str, guild_id: str, name: str = "group room") -> dict[str, Any]:
    return {
        "id": cid,
        "type": 2,
        "guild_id": guild_id,
        "name": name,
        "position": 1,
        "permission_overwrites": [],
        "nsfw": False,
        "parent_id": None,
        "bitrate": 64000,
        "user_limit": 0,
        "rtc_region": None,
        "video_quality_mode": 1,
        "last_message_id": None,
        "rate_limit_per_user": 0,
    }


def guild_create(
    guild_id: str,
    *,
    channels: list[dict[str, Any]],
    voice_states: list[dict[str, Any]] = (),  # type: ignore[assignment]
    members: list[dict[str, Any]] = (),  # type: ignore[assignment]
) -> dict[str, Any]:
    return {
        "id": guild_id,
        "name": "Program server",
        "icon": None,
        "owner_id": "900000000000000003",
        "roles": [
            {
                "id": guild_id,
                "name": "@everyone",
                "permissions": "0",
                "position": 0,
                "color": 0,
                "hoist": False,
                "managed": False,
                "mentionable": False,
                "flags": 0,
            }
        ],
        "channels": channels,
        "voice_states": list(voice_states),
        "members": [member(BOT_ID, "rollcall", bot=True), *members],
        "member_count": 2 + len(members),
        "large": False,
        "unavailable": False,
        "features": [],
        "emojis": [],
        "stickers": [],
        "threads": [],
        "stage_instances": [],
        "guild_scheduled_events": [],
        "soundboard_sounds": [],
        "presences": [],
        "premium_tier": 0,
        "preferred_locale": "en-US",
        "joined_at": JOINED,
        "verification_level": 0,
        "default_message_notifications": 0,
        "explicit_content_filter": 0,
        "mfa_level": 0,
        "nsfw_level": 0,
        "system_channel_flags": 0,
        "afk_timeout": 300,
        "afk_channel_id": None,
        "system_channel_id": None,
    }


def ready(session_id: str, resume_url: str, guild_ids: list[str]) -> dict[str, Any]:
    return {
        "v": 10,
        "user": bot_user(),
        "guilds": [{"id": g, "unavailable": True} for g in guild_ids],
        "session_id": session_id,
        "resume_gateway_url": resume_url,
        "application": {"id": APP_ID, "flags": 0},
        "private_channels": [],
        "relationships": [],
    }


def _interaction(
    kind: int, data: dict[str, Any], uid: str, *, guild_id: str | None, channel: dict[str, Any]
) -> dict[str, Any]:
    iid = snowflake()
    out: dict[str, Any] = {
        "id": iid,
        "application_id": APP_ID,
        "type": kind,
        "token": f"token-{iid}",
        "version": 1,
        "data": data,
        "channel_id": channel["id"],
        "channel": channel,
        "locale": "en-US",
        "app_permissions": "0",
        "entitlements": [],
        "attachment_size_limit": 8388608,
        "authorizing_integration_owners": {"0": guild_id or "0"},
        "context": 0 if guild_id else 1,
    }
    if guild_id:
        out["guild_id"] = guild_id
        out["guild_locale"] = "en-US"
        out["member"] = {**member(uid), "permissions": "0"}
    else:
        out["user"] = user(uid)
    return out


def dm_channel(cid: str, uid: str) -> dict[str, Any]:
    return {"id": cid, "type": 1, "recipients": [user(uid)], "last_message_id": None, "flags": 0}


def slash(
    name: str,
    uid: str,
    *,
    guild_id: str | None,
    channel: dict[str, Any],
    options: list[dict[str, Any]] = (),  # type: ignore[assignment]
    resolved: dict[str, Any] | None = None,
) -> dict[str, Any]:
    data: dict[str, Any] = {"id": snowflake(), "name": name, "type": 1, "options": list(options)}
    if guild_id:
        data["guild_id"] = guild_id
    if resolved:
        data["resolved"] = resolved
    return _interaction(2, data, uid, guild_id=guild_id, channel=channel)


def user_option(name: str, uid: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """An option and the `resolved` block that goes with it."""
    return (
        {"name": name, "type": 6, "value": uid},
        {"users": {uid: user(uid)}, "members": {uid: {**member(uid), "permissions": "0"}}},
    )


def component(
    custom_id: str,
    uid: str,
    *,
    message: dict[str, Any],
    guild_id: str | None,
    channel: dict[str, Any],
    component_type: int = 2,
    values: list[str] | None = None,
) -> dict[str, Any]:
    data: dict[str, Any] = {"custom_id": custom_id, "component_type": component_type}
    if values is not None:
        data["values"] = values
    out = _interaction(3, data, uid, guild_id=guild_id, channel=channel)
    out["message"] = message
    return out


def modal_submit(
    custom_id: str,
    uid: str,
    answers: dict[str, str | list[str]],
    *,
    guild_id: str | None,
    channel: dict[str, Any],
) -> dict[str, Any]:
    """Answers by component custom_id: a string for a text input, a list for a select."""
    components = []
    for cid, answer in answers.items():
        inner: dict[str, Any]
        if isinstance(answer, list):
            inner = {"type": 3, "custom_id": cid, "values": answer}
        else:
            inner = {"type": 4, "custom_id": cid, "value": answer}
        components.append({"type": 18, "component": inner})
    data = {"custom_id": custom_id, "components": components}
    return _interaction(5, data, uid, guild_id=guild_id, channel=channel)
