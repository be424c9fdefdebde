"""Recurring sessions from a group's RRULE, in the program's local time (DST-correct).

Shell module: uses python-dateutil's rrule.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

from dateutil.rrule import rrulestr

from bot.core.domain import Group, Session
from bot.core.sessions import session_id_for
from bot.core.timeutil import zone


def occurrences(
    group: Group, tz_name: str, start: datetime, end: datetime, closed: Sequence[date] = ()
) -> list[Session]:
    """Scheduled sessions of `group` starting in [start, end), skipping closed local dates.

    The RRULE runs on naive local wall-clock times, then each occurrence is placed in
    the zone, so 18:00 stays 18:00 local across a DST change.
    """
    if group.schedule is None:
        return []
    tz = zone(tz_name)
    sched = group.schedule
    local_from = start.astimezone(tz).date() - timedelta(days=1)
    dtstart = datetime.combine(local_from, sched.start)
    rule = rrulestr(sched.rrule, dtstart=dtstart)
    local_to = datetime.combine(end.astimezone(tz).date() + timedelta(days=1), sched.start)
    out: list[Session] = []
    for naive in rule.between(dtstart, local_to, inc=True):
        if naive.date() in closed:
            continue
        begin = naive.replace(tzinfo=tz)
        if not start <= begin < end:
            continue
        out.append(
            Session(
                id=session_id_for(group.id, begin, tz_name),
                group_id=group.id,
                start=begin.astimezone(start.tzinfo),
                end=(begin + timedelta(minutes=sched.minutes)).astimezone(start.tzinfo),
            )
        )
    return out
