"""Every message rollcall sends on its own. Warm, short, and free of diagnosis or
program-type words (tests/unit/test_messages.py checks the list below)."""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo

from bot.core.domain import Group, Person, Session
from bot.core.timeutil import clock_time, day_date_time, day_time

#: words no template may contain (a DM or post must not disclose the kind of program)
FORBIDDEN_WORDS = (
    "therapy",
    "therapist",
    "iop",
    "intensive outpatient",
    "treatment",
    "mental",
    "psychiatric",
    "substance",
    "addiction",
    "recovery",
    "rehab",
    "diagnos",
    "patient",
    "clinic",
    "counsel",
)


def _span(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes % (24 * 60) == 0:
        days = minutes // (24 * 60)
        return "tomorrow" if days == 1 else f"in {days} days"
    if minutes % 60 == 0:
        hours = minutes // 60
        return f"in {hours} hour{'s' if hours != 1 else ''}"
    return f"in {minutes} minutes"


def reminder(group: Group, session: Session, tz: tzinfo, before: timedelta | None) -> str:
    """`before`: how long ahead this goes out, when exactly so (else no "in …")."""
    when = day_time(session.start, tz)
    starts = f"starts {_span(before)}, {when}" if before is not None else f"is on {when}"
    return (
        f"Reminder: {group.name} {starts}. If you can't make it, send /absent — no need to explain."
    )


def session_open(group: Group) -> str:
    return f"{group.name} is open. Use /checkin to let us know you're here."


def survey_invite(group: Group) -> str:
    return (
        f"Thanks for being part of {group.name} today. "
        "Would you answer a few quick questions? It takes a minute."
    )


def nudge(group: Group, options: list[tuple[str, datetime]], tz: tzinfo) -> str:
    lines = [
        f"We missed you today at {group.name}. We hope you're doing okay.",
    ]
    if options:
        lines.append("If you'd like to make it up, these have room:")
        lines += [f"• {name}, {day_date_time(at, tz)}" for name, at in options]
        lines.append("Send /makeup to book one, or just reply to your facilitator.")
    else:
        lines.append("Your facilitator can help you find a way to make it up.")
    return "\n".join(lines)


def alert_consecutive(person: Person, group: Group, missed: int) -> str:
    return (
        f"{person.display_name} has missed {missed} sessions of {group.name} in a row. "
        "A personal check-in may help."
    )


def alert_rate(person: Person, group: Group, rate: float, days: int) -> str:
    return (
        f"{person.display_name}'s attendance in {group.name} is {rate:.0%} over the last "
        f"{days} days."
    )


def alert_review(person: Person, absences: int, cycle_days: int) -> str:
    return (
        f"{person.display_name} has {absences} absences in this {cycle_days}-day cycle. "
        "Please plan a review with the coordinator (this is a prompt, not a penalty)."
    )


def alert_weekly(
    person: Person, hours: float, needed_hours: float, more_groups: int, by: datetime, tz: tzinfo
) -> str:
    local = by.astimezone(tz)
    if more_groups <= 0:
        tail = "can no longer reach the weekly minimum this week"
    else:
        tail = (
            f"needs {more_groups} more group{'s' if more_groups != 1 else ''} "
            f"by {local:%A} {clock_time(local)}"
        )
    return f"{person.display_name} has {hours:.1f} of {needed_hours:g} h this week; {tail}."


def alert_unreachable(person: Person, channel: str) -> str:
    return (
        f"I can't reach {person.display_name} by {channel} direct message. They'll get "
        "messages on their next channel, if they have one; you may want to check in."
    )
