"""What the dashboard's pages show: today's sessions, a group's attendance matrix and
trends, one person's history. Ids and numbers only; names are looked up by the caller."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from bot.core.domain import (
    ATTENDED,
    AttendanceRecord,
    EvidenceKind,
    Program,
    Session,
    SessionState,
    Status,
)
from bot.core.outreach_log import OutreachEntry, outreach_log
from bot.core.ports import Store
from bot.core.reports.billing import iso_week
from bot.core.timeutil import local_day_bounds, week_bounds, zone

#: statuses that count in an attendance rate (excused is not a miss)
RATED = frozenset({*ATTENDED, Status.MADE_UP, Status.ABSENT})


@dataclass(frozen=True, slots=True, kw_only=True)
class Today:
    open_now: tuple[Session, ...]
    later_today: tuple[Session, ...]
    next_up: Session | None


@dataclass(frozen=True, slots=True, kw_only=True)
class WeekPoint:
    week: str  # YYYY-Www
    minutes: int
    days: int
    rate: float | None  # attended / (attended + absent), None without sessions


@dataclass(frozen=True, slots=True, kw_only=True)
class SurveyPoint:
    session_id: str
    at: datetime
    question: str
    value: float  # a rating 1–5 (a group's: the mean)


@dataclass(frozen=True, slots=True, kw_only=True)
class History:
    person_id: str
    rows: tuple[tuple[Session, AttendanceRecord], ...]
    weeks: tuple[WeekPoint, ...]
    ratings: tuple[SurveyPoint, ...]
    outreach: tuple[OutreachEntry, ...]
    weekly_min_minutes: int

    @property
    def makeups(self) -> tuple[tuple[Session, AttendanceRecord], ...]:
        return tuple((s, r) for s, r in self.rows if r.makeup_for or r.status is Status.MADE_UP)


@dataclass(frozen=True, slots=True, kw_only=True)
class Matrix:
    group_id: str
    sessions: tuple[Session, ...]
    people: tuple[str, ...]
    cells: dict[tuple[str, str], AttendanceRecord]  # (session_id, person_id)
    weeks: tuple[WeekPoint, ...]
    ratings: tuple[SurveyPoint, ...]


async def today(store: Store, program: Program, group_ids: Iterable[str], now: datetime) -> Today:
    tz = zone(program.timezone)
    day_start, day_end = local_day_bounds(now.astimezone(tz).date(), tz)
    ids = set(group_ids)
    soon = [
        s
        for s in await store.list_sessions(
            start_from=day_start - timedelta(days=1),
            start_to=now + timedelta(days=14),
            states=[SessionState.SCHEDULED],
        )
        if s.group_id in ids
    ]
    open_now = tuple(s for s in soon if s.is_open(now, program.policy))
    later = tuple(s for s in soon if day_start <= s.start < day_end and s.start > now)
    upcoming = [s for s in soon if s.start > now and s not in open_now]
    return Today(open_now=open_now, later_today=later, next_up=upcoming[0] if upcoming else None)


def weekly_points(rows: Iterable[tuple[Session, AttendanceRecord]], tz: tzinfo) -> list[WeekPoint]:
    """Minutes, days and attendance rate per ISO week (program time zone)."""
    minutes: dict[str, int] = defaultdict(int)
    days: dict[str, set[object]] = defaultdict(set)
    rated: dict[str, list[bool]] = defaultdict(list)
    for s, r in rows:
        wk = iso_week(s.start.astimezone(tz).date())
        rated.setdefault(wk, [])
        if r.status in ATTENDED:
            minutes[wk] += r.attended_minutes
            days[wk].add(s.start.astimezone(tz).date())
        if r.status in RATED:
            rated[wk].append(r.status is not Status.ABSENT)
    return [
        WeekPoint(
            week=wk,
            minutes=minutes[wk],
            days=len(days[wk]),
            rate=sum(v) / len(v) if v else None,
        )
        for wk, v in sorted(rated.items())
    ]


async def _ratings(
    store: Store, sessions: dict[str, Session], *, person_id: str | None, group_id: str | None
) -> list[SurveyPoint]:
    """Rating answers (integers) per session and question; a group's are averaged."""
    values: dict[tuple[str, str], list[int]] = defaultdict(list)
    for e in await store.evidence(
        person_id=person_id, group_id=group_id, kinds=[EvidenceKind.SURVEY]
    ):
        answer, question = e.data.get("answer"), e.data.get("question")
        if (
            e.session_id in sessions
            and isinstance(answer, int)
            and not isinstance(answer, bool)
            and question
        ):
            values[(e.session_id, str(question))].append(answer)
    points = [
        SurveyPoint(session_id=sid, at=sessions[sid].start, question=q, value=sum(v) / len(v))
        for (sid, q), v in values.items()
    ]
    return sorted(points, key=lambda p: (p.at, p.session_id, p.question))


async def history(
    store: Store, program: Program, person_id: str, group_ids: Iterable[str] | None, now: datetime
) -> History:
    """One person's record in the viewer's groups (None: every group), oldest first."""
    tz = zone(program.timezone)
    ids = set(group_ids) if group_ids is not None else None
    rows: list[tuple[Session, AttendanceRecord]] = []
    for r in await store.records(person_id=person_id):
        if ids is not None and r.group_id not in ids:
            continue
        s = await store.get_session(r.session_id)
        if s is not None and s.opens_at(program.policy) <= now:
            rows.append((s, r))
    sessions = {s.id: s for s, _ in rows}
    return History(
        person_id=person_id,
        rows=tuple(rows),
        weeks=tuple(weekly_points(rows, tz)),
        ratings=tuple(await _ratings(store, sessions, person_id=person_id, group_id=None)),
        outreach=tuple(await outreach_log(store, person_id=person_id, group_ids=ids)),
        weekly_min_minutes=round(program.policy.weekly_min_hours * 60),
    )


async def matrix(
    store: Store, program: Program, group_id: str, now: datetime, weeks: int = 8
) -> Matrix:
    """The group's sessions of the last `weeks` weeks that have opened, by everyone with a
    record or an active enrollment."""
    tz = zone(program.timezone)
    since, _ = week_bounds((now - timedelta(weeks=weeks - 1)).astimezone(tz).date(), tz)
    sessions = [
        s
        for s in await store.list_sessions(
            group_id=group_id,
            start_from=since,
            start_to=now + timedelta(hours=1),
            states=[SessionState.SCHEDULED, SessionState.ENDED],
        )
        if s.opens_at(program.policy) <= now
    ]
    by_id = {s.id: s for s in sessions}
    cells = {
        (r.session_id, r.person_id): r
        for r in await store.records(group_id=group_id, start_from=since)
        if r.session_id in by_id
    }
    people = {pid for _, pid in cells} | {
        e.person_id for e in await store.enrollments(group_id=group_id)
    }
    rows = [(by_id[sid], r) for (sid, _), r in cells.items()]
    return Matrix(
        group_id=group_id,
        sessions=tuple(sessions),
        people=tuple(sorted(people)),
        cells=cells,
        weeks=tuple(weekly_points(sorted(rows, key=lambda x: x[0].start), tz)),
        ratings=tuple(await _ratings(store, by_id, person_id=None, group_id=group_id)),
    )
