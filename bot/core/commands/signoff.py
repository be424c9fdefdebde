"""/signoff [note] and the end pass's Sign off button: attest a session's record."""

from __future__ import annotations

from bot.core.actions import Action
from bot.core.attendance.signoff import SignOffResult, sign_off, summary
from bot.core.commands.people import managed_groups
from bot.core.context import Context
from bot.core.domain import Session
from bot.core.errors import UserError
from bot.core.timeutil import clock_time, day_time


async def _target(ctx: Context) -> Session:
    groups = [ctx.group] if ctx.group else await managed_groups(ctx)
    if not groups:
        raise PermissionError
    session = await ctx.services.sessions.recent_session([g.id for g in groups], ctx.at)
    if session is None:
        raise UserError("Your group hasn't had a session yet; there's nothing to sign off.")
    return session


async def _answer(ctx: Context, session: Session, result: SignOffResult) -> list[Action]:
    group = await ctx.store.get_group(session.group_id)
    name = f"{group.name if group else session.group_id}, {day_time(session.start, ctx.tz)}"
    if not result.new:
        who = await ctx.store.get_person(result.signoff.by)
        by = who.display_name if who else result.signoff.by
        when = day_time(result.signoff.at, ctx.tz)
        return ctx.reply(
            f"{name} was already signed off by {by} ({when}). To change a record now, "
            "/verify @person STATUS with the reason."
        )
    return ctx.reply(
        f"Signed off {name} at {clock_time(result.signoff.at.astimezone(ctx.tz))}: "
        f"{summary(result.records)}. A change from now on is an amendment: "
        "/verify @person STATUS with the reason."
    )


async def signoff(ctx: Context) -> list[Action]:
    session = await _target(ctx)
    result = await sign_off(
        ctx.services.recorder,
        session,
        actor_id=ctx.person.id,
        source=ctx.actor.platform,
        at=ctx.at,
        request_id=ctx.request_id,
        note=" ".join(ctx.args) or None,
    )
    return await _answer(ctx, session, result)


async def signoff_button(ctx: Context) -> list[Action]:
    """The end pass's Sign off control: value is the session id."""
    session = await ctx.services.sessions.get(ctx.extra["value"])
    if session.group_id not in {g.id for g in await managed_groups(ctx)}:
        raise PermissionError
    result = await sign_off(
        ctx.services.recorder,
        session,
        actor_id=ctx.person.id,
        source=ctx.actor.platform,
        at=ctx.at,
        request_id=ctx.request_id,
    )
    return await _answer(ctx, session, result)
