"""The ``[[people]]`` and ``[[groups]]`` parts of the config, and the checks across them.

Standard library only; used by `bot.config`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import time

from bot.config.parse import (
    Reader,
    Table,
)
from bot.config.values import (
    check_email,
    check_id,
    check_rrule,
    check_slack_channel,
    check_slack_user,
    check_snowflake,
    check_timezone,
    normalize_phone,
    normalize_quiet_hours,
    normalize_zoom_meeting_id,
    parse_time_of_day,
    quote,
)
from bot.core.domain import Group, Person, Role, Schedule

PERSON_KEYS = (
    "id", "display_name", "role", "slack_user_id", "discord_user_id", "zoom_email", "email",
    "phone", "timezone", "quiet_hours", "channels", "aliases", "zoom_registrant_id",
)  # fmt: skip
GROUP_KEYS = (
    "id", "name", "schedule", "facilitators", "participants", "slack_channel", "discord_guild_id",
    "discord_text_channel_id", "discord_voice_channel_id", "zoom_meeting_id", "capacity",
)  # fmt: skip
SCHEDULE_KEYS = ("rrule", "start", "minutes")
#: notification channels a person may list, in no particular order
CHANNELS = ("chat", "email", "sms")
ROLES = tuple(r.value for r in Role)
_STAFF = frozenset({Role.FACILITATOR, Role.ADMIN})


def read_people(root: Table) -> tuple[Person, ...]:
    return tuple(_person(t) for t in root.tables("people", PERSON_KEYS))


def read_groups(root: Table) -> tuple[Group, ...]:
    return tuple(_group(t) for t in root.tables("groups", GROUP_KEYS))


def _person(t: Table) -> Person:
    t.require("id", "display_name")
    channels = t.strings("channels", ("chat",))
    if not channels:
        t.error("channels", f"must list at least one of {', '.join(CHANNELS)}")
    for channel in channels:
        if channel not in CHANNELS:
            t.error("channels", f"must be among {', '.join(CHANNELS)}, got {quote(channel)}")
    email = t.opt_string("email", check=check_email)
    phone = t.opt_string("phone", check=normalize_phone)
    for channel, key in (("email", "email"), ("sms", "phone")):
        if channel in channels and not t.has(key):
            t.error("channels", f"{quote(channel)} is listed but {t.at(key)} is not set")
    return Person(
        id=t.string("id", check=check_id),
        display_name=t.string("display_name"),
        role=Role(t.choice("role", ROLES, Role.PARTICIPANT.value)),
        slack_user_id=t.opt_string("slack_user_id", check=check_slack_user),
        discord_user_id=t.opt_string("discord_user_id", allow_int=True, check=check_snowflake),
        zoom_email=t.opt_string("zoom_email", check=check_email),
        email=email,
        phone=phone,
        timezone=t.opt_string("timezone", check=check_timezone),
        quiet_hours=t.opt_string("quiet_hours", check=normalize_quiet_hours),
        channels=channels or ("chat",),
        aliases=t.strings("aliases"),
        zoom_registrant_id=t.opt_string("zoom_registrant_id"),
    )


def _schedule(t: Table | None) -> Schedule | None:
    if t is None:
        return None
    t.require(*SCHEDULE_KEYS)
    start = t.parsed("start", parse_time_of_day)
    return Schedule(
        rrule=t.string("rrule", check=check_rrule),
        start=start if start is not None else time(0),
        minutes=t.integer("minutes", 0, lo=1, hi=24 * 60),
    )


def _group(t: Table) -> Group:
    t.require("id", "name")
    return Group(
        id=t.string("id", check=check_id),
        name=t.string("name"),
        schedule=_schedule(t.table("schedule", SCHEDULE_KEYS)),
        facilitators=t.strings("facilitators"),
        participants=t.strings("participants"),
        slack_channel=t.opt_string("slack_channel", check=check_slack_channel),
        discord_guild_id=t.opt_string("discord_guild_id", allow_int=True, check=check_snowflake),
        discord_text_channel_id=t.opt_string(
            "discord_text_channel_id", allow_int=True, check=check_snowflake
        ),
        discord_voice_channel_id=t.opt_string(
            "discord_voice_channel_id", allow_int=True, check=check_snowflake
        ),
        zoom_meeting_id=t.opt_string(
            "zoom_meeting_id", allow_int=True, check=normalize_zoom_meeting_id
        ),
        capacity=t.opt_integer("capacity", lo=1),
    )


def check_unique(
    reader: Reader,
    collection: str,
    key: str,
    values: Sequence[str | None],
    *,
    fold: bool = False,
    show: bool = True,
) -> None:
    """Report a value that an earlier item of `collection` already uses.
    `fold` compares case-insensitively; `show=False` keeps personal data out of the message."""
    seen: dict[str, int] = {}
    for i, value in enumerate(values):
        if value is None:
            continue
        norm = value.casefold() if fold else value
        if norm in seen:
            what = f"duplicate {quote(value)}" if show else "duplicate value"
            reader.error(
                f"{collection}[{i}].{key}", f"{what}, already used by {collection}[{seen[norm]}]"
            )
        else:
            seen[norm] = i


def check_roster(reader: Reader, people: Sequence[Person], groups: Sequence[Group]) -> None:
    """Ids are unique, identities map to one person each, groups name existing people."""
    check_unique(reader, "people", "id", [p.id for p in people])
    check_unique(reader, "people", "slack_user_id", [p.slack_user_id for p in people])
    check_unique(reader, "people", "discord_user_id", [p.discord_user_id for p in people])
    zoom_emails = [p.zoom_email for p in people]
    check_unique(reader, "people", "zoom_email", zoom_emails, fold=True, show=False)
    check_unique(reader, "people", "zoom_registrant_id", [p.zoom_registrant_id for p in people])
    check_unique(reader, "groups", "id", [g.id for g in groups])
    # a channel, voice room or meeting bound to two groups would make presence ambiguous
    for key in ("slack_channel", "discord_text_channel_id", "discord_voice_channel_id"):
        check_unique(reader, "groups", key, [getattr(g, key) for g in groups])
    check_unique(reader, "groups", "zoom_meeting_id", [g.zoom_meeting_id for g in groups])

    by_id = {p.id: p for p in people}
    for gi, group in enumerate(groups):
        path = f"groups[{gi}]"
        for pid in group.facilitators:
            person = by_id.get(pid)
            if person is None:
                reader.error(f"{path}.facilitators", f"unknown person {quote(pid)}")
            elif person.role not in _STAFF:
                reader.error(
                    f"{path}.facilitators",
                    f"{quote(pid)} is a {person.role.value}, not a facilitator or admin",
                )
        for pid in group.participants:
            if pid not in by_id:
                reader.error(f"{path}.participants", f"unknown person {quote(pid)}")
            elif pid in group.facilitators:
                reader.error(f"{path}.participants", f"{quote(pid)} is also a facilitator here")
        if group.capacity is not None and len(group.participants) > group.capacity:
            reader.error(
                f"{path}.participants",
                f"{len(group.participants)} participants exceed capacity {group.capacity}",
            )
