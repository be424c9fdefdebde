"""/absent [date] [reason]: telling the program ahead of time."""

from __future__ import annotations

from datetime import timedelta

from bot.core import limits
from bot.core.actions import Action
from bot.core.attendance.makeup import options
from bot.core.commands.people import enrolled_group_ids
from bot.core.context import Context
from bot.core.domain import EvidenceKind, Session, SessionState
from bot.core.errors import UserError
from bot.core.timeutil import day_date_time, local_day_bounds, looks_like_date, parse_user_date


async def _sessions_on(ctx: Context, group_ids: list[str], words: list[str]) -> list[Session]:
    """The sessions the notice is for, and consume the date word if there is one."""
    today = ctx.at.astimezone(ctx.tz).date()
    day = parse_user_date(words[0], today) if words else None
    if day is None and words and looks_like_date(words[0]):
        raise UserError(
            f"I couldn't read the date {words[0]!r}. Try a date like 2026-12-03, 12/3, "
            "tomorrow or tue."
        )
    if day is not None:
        words.pop(0)
        start, end = local_day_bounds(day, ctx.tz)
        found: list[Session] = []
        for gid in group_ids:
            found += await ctx.store.list_sessions(
                group_id=gid, start_from=start, start_to=end, states=[SessionState.SCHEDULED]
            )
        return sorted((s for s in found if s.end > ctx.at), key=lambda s: s.start)
    open_now = await ctx.services.sessions.open_sessions(group_ids, ctx.at)
    if open_now:
        return open_now[:1]
    nxt = await ctx.services.sessions.next_session(group_ids, ctx.at - timedelta(hours=24))
    while nxt is not None and nxt.end <= ctx.at:
        nxt = await ctx.services.sessions.next_session(group_ids, nxt.start + timedelta(seconds=1))
    return [nxt] if nxt else []


async def absent(ctx: Context) -> list[Action]:
    group_ids = await enrolled_group_ids(ctx, ctx.person.id)
    if ctx.group is not None and ctx.group.id in group_ids:
        group_ids = [ctx.group.id]
    words = list(ctx.args)
    sessions = await _sessions_on(ctx, group_ids, words)
    if not sessions:
        return ctx.reply(
            "I couldn't find a session of yours then. "
            "Try `/absent` for your next one, or `/absent 2026-12-03`."
        )
    reason = limits.note(" ".join(words), "reason")
    policy = ctx.services.program.policy
    lines = []
    for s in sessions:
        group = await ctx.store.get_group(s.group_id)
        name = group.name if group else s.group_id
        when = day_date_time(s.start, ctx.tz)
        entry = ctx.own_evidence(EvidenceKind.ABSENCE_NOTICE, s, f"absence:{s.id}:{ctx.person.id}")
        (new,) = await ctx.services.recorder.append([entry], notes=[reason])
        if not new:
            lines.append(f"You've already let us know you'll miss {name} on {when}.")
            continue
        await ctx.services.recorder.recompute(s, [ctx.person.id])
        in_time = ctx.at <= s.start - timedelta(hours=policy.advance_notice_hours)
        if in_time:
            lines.append(f"Thanks for letting us know. You're excused from {name} on {when}.")
        else:
            lines.append(
                f"Thanks for letting us know. Your absence from {name} on {when} is noted; "
                f"it's less than {policy.advance_notice_hours:g} hours' notice, so your "
                "facilitator may follow up."
            )
    found = await options(ctx.store, sessions[0], ctx.person.id, ctx.at)
    if found:
        lines.append("To make it up, these have room:")
        for o in found[:3]:
            g = await ctx.store.get_group(o.group_id)
            lines.append(f"• {g.name if g else o.group_id}, {day_date_time(o.start, ctx.tz)}")
        lines.append("Send /makeup to book one. Take care.")
    else:
        lines.append("Your facilitator can help you find a way to make it up. Take care.")
    return ctx.reply("\n".join(lines))
