"""/survey, its "Answer" button, and storing a submitted survey (one all-or-nothing write).

The form and the validation of each answer are in bot.core.attendance.surveys."""

from __future__ import annotations

import uuid

from bot.core.actions import Action, Button, Reply
from bot.core.attendance.alternatives import REFLECTION_PREFIX
from bot.core.attendance.surveys import clean_answer, done_key, form_for, invite_key
from bot.core.commands.reflect import submit_reflection
from bot.core.context import Context
from bot.core.domain import AuditEntry, EvidenceKind, LedgerEntry, Session, SessionState
from bot.core.errors import UserError
from bot.core.outbox import Kind, OutboxStatus
from bot.core.timeutil import day_date_time


async def already_answered(ctx: Context, session_id: str) -> bool:
    entries = await ctx.store.evidence(
        session_id=session_id, person_id=ctx.person.id, kinds=[EvidenceKind.SURVEY]
    )
    return any(e.key == done_key(session_id, ctx.person.id) for e in entries)


async def sent_surveys(ctx: Context) -> set[str]:
    """Ids of the sessions whose survey was sent (or is on its way) to the person."""
    return {
        i.session_id
        for i in await ctx.store.outbox_items(person_id=ctx.person.id, kind=Kind.SURVEY.value)
        if i.session_id
        and i.key == invite_key(i.session_id, ctx.person.id)
        and i.status is not OutboxStatus.DROPPED
    }


async def last_sent(ctx: Context) -> Session | None:
    """The most recent *ended* session whose survey the person was sent."""
    best: Session | None = None
    for sid in await sent_surveys(ctx):
        s = await ctx.store.get_session(sid)
        if s is None or s.state is not SessionState.ENDED:
            continue
        if best is None or s.start > best.start:
            best = s
    return best


async def _refuse(ctx: Context, session_id: str) -> list[Action]:
    """A survey that was never sent to this person: a clear answer and an audit row."""
    await ctx.store.append_audit(
        AuditEntry(
            at=ctx.services.clock.now(),
            actor_id=ctx.person.id,
            action="survey.refused",
            target=session_id,
            detail={"reason": "not_sent", "command": ctx.command},
        )
    )
    return ctx.reply("That survey wasn't sent to you, so I can't take answers for it.")


async def offer(ctx: Context, session: Session) -> list[Action]:
    if not ctx.services.survey:
        return ctx.reply("There's no survey for this group.")
    if await already_answered(ctx, session.id):
        return ctx.reply("You've already answered the survey for that session — thank you!")
    when = day_date_time(session.start, ctx.tz)
    return [
        Reply(
            text=f"A few quick questions about your group on {when}.",
            survey=form_for(session, ctx.services.survey),
            buttons=(Button(label="Answer", action="survey", value=session.id, style="primary"),),
        )
    ]


async def survey_command(ctx: Context) -> list[Action]:
    session = await last_sent(ctx)
    if session is None:
        return ctx.reply("There's no survey waiting for you right now.")
    return await offer(ctx, session)


async def survey_button(ctx: Context) -> list[Action]:
    session = await ctx.services.sessions.get(ctx.extra["value"])
    if session.id not in await sent_surveys(ctx):
        return await _refuse(ctx, session.id)
    return await offer(ctx, session)


async def submit(ctx: Context) -> list[Action]:
    """Store a `SurveySubmitted` (ctx.extra: "session_id", and "answer:<question id>");
    a make-up's reflection goes to bot.core.commands.reflect."""
    if ctx.extra["session_id"].startswith(REFLECTION_PREFIX):
        return await submit_reflection(ctx)
    session = await ctx.services.sessions.get(ctx.extra["session_id"])
    answers = {
        k.removeprefix("answer:"): v for k, v in ctx.extra.items() if k.startswith("answer:")
    }
    if session.id not in await sent_surveys(ctx):
        return await _refuse(ctx, session.id)  # stores nothing, changes no status
    if await already_answered(ctx, session.id):
        return ctx.reply("You've already answered this survey — thank you!")
    by_id = {q.id: q for q in ctx.services.survey}
    unknown = set(answers) - set(by_id)
    if unknown:
        raise UserError("That survey has changed; please open it again with /survey.")
    now = ctx.services.clock.now()
    cleaned = [(by_id[qid], *clean_answer(by_id[qid], raw)) for qid, raw in answers.items()]
    marker = LedgerEntry(
        key=done_key(session.id, ctx.person.id),
        kind=EvidenceKind.SURVEY,
        group_id=session.group_id,
        session_id=session.id,
        person_id=ctx.person.id,
        actor_id=ctx.person.id,
        at=ctx.at,
        recorded_at=now,
        source=ctx.actor.platform,
        data={"submitted": True},
    )
    entries: list[LedgerEntry] = [marker]
    notes: list[str | None] = [None]
    confirms = False
    for q, value, text in cleaned:
        if value is None and text is None:
            continue
        data: dict[str, str | int | bool | None] = {"question": q.id, "answer": value}
        if q.confirms_attendance and value is True:
            data["attended"] = True
            confirms = True
        entries.append(
            LedgerEntry(
                key=(
                    f"survey:{session.id}:{uuid.uuid4().hex}"
                    if q.anonymous
                    else f"survey:{session.id}:{ctx.person.id}:{q.id}"
                ),
                kind=EvidenceKind.SURVEY,
                group_id=session.group_id,
                session_id=session.id,
                person_id=None if q.anonymous else ctx.person.id,
                actor_id=None if q.anonymous else ctx.person.id,
                at=ctx.at,
                recorded_at=now,
                source=ctx.actor.platform,
                data=data,
            )
        )
        notes.append(text)
    # one write, all or nothing, guarded by the marker: a second submission (say, a
    # double click) adds nothing, and a crash leaves no half-stored survey
    stored = await ctx.services.recorder.append(entries, notes=notes, unit=True)
    if not stored[0]:
        return ctx.reply("You've already answered this survey — thank you!")
    if confirms:
        await ctx.services.recorder.recompute(session, [ctx.person.id])
    return ctx.reply("Thank you — your answers are saved.")
