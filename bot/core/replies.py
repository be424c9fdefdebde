"""Replies by text: what a person answers to an SMS (PRODUCT.md "Replies by text and
e-mail"). `1`, `NO` or `CANT` gives notice of absence for the session the last texted
reminder was about (the notice rules apply); `STOP` stops texts, `START` resumes them,
`HELP` says what one can reply. Anything else gets the help line."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.core.actions import Action, Reply
from bot.core.context import Services
from bot.core.domain import EvidenceKind, LedgerEntry, Person, Session, SessionState
from bot.core.events import LinkNotice, TextReplied
from bot.core.outbox import Kind, OutboxStatus
from bot.core.timeutil import day_date_time, zone

ABSENT_WORDS = frozenset({"1", "no", "cant", "can't", "cannot"})
#: the outreach "channel" a STOP marks: texts are never sent while it stands
SMS_STOPPED = "sms:stop"


def normalise_number(number: str) -> str:
    """+1 (555) 012-3456 → +15550123456 (digits, and a leading + if there was one)."""
    text = number.strip()
    digits = "".join(c for c in text if c.isdigit())
    return ("+" if text.startswith("+") else "") + digits


async def person_by_phone(services: Services, number: str) -> Person | None:
    wanted = normalise_number(number)
    if len(wanted.lstrip("+")) < 6:
        return None
    for person in await services.store.list_people():
        if person.phone and not person.forgotten and normalise_number(person.phone) == wanted:
            return person
    return None


def help_text(services: Services) -> str:
    """The answer to HELP: the program's name, what one can reply and how to reach a
    person (`[program] contact`, else the facilitator)."""
    program = services.program
    human = (
        f"For anything else contact {program.contact}."
        if program.contact
        else "Your facilitator can help with anything else."
    )
    return (
        f"{program.name}: reply 1 if you can't make your next group, STOP to stop texts, "
        f"START to get them again. {human}"
    )


async def handle_text(services: Services, ev: TextReplied) -> list[Action]:
    person = await services.store.get_person(ev.person_id)
    if person is None or person.forgotten:
        return []
    word = " ".join(ev.text.split()).lower().strip(".! ")
    store = services.store
    if word in ("stop", "stopall", "unsubscribe", "end", "quit", "cancel"):
        await store.mark_unreachable(person.id, SMS_STOPPED, ev.at)
        return [Reply(text="You won't get texts from us any more. Reply START to resume.")]
    if word in ("start", "unstop"):
        await store.clear_unreachable(person.id, SMS_STOPPED)
        await store.clear_unreachable(person.id, "sms")
        return [Reply(text="Texts are back on. Reply STOP to stop them.")]
    if word in ABSENT_WORDS:
        return [Reply(text=await _absent(services, person, ev))]
    return [Reply(text=help_text(services))]


async def _last_texted_session(services: Services, person: Person) -> Session | None:
    sent = [
        i
        for i in await services.store.outbox_items(
            person_id=person.id, kind=Kind.REMINDER.value, status=OutboxStatus.SENT
        )
        if i.channel_used == "sms" and i.session_id
    ]
    sent.sort(key=lambda i: (i.finished_at or i.due_at, i.key))
    if not sent or sent[-1].session_id is None:
        return None
    return await services.store.get_session(sent[-1].session_id)


async def _absent(services: Services, person: Person, ev: TextReplied) -> str:
    session = await _last_texted_session(services, person)
    if session is None:
        return "I couldn't tell which group you mean. Your facilitator can help."
    return await give_notice(services, person, session, at=ev.at, source=ev.channel)


async def handle_link(services: Services, ev: LinkNotice) -> list[Action]:
    """The POST of a signed e-mail link: notice for the session it is bound to."""
    person = await services.store.get_person(ev.person_id)
    session = await services.store.get_session(ev.session_id)
    if person is None or person.forgotten or session is None:
        return [Reply(text="That link no longer works. Your facilitator can help.")]
    return [Reply(text=await give_notice(services, person, session, at=ev.at, source="email"))]


async def give_notice(
    services: Services, person: Person, session: Session, *, at: datetime, source: str
) -> str:
    """Record an absence notice as /absent does (its key, its rules); the answer."""
    group = await services.store.get_group(session.group_id)
    name = group.name if group else "your group"
    tz = zone(person.timezone, services.program.timezone)
    when = day_date_time(session.start, tz)
    if session.state is not SessionState.SCHEDULED or session.end <= at:
        return f"{name} on {when} has already taken place. Your facilitator can help."
    entry = LedgerEntry(
        key=f"absence:{session.id}:{person.id}",  # the key /absent uses: one notice
        kind=EvidenceKind.ABSENCE_NOTICE,
        group_id=session.group_id,
        session_id=session.id,
        person_id=person.id,
        actor_id=person.id,
        at=at,
        recorded_at=services.clock.now(),
        source=source,
        data={"via": "reply"},
    )
    (new,) = await services.recorder.append([entry], notes=[None])
    if not new:
        return f"You've already let us know you'll miss {name} on {when}. Take care."
    await services.recorder.recompute(session, [person.id])
    policy = services.program.policy
    if at <= session.start - timedelta(hours=policy.advance_notice_hours):
        return f"Thanks for letting us know. You're excused from {name} on {when}. Take care."
    return (
        f"Thanks for letting us know. Your absence from {name} on {when} is noted; your "
        "facilitator may follow up. Take care."
    )
