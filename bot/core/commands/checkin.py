"""/checkin and /checkout: a participant's own word that they are here."""

from __future__ import annotations

from bot.core import limits
from bot.core.actions import Action, Button, Reply
from bot.core.commands.people import enrolled_group_ids
from bot.core.context import Context
from bot.core.domain import EvidenceKind, Session
from bot.core.timeutil import clock_time, day_time


async def _candidate_groups(ctx: Context) -> list[str] | None:
    groups = await enrolled_group_ids(ctx, ctx.person.id)
    if ctx.group is not None:
        if ctx.group.id in groups:
            return [ctx.group.id]
        # a booked make-up in this group counts as being in it for that session
        booked = await booked_makeups_open(ctx)
        return [ctx.group.id] if any(s.group_id == ctx.group.id for s in booked) else None
    return groups


async def _no_session_text(ctx: Context, group_ids: list[str]) -> str:
    nxt = await ctx.services.sessions.next_session(group_ids, ctx.at)
    if nxt is None:
        return "No session is open right now, and none is scheduled for you yet."
    return f"No session is open right now; your next one is {day_time(nxt.start, ctx.tz)}"


async def booked_makeups_open(ctx: Context) -> list[Session]:
    """Other groups' sessions the person booked as a make-up, open now."""
    out = []
    for e in await ctx.store.evidence(person_id=ctx.person.id, kinds=[EvidenceKind.MAKEUP_BOOKING]):
        s = await ctx.store.get_session(e.session_id) if e.session_id else None
        if s is not None and s.is_open(ctx.at, ctx.services.program.policy):
            out.append(s)
    return out


async def checkin(ctx: Context) -> list[Action]:
    group_ids = await _candidate_groups(ctx)
    if group_ids is None:
        return ctx.reply("You're not enrolled in this group — ask your facilitator.")
    open_now = await ctx.services.sessions.open_sessions(group_ids, ctx.at)
    if not open_now:  # nothing of their own groups: a booked make-up, maybe
        open_now = [
            s
            for s in await booked_makeups_open(ctx)
            if ctx.group is None or s.group_id == ctx.group.id
        ]
    if not open_now:
        return ctx.reply(await _no_session_text(ctx, group_ids))
    if len(open_now) > 1:
        buttons = []
        for s in open_now:
            g = await ctx.store.get_group(s.group_id)
            label = f"{g.name if g else s.group_id} — {day_time(s.start, ctx.tz)}"
            buttons.append(Button(label=label, action="checkin", value=s.id, style="primary"))
        return [Reply(text="Which session are you checking in to?", buttons=tuple(buttons))]
    return await checkin_to(ctx, open_now[0], limits.note(" ".join(ctx.args)))


async def checkin_to(ctx: Context, session: Session, note: str | None) -> list[Action]:
    group = await ctx.store.get_group(session.group_id)
    name = group.name if group else session.group_id
    when = day_time(session.start, ctx.tz)
    recorder = ctx.services.recorder
    # A repeat (pressed twice, again after a reconnect) is answered from memory: no
    # write, no read. Otherwise the append decides — the ledger's unique key is the
    # truth across processes — and a refused duplicate is read back once.
    earlier = recorder.checked_in.get(session.id, ctx.person.id)
    if earlier is None:
        entry = ctx.own_evidence(
            EvidenceKind.CHECKIN, session, f"checkin:{session.id}:{ctx.person.id}"
        )
        (new,) = await recorder.append([entry], notes=[note])
        if new:
            # No recompute here: the session is open, so its records are derived when
            # someone looks (the roster, a report) and when it ends. This keeps the
            # check-in path to one durable write, for the top-of-the-hour storm.
            return ctx.reply(
                f"You're checked in to {name} ({when}) at "
                f"{clock_time(ctx.at.astimezone(ctx.tz))}. Welcome!"
            )
        earlier = await recorder.checkin_time(session.id, ctx.person.id)
    at = clock_time(earlier.astimezone(ctx.tz)) if earlier else "earlier"
    return ctx.reply(f"You already checked in to {name} ({when}) at {at}.")


async def checkout(ctx: Context) -> list[Action]:
    group_ids = await _candidate_groups(ctx) or []
    for session in await ctx.services.sessions.open_sessions(group_ids, ctx.at):
        checked_in = await ctx.store.evidence(
            session_id=session.id, person_id=ctx.person.id, kinds=[EvidenceKind.CHECKIN]
        )
        if not checked_in:
            continue
        entry = ctx.own_evidence(
            EvidenceKind.CHECKOUT, session, f"checkout:{session.id}:{ctx.person.id}"
        )
        (new,) = await ctx.services.recorder.append([entry])
        group = await ctx.store.get_group(session.group_id)
        name = group.name if group else session.group_id
        if not new:
            return ctx.reply(f"You already checked out of {name}.")
        return ctx.reply(
            f"You're checked out of {name} at {clock_time(ctx.at.astimezone(ctx.tz))}. "
            "Thanks for coming."
        )
    return ctx.reply("You haven't checked in to a session that's open now.")


async def checkin_button(ctx: Context) -> list[Action]:
    """The "Check in" button of a session-open post (its value is the session id)."""
    session = await ctx.services.sessions.get(ctx.extra["value"])
    enrolled = {e.group_id for e in await ctx.store.enrollments(person_id=ctx.person.id)}
    if session.group_id not in enrolled or not session.is_open(ctx.at, ctx.services.program.policy):
        return ctx.reply("That session isn't open for check-in any more.")
    return await checkin_to(ctx, session, None)
