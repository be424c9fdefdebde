"""Resolving who a command is about, and which groups someone may act on."""

from __future__ import annotations

import re

from bot.core.context import Context
from bot.core.domain import Group, Person, Role
from bot.core.errors import UserError

_MENTION = re.compile(r"^<@!?([A-Za-z0-9_.-]+)(?:\|([^>]*))?>$")


def parse_mention(token: str) -> tuple[str, str, str | None]:
    """('platform', user id, label) for <@U1|label>, ('person', id, None) for @p-1 / p-1."""
    m = _MENTION.match(token)
    if m:
        return ("platform", m.group(1), m.group(2))
    return ("person", token.removeprefix("@"), None)


async def resolve_person(ctx: Context, token: str) -> Person:
    kind, ident, _ = parse_mention(token)
    person: Person | None
    if kind == "platform" and ctx.actor.platform not in ("console", "cli"):
        person = await ctx.store.find_person(platform=ctx.actor.platform, user_id=ident)
    else:
        person = await ctx.store.get_person(ident)
    if person is None or person.forgotten:
        raise UserError("I don't know that person. Mention them, like @name.")
    return person


async def managed_groups(ctx: Context) -> list[Group]:
    """Groups the actor runs: all for an admin, their own for a facilitator."""
    groups = await ctx.store.list_groups()
    if ctx.person.role is Role.ADMIN:
        return groups
    return [g for g in groups if ctx.person.id in g.facilitators]


async def enrolled_group_ids(ctx: Context, person_id: str) -> list[str]:
    return [e.group_id for e in await ctx.store.enrollments(person_id=person_id)]


async def group_named(ctx: Context, token: str | None) -> Group | None:
    """The group given as an argument (id or exact name), else the channel's group."""
    if token is None:
        return ctx.group
    g = await ctx.store.get_group(token)
    if g is None:
        for candidate in await ctx.store.list_groups():
            if candidate.name.lower() == token.lower():
                return candidate
        raise UserError(f"There's no group called {token!r}.")
    return g
