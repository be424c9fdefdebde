"""What to send before a session: reminders (in each person's zone, outside their quiet
hours) and the session-open post. Pure: sessions and people in, outbox items out."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, time, timedelta, tzinfo

from bot.core.domain import Group, Person, Program, Session
from bot.core.outbox import Kind, OutboxItem
from bot.core.outreach import messages
from bot.core.settings import RemindersConfig
from bot.core.timeutil import zone

QuietHours = tuple[time, time]


def in_quiet(t: time, quiet: QuietHours) -> bool:
    start, end = quiet
    if start == end:
        return False
    if start < end:
        return start <= t < end
    return t >= start or t < end


def _at(day: datetime, t: time, tz: tzinfo) -> datetime:
    return datetime.combine(day.date(), t, tzinfo=tz)


def outside_quiet(
    due: datetime, tz: tzinfo, quiet: QuietHours | None, latest: datetime
) -> datetime:
    """`due`, or the nearest moment outside quiet hours: their end if that is before
    `latest`, else just before they began."""
    if quiet is None:
        return due
    local = due.astimezone(tz)
    if not in_quiet(local.time(), quiet):
        return due
    start, end = quiet
    end_at = _at(local, end, tz)
    if end_at <= local:
        end_at = _at(local + timedelta(days=1), end, tz)
    if end_at < latest:
        return end_at.astimezone(due.tzinfo)
    start_at = _at(local, start, tz)
    if start_at > local:
        start_at = _at(local - timedelta(days=1), start, tz)
    return (start_at - timedelta(minutes=1)).astimezone(due.tzinfo)


def person_quiet(person: Person, default: QuietHours | None) -> QuietHours | None:
    if not person.quiet_hours:
        return default
    try:
        a, b = person.quiet_hours.split("-")
        return (time.fromisoformat(a.strip()), time.fromisoformat(b.strip()))
    except ValueError:
        return default


def person_zone(person: Person, program: Program) -> tzinfo:
    return zone(person.timezone, program.timezone)


def reminder_key(session: Session, person_id: str, before: timedelta) -> str:
    """Bound to the start it was planned for: a session that moves gets new reminders,
    and the old ones are dropped when due (`planned_start`)."""
    start = int(session.start.timestamp())
    return f"reminder:{session.id}:{person_id}:{int(before.total_seconds())}:{start}"


def planned_start(key: str) -> datetime | None:
    """The session start a reminder was planned for (None for keys of older releases)."""
    tail = key.rsplit(":", 1)[-1]
    if key.count(":") < 4 or not tail.isdigit():
        return None
    return datetime.fromtimestamp(int(tail), tz=UTC)


def reminders_for(
    session: Session,
    group: Group,
    people: Sequence[Person],
    program: Program,
    reminders: RemindersConfig,
) -> list[OutboxItem]:
    items: list[OutboxItem] = []
    for person in people:
        if person.forgotten:
            continue
        tz = person_zone(person, program)
        quiet = person_quiet(person, reminders.quiet_hours)
        for before in reminders.before:
            exact = session.start - before
            due = outside_quiet(exact, tz, quiet, session.start)
            if due >= session.start:
                continue
            items.append(
                OutboxItem(
                    key=reminder_key(session, person.id, before),
                    kind=Kind.REMINDER,
                    person_id=person.id,
                    group_id=group.id,
                    session_id=session.id,
                    due_at=due,
                    # a reminder is worth sending near its time, and never after the
                    # start ("starts tomorrow" sent this morning would be wrong)
                    expires_at=min(session.start, due + before / 2),
                    # worded again when sent: relative words are true at that moment
                    text=messages.reminder(group, session, tz, due),
                )
            )
    return items


def session_open_post(session: Session, group: Group, program: Program) -> OutboxItem:
    return OutboxItem(
        key=f"session_open:{session.id}",
        kind=Kind.SESSION_OPEN,
        group_id=group.id,
        session_id=session.id,
        due_at=session.opens_at(program.policy),
        expires_at=session.end,
        text=messages.session_open(group),
    )
