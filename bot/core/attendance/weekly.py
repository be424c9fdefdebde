"""Weekly minimum: hours and days attended in a participant's ISO week."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.core.domain import ATTENDED, Program, SessionState
from bot.core.ports import Store
from bot.core.timeutil import week_bounds, zone


@dataclass(frozen=True, slots=True, kw_only=True)
class WeekStanding:
    person_id: str
    minutes: int
    days: int
    sessions_left: int
    hours_needed: float
    days_needed: int

    @property
    def hours(self) -> float:
        return self.minutes / 60

    @property
    def met(self) -> bool:
        return self.hours_needed <= 0 and self.days_needed <= 0


async def standing(store: Store, program: Program, person_id: str, at: datetime) -> WeekStanding:
    """Attended hours/days this week (program time zone) of sessions ended by `at`, and
    what is still needed."""
    tz = zone(program.timezone)
    start, end = week_bounds(at.astimezone(tz).date(), tz)
    minutes = 0
    days: set[object] = set()
    for r in await store.records(person_id=person_id, start_from=start, start_to=end):
        s = await store.get_session(r.session_id)
        # a session still running counts once it has ended (as /attendance says)
        if s is not None and r.status in ATTENDED and s.end <= at:
            minutes += r.attended_minutes
            days.add(s.start.astimezone(tz).date())
    left = 0
    for e in await store.enrollments(person_id=person_id):
        for s in await store.list_sessions(group_id=e.group_id, start_from=at, start_to=end):
            if s.state is SessionState.SCHEDULED:
                left += 1
    policy = program.policy
    return WeekStanding(
        person_id=person_id,
        minutes=minutes,
        days=len(days),
        sessions_left=left,
        hours_needed=max(0.0, policy.weekly_min_hours - minutes / 60),
        days_needed=max(0, policy.weekly_min_days - len(days)),
    )
