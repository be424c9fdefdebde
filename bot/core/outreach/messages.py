"""Every message rollcall sends on its own. Warm, short, and free of diagnosis or
program-type words (tests/unit/test_messages.py checks the list below)."""

from __future__ import annotations

from datetime import datetime, tzinfo

from bot.core.domain import Group, Person, Session
from bot.core.timeutil import clock_time, day_date_time, time_in_zone
from bot.core.words import plural

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


#: the channels a DM may go out on; each says what to do in words it supports
CHANNELS = ("chat", "sms", "email")

#: how to say "you can't come" and "book a make-up", per channel. Templates are written
#: with the chat sentence; `for_channel` swaps it for the channel's own words.
CHAT_ABSENT = "If you can't make it, send /absent — no need to explain."
SMS_ABSENT = "Reply 1 if you can't make it — no need to explain."
EMAIL_ABSENT = "If you can't make it, open this link — no need to explain: {link}"
NO_LINK_ABSENT = "If you can't make it, just let your facilitator know — no need to explain."
CHAT_MAKEUP = "Send /makeup to book one, or just reply to your facilitator."
OTHER_MAKEUP = "Your facilitator can book one for you — just let them know."
CHAT_SIGNOFF = "Check it with /roster and sign off with /signoff."
OTHER_SIGNOFF = "Check it and sign it off from the group's roster in chat, or on the dashboard."


def for_channel(text: str, channel: str, *, link: str | None = None) -> str:
    """The message in words its channel supports (SMS can't run /absent; e-mail links)."""
    if channel == "chat":
        return text
    if channel == "sms":
        absent = SMS_ABSENT
    elif link:
        absent = EMAIL_ABSENT.format(link=link)
    else:
        absent = NO_LINK_ABSENT
    return (
        text.replace(CHAT_ABSENT, absent)
        .replace(CHAT_MAKEUP, OTHER_MAKEUP)
        .replace(CHAT_SIGNOFF, OTHER_SIGNOFF)
    )


def relative(start: datetime, now: datetime, tz: tzinfo) -> str:
    """When, from `now`: "in 15 minutes", "today at 6:00 PM EST", "tomorrow at …",
    "on Thursday at …", "on Thu Dec 10 at …". The zone is named once."""
    minutes = round((start - now).total_seconds() / 60)
    at = time_in_zone(start, tz)
    if minutes <= 0:
        return f"now ({at})"
    if minutes < 90:
        return f"in {plural(minutes, 'minute')} ({at})"
    days = (start.astimezone(tz).date() - now.astimezone(tz).date()).days
    if days == 0:
        return f"today at {at}"
    if days == 1:
        return f"tomorrow at {at}"
    local = start.astimezone(tz)
    if days < 7:
        return f"on {local:%A} at {at}"
    return f"on {local:%a %b} {local.day} at {at}"


def reminder(group: Group, session: Session, tz: tzinfo, now: datetime) -> str:
    """Worded at `now`, the moment it is sent (see bot.core.outreach.delivery)."""
    return f"Reminder: {group.name} starts {relative(session.start, now, tz)}. {CHAT_ABSENT}"


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
        lines.append(CHAT_MAKEUP)
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
        f"{plural(days, 'day')}. A word at the next session may help."
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
        tail = "can no longer reach the weekly minimum this week. Worth a talk about the plan"
    else:
        when = f"{local:%A} {clock_time(local)}"
        tail = f"needs {plural(more_groups, 'more group')} by {when}. A make-up could help"
    return f"{person.display_name} has {hours:.1f} of {needed_hours:g} h this week; {tail}."


def alert_unreachable(person: Person, channel: str) -> str:
    return (
        f"I can't reach {person.display_name} by {channel} direct message. They'll get "
        "messages on their next channel, if they have one; you may want to check in."
    )


def alert_sms_stopped(person: Person) -> str:
    return (
        f"{person.display_name} replied STOP to our texts, so they get no more SMS. "
        "They'll get messages on their other channels, if they have any."
    )


def signoff_reminder(group: Group, start: datetime, tz: tzinfo) -> str:
    """To a facilitator: a session of theirs that ended a while ago isn't signed off."""
    return f"{group.name}, {day_date_time(start, tz)}, isn't signed off yet. {CHAT_SIGNOFF}"
