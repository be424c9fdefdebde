"""Checks across the roster once every entry is well-formed: ids are unique, identities map to
one person each, groups name existing people. Each problem is ``(key path, message)``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from bot.config.types import Loc
from bot.config.values import quote
from bot.core.domain import Role


class PersonTable(Protocol):
    """What the checks read of a `[[people]]` entry (bot.config.models.PersonTable)."""

    @property
    def id(self) -> str: ...

    @property
    def role(self) -> Role: ...

    @property
    def zoom_email(self) -> str | None: ...


class GroupTable(Protocol):
    """What the checks read of a `[[groups]]` entry (bot.config.models.GroupTable)."""

    @property
    def facilitators(self) -> Sequence[str]: ...

    @property
    def participants(self) -> Sequence[str]: ...

    @property
    def capacity(self) -> int | None: ...


_STAFF = frozenset({Role.FACILITATOR, Role.ADMIN})


def _unique(
    collection: str,
    key: str,
    values: Sequence[str | None],
    *,
    fold: bool = False,
    show: bool = True,
) -> list[tuple[Loc, str]]:
    """A value an earlier item of `collection` already uses. `fold` compares case-insensitively;
    `show=False` keeps personal data out of the message."""
    found: list[tuple[Loc, str]] = []
    seen: dict[str, int] = {}
    for i, value in enumerate(values):
        if value is None:
            continue
        norm = value.casefold() if fold else value
        if norm in seen:
            what = f"duplicate {quote(value)}" if show else "duplicate value"
            found.append(
                ((collection, i, key), f"{what}, already used by {collection}[{seen[norm]}]")
            )
        else:
            seen[norm] = i
    return found


def check_roster(
    people: Sequence[PersonTable], groups: Sequence[GroupTable]
) -> list[tuple[Loc, str]]:
    found: list[tuple[Loc, str]] = []
    for key in ("id", "slack_user_id", "discord_user_id", "zoom_registrant_id"):
        found += _unique("people", key, [getattr(p, key) for p in people])
    found += _unique("people", "zoom_email", [p.zoom_email for p in people], fold=True, show=False)
    # a channel, voice room or meeting bound to two groups would make presence ambiguous
    keys = ("id", "slack_channel", "discord_text_channel_id", "discord_voice_channel_id")
    for key in (*keys, "zoom_meeting_id"):
        found += _unique("groups", key, [getattr(g, key) for g in groups])
    by_id = {p.id: p for p in people}
    for gi, group in enumerate(groups):
        for pid in group.facilitators:
            person = by_id.get(pid)
            if person is None:
                found.append((("groups", gi, "facilitators"), f"unknown person {quote(pid)}"))
            elif person.role not in _STAFF:
                message = f"{quote(pid)} is a {person.role.value}, not a facilitator or admin"
                found.append((("groups", gi, "facilitators"), message))
        for pid in group.participants:
            if pid not in by_id:
                found.append((("groups", gi, "participants"), f"unknown person {quote(pid)}"))
            elif pid in group.facilitators:
                message = f"{quote(pid)} is also a facilitator here"
                found.append((("groups", gi, "participants"), message))
        if group.capacity is not None and len(group.participants) > group.capacity:
            message = f"{len(group.participants)} participants exceed capacity {group.capacity}"
            found.append((("groups", gi, "participants"), message))
    return found
