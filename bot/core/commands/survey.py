"""/survey, its "Answer" button, and storing a submitted survey (one all-or-nothing write).

The form and the validation of each answer are in bot.core.attendance.surveys."""

from __future__ import annotations

import uuid

from bot.core.actions import Action, Button, Reply
from bot.core.attendance.surveys import clean_answer, done_key, form_for
from bot.core.context import Context
from bot.core.domain import ATTENDED, EvidenceKind, LedgerEntry, Session, SessionState
from bot.core.errors import UserError
from bot.core.timeutil import day_date_time


async def already_answered(ctx: Context, session_id: str) -> bool:
    entries = await ctx.store.evidence(
        session_id=session_id, person_id=ctx.person.id, kinds=[EvidenceKind.SURVEY]
    )
    return any(e.key == done_key(session_id, ctx.person.id) for e in entries)


async def last_attended(ctx: Context) -> Session | None:
    """The most recent started session the person attended or checked in to (records
    of ended sessions, check-ins of running ones)."""
    ids = {
        r.session_id
        for r in await ctx.store.records(person_id=ctx.person.id, start_to=ctx.at)
        if r.status in ATTENDED or r.checked_in_at is not None
    }
    ids |= {
        e.session_id
        for e in await ctx.store.evidence(person_id=ctx.person.id, kinds=[EvidenceKind.CHECKIN])
        if e.session_id
    }
    best: Session | None = None
    for sid in ids:
        s = await ctx.store.get_session(sid)
        if s is None or s.state is SessionState.CANCELLED or s.start > ctx.at:
            continue
        if best is None or s.start > best.start:
            best = s
    return best


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
    session = await last_attended(ctx)
    if session is None:
        return ctx.reply("There's no survey waiting for you right now.")
    return await offer(ctx, session)


async def survey_button(ctx: Context) -> list[Action]:
    session = await ctx.services.sessions.get(ctx.extra["value"])
    return await offer(ctx, session)


async def submit(ctx: Context) -> list[Action]:
    """Store a `SurveySubmitted` (ctx.extra: "session_id", and "answer:<question id>")."""
    session = await ctx.services.sessions.get(ctx.extra["session_id"])
    answers = {
        k.removeprefix("answer:"): v for k, v in ctx.extra.items() if k.startswith("answer:")
    }
    enrolled = {e.group_id for e in await ctx.store.enrollments(person_id=ctx.person.id)}
    if session.group_id not in enrolled and not await ctx.store.records(
        session_id=session.id, person_id=ctx.person.id
    ):  # a make-up guest of another group has a record there
        raise UserError("That survey isn't for a group you're in.")
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
