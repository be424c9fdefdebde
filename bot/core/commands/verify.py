"""/verify and the roster's mark buttons: a facilitator's decision overrides."""

from __future__ import annotations

from bot.core import limits
from bot.core.actions import Action
from bot.core.attendance.signoff import signoff_of
from bot.core.commands.offer import made_up
from bot.core.commands.people import enrolled_group_ids, managed_groups, resolve_person
from bot.core.commands.roster import roster_reply
from bot.core.context import Context
from bot.core.domain import (
    VERIFIABLE,
    AuditEntry,
    EvidenceKind,
    LedgerEntry,
    Participation,
    Person,
    Role,
    Session,
    Status,
)
from bot.core.errors import UserError
from bot.core.timeutil import day_date_time

#: what /verify may set, in the order platforms offer them
STATUS_CHOICES = tuple(s.value for s in Status if s in VERIFIABLE or s is Status.MADE_UP)

USAGE = (
    "Usage: /verify @person present|late|partial|absent|excused "
    "[participation=high|medium|low] [minutes=N] [note]; "
    "/verify @person participation=high|medium|low (participation only); "
    "/verify @person made_up kind=recorded|one_on_one [note] (a make-up)"
)
_KEYED = ("participation=", "minutes=")


def parse_status(word: str) -> Status:
    try:
        status = Status(word.lower())
    except ValueError:
        status = None
    if status is None or status not in VERIFIABLE:
        raise UserError(f"{word!r} isn't a status I know. {USAGE}")
    return status


async def verify(ctx: Context) -> list[Action]:
    if len(ctx.args) < 2:
        raise UserError(USAGE)
    target = await resolve_person(ctx, ctx.args[0])
    if ctx.args[1].lower() == "made_up":
        return await made_up(ctx, target, ctx.args[2:])
    # no status word: a participation mark only (the status stays computed)
    keyed_first = ctx.args[1].lower().startswith(_KEYED)
    status = None if keyed_first else parse_status(ctx.args[1])
    rest = ctx.args[1:] if keyed_first else ctx.args[2:]
    participation: Participation | None = None
    minutes: int | None = None
    while rest and rest[0].lower().startswith(_KEYED):
        key, _, value = rest.pop(0).partition("=")
        if key.lower() == "minutes":
            minutes = _parse_minutes(value)
            continue
        try:
            participation = Participation(value.lower())
        except ValueError:
            raise UserError(f"participation must be high, medium or low. {USAGE}") from None
    if status is None and (participation is None or minutes is not None):
        # minutes are attested with the status they go with
        raise UserError(
            f"Say the status too, e.g. /verify {ctx.args[0]} present minutes=170. {USAGE}"
        )
    if any(word.lower().startswith("kind=") for word in rest):
        raise UserError(f"kind= goes with made_up. {USAGE}")
    note = limits.note(" ".join(rest))
    session = await _target_session(ctx, target)
    if minutes is not None and minutes > session.minutes:
        raise UserError(f"minutes={minutes} is more than the session's {session.minutes} minutes.")
    signed = await signoff_of(ctx.store, session.id)
    if signed is not None and note is None:
        raise UserError(
            f"That session is signed off, so this is an amendment: add the reason, e.g. "
            f"/verify {' '.join(ctx.args[:2])} confirmed by phone."
        )
    await record_verification(
        ctx,
        session,
        target,
        status,
        participation,
        note,
        minutes=minutes,
        amendment=signed is not None,
    )
    group = await ctx.store.get_group(session.group_id)
    name = group.name if group else session.group_id
    what = (
        f"as {status.value}"
        if status is not None
        else f"with participation {participation.value if participation else ''}"
    )
    return ctx.reply(
        f"Recorded {target.display_name} {what} for {name}, {day_date_time(session.start, ctx.tz)}."
    )


def _parse_minutes(value: str) -> int:
    if not value.isdigit() or len(value) > 4:
        raise UserError(f"minutes must be a whole number of minutes, like minutes=170. {USAGE}")
    return int(value)


