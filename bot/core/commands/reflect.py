"""The participant's side of a recorded-content make-up: the "I've watched it" button on
/makeup opens a short reflection; sending it (with "yes, I watched all of it") makes the
missed session `made_up` (flag `makeup_recorded`). See bot.core.attendance.alternatives."""

from __future__ import annotations

from bot.core.actions import Action, Button, Reply
from bot.core.attendance.alternatives import (
    DONE,
    RECORDED,
    REFLECTION_PREFIX,
    TAKEAWAY,
    WATCHED,
    key,
    offered,
    reflection_form,
)
from bot.core.attendance.surveys import MAX_TEXT, NO, YES
from bot.core.context import Context
from bot.core.domain import AuditEntry, EvidenceKind, LedgerEntry, Session
from bot.core.errors import UserError
from bot.core.timeutil import day_date_time

NOT_OFFERED = "There's no recording waiting for you for that session; send /makeup to see yours."


async def _offered_session(ctx: Context, session_id: str) -> Session:
    if session_id not in await offered(ctx.store, ctx.person.id):
        raise UserError(NOT_OFFERED)
    return await ctx.services.sessions.get(session_id)


async def _name(ctx: Context, session: Session) -> str:
    group = await ctx.store.get_group(session.group_id)
    return f"{group.name if group else session.group_id}, {day_date_time(session.start, ctx.tz)}"


async def offered_buttons(ctx: Context) -> list[Button]:
    """One "I've watched it" button per recording offered and not yet reflected on."""
    out = []
    for sid in await offered(ctx.store, ctx.person.id):
        session = await ctx.store.get_session(sid)
        if session is not None:
            when = day_date_time(session.start, ctx.tz)
            out.append(
                Button(
                    label=f"I've watched the recording for {when}",
                    action="reflect",
                    value=sid,
                    style="primary",
                )
            )
    return out


async def reflect_button(ctx: Context) -> list[Action]:
    """value: the missed session's id. Opens the reflection (a form where the platform
    has one; its Answer button where it has not)."""
    session = await _offered_session(ctx, ctx.extra["value"])
    return [
        Reply(
            text=f"Two quick questions about the recording for {await _name(ctx, session)}.",
            survey=reflection_form(session),
            buttons=(Button(label="Answer", action="reflect", value=session.id, style="primary"),),
        )
    ]


async def submit_reflection(ctx: Context) -> list[Action]:
    """A submitted reflection (ctx.extra "session_id" is REFLECTION_PREFIX + the missed
    session's id). Stores one ledger entry (the free text as its erasable note) and
    recomputes the missed session; without a "yes" to the first question, nothing."""
    session_id = ctx.extra["session_id"].removeprefix(REFLECTION_PREFIX)
    if session_id not in await offered(ctx.store, ctx.person.id):
        mine = await ctx.store.evidence(
            session_id=session_id, person_id=ctx.person.id, kinds=[EvidenceKind.MAKEUP_ALTERNATIVE]
        )
        if any(e.data.get("stage") == DONE for e in mine):
            return ctx.reply("You've already sent this reflection — thank you!")
        raise UserError(NOT_OFFERED)
    session = await ctx.services.sessions.get(session_id)
    answers = {
        k.removeprefix("answer:"): v.strip()
        for k, v in ctx.extra.items()
        if k.startswith("answer:")
    }
    if set(answers) - {WATCHED, TAKEAWAY}:
        raise UserError("That form has changed; please open it again from /makeup.")
    watched = answers.get(WATCHED, "").lower()
    takeaway = answers.get(TAKEAWAY, "")
    if len(takeaway) > MAX_TEXT:
        raise UserError(f"Please keep the answer to {MAX_TEXT} characters.")
    if watched not in YES | NO:
        raise UserError("Please answer yes or no: did you watch the whole recording?")
    if watched in NO:
        return ctx.reply(
            "Thank you. Once you've watched all of it, send /makeup again to tell us; "
            "it counts then."
        )
    entry = LedgerEntry(
        key=key(DONE, session.id, ctx.person.id, RECORDED),
        kind=EvidenceKind.MAKEUP_ALTERNATIVE,
        group_id=session.group_id,
        session_id=session.id,
        person_id=ctx.person.id,
        actor_id=ctx.person.id,
        at=ctx.at,
        recorded_at=ctx.services.clock.now(),
        source=ctx.actor.platform,
        data={"kind": RECORDED, "stage": DONE},
    )
    (new,) = await ctx.services.recorder.append([entry], notes=[takeaway or None])
    if new:
        await ctx.store.append_audit(
            AuditEntry(
                at=ctx.services.clock.now(),
                actor_id=ctx.person.id,
                action="makeup.recorded",
                target=f"{session.id}/{ctx.person.id}",
                detail={"kind": RECORDED, "stage": DONE},
            )
        )
        await ctx.services.recorder.recompute(session, [ctx.person.id])
    return ctx.reply(f"Thank you — {await _name(ctx, session)} now counts as made up.")
