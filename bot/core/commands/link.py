"""/link GUEST_KEY @person: a guest the meeting platform saw is this person."""

from __future__ import annotations

from bot.core.actions import Action
from bot.core.attendance.guests import link_guest
from bot.core.commands.people import managed_groups, resolve_person
from bot.core.context import Context
from bot.core.errors import UserError

USAGE = "Usage: /link GUEST_KEY @person (the guest key is on /roster)"


def _is_mention(token: str) -> bool:
    return token.startswith(("<@", "@"))


async def link(ctx: Context) -> list[Action]:
    if len(ctx.args) != 2:
        raise UserError(USAGE)
    key, who = ctx.args
    if _is_mention(key) and not _is_mention(who):
        key, who = who, key
    target = await resolve_person(ctx, who)
    groups = await managed_groups(ctx)
    if ctx.group is not None:
        groups = [g for g in groups if g.id == ctx.group.id]
    result = await link_guest(
        ctx.services.recorder,
        guest_key=key,
        person_id=target.id,
        groups=groups,
        actor_id=ctx.person.id,
        source=ctx.actor.platform,
        request_id=ctx.request_id,
    )
    if not result.changed:
        return ctx.reply(f"Guest {key} is already linked to {target.display_name}.")
    updated = len(result.sessions)
    return ctx.reply(
        f"Linked guest {key} to {target.display_name} in {result.group.name}; "
        f"their time in the room now counts ({updated} session"
        f"{'' if updated == 1 else 's'} updated)."
    )