async def _target_session(ctx: Context, target: Person) -> Session:
    theirs = set(await enrolled_group_ids(ctx, target.id))
    mine = {g.id for g in await managed_groups(ctx)}
    if ctx.group is not None:
        mine &= {ctx.group.id}
    common = theirs & mine
    if not common:
        if ctx.person.role is not Role.ADMIN:
            # someone else's participant: the generic deny (audited), naming nobody
            raise PermissionError
        raise UserError(f"{target.display_name} isn't in a group you facilitate.")
    session = await ctx.services.sessions.recent_session(common, ctx.at)
    if session is None:
        raise UserError(f"{target.display_name}'s group hasn't had a session yet.")
    return session


async def record_verification(
    ctx: Context,
    session: Session,
    target: Person,
    status: Status | None,
    participation: Participation | None,
    note: str | None,
    *,
    minutes: int | None = None,
    amendment: bool = False,
) -> None:
    """One VERIFY entry and its audit row. `status` None: a participation mark only,
    which leaves the status computed from the evidence (bot.core.attendance.rules)."""
    entry = LedgerEntry(
        key=f"verify:{session.id}:{target.id}:{ctx.request_id}",
        kind=EvidenceKind.VERIFY,
        group_id=session.group_id,
        session_id=session.id,
        person_id=target.id,
        actor_id=ctx.person.id,
        at=ctx.at,
        recorded_at=ctx.services.clock.now(),
        source=ctx.actor.platform,
        data={
            **({"status": status.value} if status is not None else {}),
            "participation": participation.value if participation else None,
            **({"minutes": minutes} if minutes is not None else {}),
        },
    )
    (new,) = await ctx.services.recorder.append([entry], notes=[note])
    if not new:
        return
    await ctx.store.append_audit(
        AuditEntry(
            at=ctx.services.clock.now(),
            actor_id=ctx.person.id,
            action=(
                "attendance.amend"
                if amendment
                else "attendance.override"
                if status is not None
                else "attendance.participation"
            ),
            target=f"{session.id}/{target.id}",
            detail={
                "status": status.value if status else None,
                "participation": participation.value if participation else None,
                "minutes": minutes,
            },
        )
    )
    await ctx.services.recorder.recompute(session, [target.id])


def _button_value(ctx: Context) -> tuple[str, str, str, int]:
    """ "session|person|word[|page]" (the page a platform that pages the roster showed)."""
    parts = ctx.extra["value"].split("|")
    if len(parts) not in (3, 4) or (len(parts) == 4 and not parts[3].isdigit()):
        raise UserError("That button is out of date; run /roster again.")
    return parts[0], parts[1], parts[2], int(parts[3]) if len(parts) == 4 else 0


async def _button_target(ctx: Context, session_id: str, person_id: str) -> tuple[Session, Person]:
    session = await ctx.services.sessions.get(session_id)
    if session.group_id not in {g.id for g in await managed_groups(ctx)}:
        raise PermissionError
    target = await ctx.store.get_person(person_id)
    if target is None:
        raise UserError("That button is out of date; run /roster again.")
    if await signoff_of(ctx.store, session.id) is not None:
        raise UserError(
            "That session is signed off: a change now is an amendment and needs a reason. "
            f"/verify @{target.id} STATUS REASON"
        )
    return session, target


async def mark_button(ctx: Context) -> list[Action]:
    """A roster mark: value "session|person|status[|page]"; answers with the updated roster."""
    session_id, person_id, word, page = _button_value(ctx)
    session, target = await _button_target(ctx, session_id, person_id)
    status = parse_status(word)
    # the participation already marked stays (the latest participation mark counts)
    await record_verification(ctx, session, target, status, None, None)
    return [await roster_reply(ctx, session, replace=True, page=page)]


async def engage_button(ctx: Context) -> list[Action]:
    """A participation mark: value "session|person|level[|page]". It records the
    participation only; the status stays as the evidence (or an earlier status mark) has it."""
    session_id, person_id, word, page = _button_value(ctx)
    session, target = await _button_target(ctx, session_id, person_id)
    try:
        level = Participation(word)
    except ValueError:
        raise UserError("That button is out of date; run /roster again.") from None
    await record_verification(ctx, session, target, None, level, None)
    return [await roster_reply(ctx, session, replace=True, page=page, marking="participation")]
