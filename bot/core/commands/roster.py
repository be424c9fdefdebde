"""/roster: the facilitator's private, live view of the session open now."""

from __future__ import annotations

from bot.core.actions import Action, Reply
from bot.core.attendance.roster import build_roster, render_roster
from bot.core.commands.people import managed_groups
from bot.core.context import Context
from bot.core.domain import AuditEntry, Session


async def roster(ctx: Context) -> list[Action]:
    groups = [ctx.group] if ctx.group else await managed_groups(ctx)
    sessions = await ctx.services.sessions.open_sessions([g.id for g in groups], ctx.at)
    if not sessions:
        return ctx.reply("No session is open right now in your groups.")
    return [await roster_reply(ctx, s) for s in sessions]


async def roster_reply(ctx: Context, session: Session, *, replace: bool = False) -> Reply:
    view = await build_roster(ctx.services.recorder, session, ctx.tz, ctx.at)
    await ctx.store.append_audit(
        AuditEntry(
            at=ctx.services.clock.now(),
            actor_id=ctx.person.id,
            action="roster.view",
            target=session.id,
            detail={"platform": ctx.actor.platform},
        )
    )
    return Reply(text=render_roster(view, ctx.tz), view=view, replace_original=replace)
