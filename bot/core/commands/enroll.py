"""/enroll and /unenroll: rolling admission."""

from __future__ import annotations

import hashlib

from bot.core import limits
from bot.core.actions import Action
from bot.core.commands.people import group_named, managed_groups, parse_mention
from bot.core.context import Context
from bot.core.domain import Group, Person, Role
from bot.core.enrollment import set_enrollment
from bot.core.errors import UserError

USAGE_ENROLL = "Usage: /enroll @person [group]"
USAGE_UNENROLL = "Usage: /unenroll @person [group]"


async def _person_for_mention(ctx: Context, token: str, *, create: bool) -> Person:
    kind, ident, label = parse_mention(token)
    platform = ctx.actor.platform
    if kind == "platform" and platform not in ("console", "cli"):
        person = await ctx.store.find_person(platform=platform, user_id=ident)
        if person is None and create:
            digest = hashlib.sha256(f"{platform}:{ident}".encode()).hexdigest()[:8]
            person = Person(
                id=f"p-{digest}",
                display_name=limits.label(label or "new participant"),
                role=Role.PARTICIPANT,
                slack_user_id=ident if platform == "slack" else None,
                discord_user_id=ident if platform == "discord" else None,
            )
            await ctx.store.upsert_person(person)
    else:
        person = await ctx.store.get_person(ident)
    if person is None or person.forgotten:
        raise UserError("I don't know that person. Mention them, like @name.")
    return person


async def _target_groups(ctx: Context, token: str | None) -> list[Group]:
    mine = await managed_groups(ctx)
    group = await group_named(ctx, token)
    if group is not None:
        if group.id not in {g.id for g in mine}:
            raise PermissionError
        return [group]
    return mine


async def enroll(ctx: Context) -> list[Action]:
    if not ctx.args:
        raise UserError(USAGE_ENROLL)
    groups = await _target_groups(ctx, ctx.args[1] if len(ctx.args) > 1 else None)
    if len(groups) != 1:
        raise UserError(f"Which group? {USAGE_ENROLL}")
    person = await _person_for_mention(ctx, ctx.args[0], create=True)
    changed = await set_enrollment(
        ctx.store, ctx.person.id, person.id, groups[0].id, active=True, at=ctx.at
    )
    if not changed:
        return ctx.reply(f"{person.display_name} is already enrolled in {groups[0].name}.")
    return ctx.reply(f"Enrolled {person.display_name} in {groups[0].name}.")


async def unenroll(ctx: Context) -> list[Action]:
    if not ctx.args:
        raise UserError(USAGE_UNENROLL)
    groups = await _target_groups(ctx, ctx.args[1] if len(ctx.args) > 1 else None)
    person = await _person_for_mention(ctx, ctx.args[0], create=False)
    done = [
        g.name
        for g in groups
        if await set_enrollment(ctx.store, ctx.person.id, person.id, g.id, active=False, at=ctx.at)
    ]
    if not done:
        ever = {
            e.group_id for e in await ctx.store.enrollments(person_id=person.id, active_only=False)
        }
        if ctx.person.role is not Role.ADMIN and not ever & {g.id for g in groups}:
            raise PermissionError  # not one of theirs: the generic deny, naming nobody
        return ctx.reply(f"{person.display_name} isn't enrolled in a group you facilitate.")
    return ctx.reply(f"Unenrolled {person.display_name} from {', '.join(done)}.")
