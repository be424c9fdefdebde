"""/roster: the facilitator's private roll call of the session open now, or the end pass
of the most recent one that ended within `signoff_reminder_hours` and awaits sign-off."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import timedelta

from bot.core.actions import Action, Reply
from bot.core.attendance.roster import build_roster, render_roster
from bot.core.attendance.signoff import signoff_of
from bot.core.commands.people import managed_groups
from bot.core.context import Context
from bot.core.domain import AuditEntry, Group, Session
from bot.core.errors import UserError


async def _end_pass_sessions(ctx: Context, groups: list[Group]) -> list[Session]:
    hours = timedelta(hours=ctx.services.program.policy.signoff_reminder_hours)
    out = []
    for g in groups:
        s = await ctx.services.sessions.recent_session([g.id], ctx.at)
        if s is None or s.end > ctx.at or ctx.at - s.end > hours:
            continue
        if await signoff_of(ctx.store, s.id) is None:
            out.append(s)
    return out


async def roster(ctx: Context) -> list[Action]:
    groups = [ctx.group] if ctx.group else await managed_groups(ctx)
    sessions = await ctx.services.sessions.open_sessions([g.id for g in groups], ctx.at)
    if sessions:
        return [await roster_reply(ctx, s) for s in sessions]
    ended = await _end_pass_sessions(ctx, groups)
    if not ended:
        return ctx.reply("No session is open right now in your groups.")
    return [await roster_reply(ctx, s) for s in ended]


#: the marks a roster shows where a platform shows one set at a time (RosterView.marking)
MARKINGS = ("status", "participation")


async def roster_reply(
    ctx: Context,
    session: Session,
    *,
    replace: bool = False,
    page: int = 0,
    marking: str = "status",
) -> Reply:
    """The roster, once its view is in the audit log: the audit row is written while the
    roster is worked out (its fsync overlaps the reads and the computing) and is durable
    before the reply, or an error, goes out; a failed audit fails the view."""
    end_pass = session.end <= ctx.at and await signoff_of(ctx.store, session.id) is None
    audited = asyncio.ensure_future(
        ctx.store.append_audit(
            AuditEntry(
                at=ctx.services.clock.now(),
                actor_id=ctx.person.id,
                action="roster.view",
                target=session.id,
                detail={"platform": ctx.actor.platform},
            )
        )
    )
    try:
        view = await build_roster(
            ctx.services.recorder,
            session,
            ctx.tz,
            ctx.at,
            page=page,
            end_pass=end_pass,
            survey=ctx.services.survey,
        )
    finally:
        # never left running past the handler (its failure is raised just below)
        await asyncio.gather(audited, return_exceptions=True)
    await audited
    view = dataclasses.replace(view, marking=marking)
    return Reply(text=render_roster(view, ctx.tz), view=view, replace_original=replace)


async def page_button(ctx: Context) -> list[Action]:
    """A roster's page control: value "session|page[|marking]" (marking: which marks a
    platform that shows one set at a time shows, see RosterView.marking)."""
    try:
        session_id, page, *rest = ctx.extra["value"].split("|")
        number = int(page)
    except ValueError:
        raise UserError("That button is out of date; run /roster again.") from None
    marking = rest[0] if rest else "status"
    if len(rest) > 1 or marking not in MARKINGS:
        raise UserError("That button is out of date; run /roster again.")
    session = await ctx.services.sessions.get(session_id)
    if session.group_id not in {g.id for g in await managed_groups(ctx)}:
        raise PermissionError
    return [await roster_reply(ctx, session, replace=True, page=number, marking=marking)]
