"""`/verify @person made_up kind=recorded|one_on_one [note]`: a facilitator's make-up by
recorded content (an offer the participant completes with a reflection from /makeup) or
by a one-on-one check-in they held (made up at once). See
bot.core.attendance.alternatives."""

from __future__ import annotations

from bot.core import limits
from bot.core.actions import Action, DirectMessage, Reply
from bot.core.attendance.alternatives import (
    DONE,
    KINDS,
    OFFERED,
    ONE_ON_ONE,
    RECORDED,
    WORDS,
    allowed,
    key,
)
from bot.core.attendance.makeup import LOOK_BACK, MISSED
from bot.core.attendance.signoff import signoff_of
from bot.core.commands.people import enrolled_group_ids, managed_groups
from bot.core.context import Context
from bot.core.domain import AuditEntry, EvidenceKind, LedgerEntry, Person, Role, Session
from bot.core.errors import UserError
from bot.core.timeutil import day_date_time

USAGE = (
    "Usage: /verify @person made_up kind=recorded (offer recorded content: they send a "
    "short reflection from /makeup) or kind=one_on_one (you held a one-on-one check-in) [note]"
)


async def _missed_session(ctx: Context, target: Person) -> Session:
    """The target's most recent missed session (absent or excused, not made up) in a
    group the facilitator runs, within the make-up look-back."""
    mine = {g.id for g in await managed_groups(ctx)}
    if ctx.group is not None:
        mine &= {ctx.group.id}
    common = set(await enrolled_group_ids(ctx, target.id)) & mine
    if not common:
        if ctx.person.role is not Role.ADMIN:
            raise PermissionError  # someone else's participant: the generic deny
        raise UserError(f"{target.display_name} isn't in a group you facilitate.")
    records = await ctx.store.records(person_id=target.id, start_from=ctx.at - LOOK_BACK)
    for r in reversed(records):
        if r.group_id not in common or r.status not in MISSED:
            continue
        session = await ctx.store.get_session(r.session_id)
        if session is not None and session.start <= ctx.at:
            return session
    raise UserError(
        f"{target.display_name} has no missed session to make up in the last {LOOK_BACK.days} days."
    )


async def made_up(ctx: Context, target: Person, rest: list[str]) -> list[Action]:
    kind = ""
    while rest and rest[0].lower().startswith("kind="):
        kind = rest.pop(0).partition("=")[2].lower()
    if kind not in KINDS:
        raise UserError(f"Say which make-up. {USAGE}")
    if kind not in allowed(ctx.services.program.policy.makeup_alternatives):
        raise UserError(f"This program doesn't offer {WORDS[kind]} as a make-up.")
    note = limits.note(" ".join(rest))
    session = await _missed_session(ctx, target)
    signed = await signoff_of(ctx.store, session.id)
    if kind == ONE_ON_ONE and signed is not None and note is None:
        raise UserError(
            "That session is signed off, so this is an amendment: add the reason, e.g. "
            f"/verify {ctx.args[0]} made_up kind=one_on_one met on Thursday."
        )
    stage = OFFERED if kind == RECORDED else DONE
    entry = LedgerEntry(
        # an offer once per session and person; each one-on-one confirmation its own
        key=(
            key(stage, session.id, target.id, kind)
            if kind == RECORDED
            else f"{key(stage, session.id, target.id, kind)}:{ctx.request_id}"
        ),
        kind=EvidenceKind.MAKEUP_ALTERNATIVE,
        group_id=session.group_id,
        session_id=session.id,
        person_id=target.id,
        actor_id=ctx.person.id,
        at=ctx.at,
        recorded_at=ctx.services.clock.now(),
        source=ctx.actor.platform,
        data={"kind": kind, "stage": stage},
    )
    (new,) = await ctx.services.recorder.append([entry], notes=[note])
    group = await ctx.store.get_group(session.group_id)
    what = f"{group.name if group else session.group_id}, {day_date_time(session.start, ctx.tz)}"
    if not new:
        return ctx.reply(f"{target.display_name} was already offered {WORDS[kind]} for {what}.")
    await ctx.store.append_audit(
        AuditEntry(
            at=ctx.services.clock.now(),
            actor_id=ctx.person.id,
            action=(
                "attendance.amend"
                if signed is not None and stage == DONE
                else f"makeup.{'offer' if stage == OFFERED else kind}"
            ),
            target=f"{session.id}/{target.id}",
            detail={"kind": kind, "stage": stage},
        )
    )
    if kind == ONE_ON_ONE:
        await ctx.services.recorder.recompute(session, [target.id])
        return ctx.reply(
            f"Recorded a one-on-one check-in with {target.display_name} as the make-up for "
            f"{what}: that session now shows made up."
        )
    when = day_date_time(session.start, ctx.tz)
    return [
        Reply(
            text=f"Offered {target.display_name} recorded content as the make-up for {what}. "
            "It counts once they send the short reflection from /makeup."
        ),
        DirectMessage(
            person_id=target.id,
            text=f"Your facilitator has offered you a recording to make up your group of "
            f"{when}. Once you've watched it, send /makeup for two quick questions.",
            kind="notice",
            key=entry.key,
        ),
    ]
