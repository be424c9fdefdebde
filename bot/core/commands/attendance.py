"""/attendance: a participant's own record."""

from __future__ import annotations

from collections import Counter

from bot.core.actions import Action
from bot.core.attendance.weekly import standing
from bot.core.context import Context
from bot.core.domain import ATTENDED, Status
from bot.core.words import plural


async def attendance(ctx: Context) -> list[Action]:
    now = ctx.at
    records = [
        r
        for r in await ctx.store.records(person_id=ctx.person.id, start_to=now)
        if (s := await ctx.store.get_session(r.session_id)) is not None and s.end <= now
    ]
    # a session still running counts nowhere below until it ends (and says so)
    groups = [e.group_id for e in await ctx.store.enrollments(person_id=ctx.person.id)]
    running = any(s.start <= now for s in await ctx.services.sessions.open_sessions(groups, now))
    counts = Counter(r.status for r in records)
    attended = sum(counts[s] for s in ATTENDED)
    week = await standing(ctx.store, ctx.services.program, ctx.person.id, now)
    policy = ctx.services.program.policy
    lines = [
        "Your attendance so far:",
        f"• attended {plural(attended, 'session')}",
        f"• missed {counts[Status.ABSENT]}, excused {counts[Status.EXCUSED]}, "
        f"made up {counts[Status.MADE_UP]}",
    ]
    if counts[Status.UNVERIFIED]:
        lines.append(f"• {counts[Status.UNVERIFIED]} waiting for your facilitator to confirm")
    lines.append(
        f"This week: {week.hours:.1f} of {policy.weekly_min_hours:g} hours, "
        f"{week.days} of {plural(policy.weekly_min_days, 'day')}."
    )
    if running:
        lines.append("Today's group is still running; it counts here once it ends.")
    return ctx.reply("\n".join(lines))
