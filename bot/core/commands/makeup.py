"""/makeup and its booking button: offer sessions with room, book one as a ledger entry."""

from __future__ import annotations

from bot.core.actions import Action, Button, Reply
from bot.core.attendance.alternatives import WORDS, allowed
from bot.core.attendance.makeup import LOOK_BACK, MISSED, booking_for, options
from bot.core.commands.reflect import offered_buttons
from bot.core.context import Context
from bot.core.domain import EvidenceKind, Flag, Session, SessionState, Status
from bot.core.errors import UserError
from bot.core.timeutil import day_date_time


async def last_missed(ctx: Context) -> Session | None:
    since = ctx.at - LOOK_BACK
    for r in reversed(await ctx.store.records(person_id=ctx.person.id, start_from=since)):
        if r.status not in MISSED:
            continue
        s = await ctx.store.get_session(r.session_id)
        # a session still to come counts when they told us they'll miss it
        noticed = r.status is Status.EXCUSED or Flag.LATE_NOTICE in r.flags
        if s is None or (s.end > ctx.at and not noticed):
            continue
        if await booking_for(ctx.store, s.id, ctx.person.id) is None:
            return s
    return None


def _ask_line(ctx: Context) -> str:
    """The alternatives the program allows, for a participant to ask their facilitator."""
    kinds = allowed(ctx.services.program.policy.makeup_alternatives)
    if not kinds:
        return ""
    return (
        f"Your facilitator can also offer {' or '.join(WORDS[k] for k in kinds)} instead — "
        "ask them."
    )


async def makeup_command(ctx: Context) -> list[Action]:
    """Recordings offered (and not yet reflected on) first, then the sessions with room
    for the last missed session, then the alternatives the program allows."""
    watched = await offered_buttons(ctx)
    missed = await last_missed(ctx)
    if missed is None and not watched:
        return ctx.reply("You have no missed session to make up right now. Thank you!")
    lines: list[str] = []
    buttons: list[Button] = list(watched)
    if watched:
        lines.append(
            "Your facilitator offered you a recording as a make-up. Once you've watched it, "
            "press the button for two quick questions; then it counts."
        )
    if missed is not None:
        found = await options(ctx.store, missed, ctx.person.id, ctx.at)
        when = day_date_time(missed.start, ctx.tz)
        if found:
            lines.append(f"To make up {when}, pick one:")
        else:
            lines.append(f"There's no session with room to make up {when} in the next two weeks.")
        for s in found:
            group = await ctx.store.get_group(s.group_id)
            name = group.name if group else s.group_id
            buttons.append(
                Button(
                    label=f"{name} — {day_date_time(s.start, ctx.tz)}",
                    action="makeup",
                    value=f"{missed.id}|{s.id}",
                    style="primary",
                )
            )
        if ask := _ask_line(ctx):
            lines.append(ask)
    return [Reply(text="\n".join(lines), buttons=tuple(buttons))]


async def book_button(ctx: Context) -> list[Action]:
    try:
        missed_id, option_id = ctx.extra["value"].split("|")
    except ValueError:
        raise UserError("That button is out of date; send /makeup again.") from None
    missed = await ctx.services.sessions.get(missed_id)
    option = await ctx.services.sessions.get(option_id)
    if option.start <= ctx.at or option.state is not SessionState.SCHEDULED:
        raise UserError("That session has already started; send /makeup for other options.")
    allowed = await options(ctx.store, missed, ctx.person.id, ctx.at)
    if option.id not in {s.id for s in allowed}:
        raise UserError("That session is full now; send /makeup for other options.")
    record = await ctx.store.records(session_id=missed.id, person_id=ctx.person.id)
    if not record or record[0].status not in MISSED:
        raise UserError("That session doesn't need a make-up.")
    entry = ctx.own_evidence(
        EvidenceKind.MAKEUP_BOOKING,
        option,
        f"makeup:{missed.id}:{ctx.person.id}",
        {"makeup_for": missed.id},
    )
    (new,) = await ctx.services.recorder.append([entry])
    if not new:
        return ctx.reply("You've already booked a make-up for that session.")
    group = await ctx.store.get_group(option.group_id)
    name = group.name if group else option.group_id
    return ctx.reply(
        f"Booked: {name}, {day_date_time(option.start, ctx.tz)}. "
        "Check in there as usual; it will count for the session you missed."
    )
