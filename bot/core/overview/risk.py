"""The risk board: who needs outreach this week and why, most urgent first.

`assess` is pure (a person's ended sessions, this week's standing, what is left);
`risk_board` gathers those from the store for the groups a viewer may see.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from bot.core.domain import ATTENDED, AttendanceRecord, EvidenceKind, Policy, Session, Status
from bot.core.ports import Store
from bot.core.timeutil import week_bounds, zone

#: statuses that count in a rate (excused is not a miss; made up is attended)
_COUNTED = frozenset({*ATTENDED, Status.MADE_UP, Status.ABSENT})


@dataclass(frozen=True, slots=True, kw_only=True)
class Reason:
    code: str  # "streak" | "rate" | "weekly_unreachable" | "weekly_needs" | "dm_unreachable"
    text: str
    weight: int


@dataclass(frozen=True, slots=True, kw_only=True)
class RiskEntry:
    person_id: str
    reasons: tuple[Reason, ...]
    last_outreach: datetime | None = None

    @property
    def score(self) -> int:
        return sum(r.weight for r in self.reasons)


def _streak(history: Sequence[tuple[Session, AttendanceRecord]]) -> int:
    """Absences in a row up to now (excused sessions neither count nor break it)."""
    n = 0
    for _, r in reversed(history):
        if r.status is Status.EXCUSED:
            continue
        if r.status is not Status.ABSENT:
            break
        n += 1
    return n


def assess(
    *,
    person_id: str,
    history: Sequence[tuple[Session, AttendanceRecord]],
    week_minutes: int,
    week_days: int,
    left: Sequence[Session],
    policy: Policy,
    tz: tzinfo,
    now: datetime,
    dm_unreachable: bool = False,
) -> RiskEntry | None:
    """Why `person_id` needs outreach, or None. `history`: their ended sessions, oldest
    first; `left`: their sessions still to come this week, by start. The weekly minimum
    puts someone on the board when it can't be reached any more, or when they have
    missed a group this week and need every one that is left."""
    reasons: list[Reason] = []
    streak = _streak(history)
    if streak >= policy.consecutive_absences_alert:
        reasons.append(Reason(code="streak", text=f"missed {streak} in a row", weight=30 + streak))
    since = now - timedelta(days=policy.rate_window_days)
    recent = [r for s, r in history if s.start > since and r.status in _COUNTED]
    if len(recent) >= 2:
        rate = sum(r.status is not Status.ABSENT for r in recent) / len(recent)
        if rate < policy.rate_alert_below:
            reasons.append(
                Reason(
                    code="rate",
                    text=f"attended {rate:.0%} over {policy.rate_window_days} days",
                    weight=20,
                )
            )
    need_min = policy.weekly_min_hours * 60
    if week_minutes < need_min or week_days < policy.weekly_min_days:
        have = f"{week_minutes / 60:g} of {policy.weekly_min_hours:g} h"
        possible_min = week_minutes + sum(s.minutes for s in left)
        possible_days = week_days + len({s.start.astimezone(tz).date() for s in left})
        if possible_min < need_min or possible_days < policy.weekly_min_days:
            reasons.append(
                Reason(
                    code="weekly_unreachable",
                    text=f"{have}; the weekly minimum can no longer be reached",
                    weight=40,
                )
            )
        else:
            minutes, days, more = week_minutes, set[object](), 0
            for s in left:
                if minutes >= need_min and week_days + len(days) >= policy.weekly_min_days:
                    break
                minutes += s.minutes
                days.add(s.start.astimezone(tz).date())
                more += 1
            week_start = week_bounds(now.astimezone(tz).date(), tz)[0]
            missed = any(s.start >= week_start and r.status not in ATTENDED for s, r in history)
            if missed and more >= len(left):  # behind, and no session to spare
                by = left[-1].start.astimezone(tz).strftime("%A")
                reasons.append(
                    Reason(
                        code="weekly_needs",
                        text=f"{have}; needs {more} more group{'s' * (more != 1)} by {by}",
                        weight=10 + more,
                    )
                )
    if dm_unreachable:
        reasons.append(Reason(code="dm_unreachable", text="DMs don't reach them", weight=5))
    if not reasons:
        return None
    return RiskEntry(person_id=person_id, reasons=tuple(reasons))


def rank(entries: Iterable[RiskEntry]) -> list[RiskEntry]:
    return sorted(entries, key=lambda e: (-e.score, e.person_id))


async def risk_board(
    store: Store, policy: Policy, timezone: str, group_ids: Iterable[str], now: datetime
) -> list[RiskEntry]:
    """The board for these groups' active participants, most urgent first. Someone whose
    alert was resolved by an outreach entry after their last ended session is left off."""
    tz = zone(timezone)
    week_start, week_end = week_bounds(now.astimezone(tz).date(), tz)
    groups = set(group_ids)
    people = sorted({e.person_id for g in groups for e in await store.enrollments(group_id=g)})
    out = []
    for pid in people:
        person = await store.get_person(pid)
        if person is None or person.role.value != "participant":
            continue
        history: list[tuple[Session, AttendanceRecord]] = []
        week_minutes, days = 0, set[object]()
        for r in await store.records(person_id=pid, start_to=now):
            s = await store.get_session(r.session_id)
            if s is None or s.end > now:
                continue
            if r.group_id in groups:
                history.append((s, r))
            if s.start >= week_start and r.status in ATTENDED:
                week_minutes += r.attended_minutes
                days.add(s.start.astimezone(tz).date())
        left: list[Session] = []
        for e in await store.enrollments(person_id=pid):
            left += [
                s
                for s in await store.list_sessions(
                    group_id=e.group_id, start_from=now, start_to=week_end
                )
                if s.state.value == "scheduled"
            ]
        left.sort(key=lambda s: (s.start, s.id))
        entry = assess(
            person_id=pid,
            history=history,
            week_minutes=week_minutes,
            week_days=len(days),
            left=left,
            policy=policy,
            tz=tz,
            now=now,
            dm_unreachable="chat" in await store.unreachable_channels(pid),
        )
        if entry is None:
            continue
        outreach = await store.evidence(person_id=pid, kinds=[EvidenceKind.OUTREACH])
        last = max((o.at for o in outreach), default=None)
        last_ended = max((s.end for s, _ in history), default=None)
        resolved = [o.at for o in outreach if o.data.get("resolves") is True]
        if resolved and (last_ended is None or max(resolved) >= last_ended):
            continue
        out.append(RiskEntry(person_id=pid, reasons=entry.reasons, last_outreach=last))
    return rank(out)
