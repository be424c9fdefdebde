"""After a session ends: the survey to attendees, a warm nudge to absentees, and the
facilitators' early-warning alerts (one per episode). Idempotent: every item has a
key derived from what it is about, so running it twice enqueues nothing new."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

from bot.core.actions import Button
from bot.core.attendance.makeup import options
from bot.core.attendance.surveys import done_key, invite_key
from bot.core.attendance.weekly import standing
from bot.core.domain import (
    ATTENDED,
    AttendanceRecord,
    EvidenceKind,
    Group,
    Person,
    Program,
    Role,
    Session,
    SessionState,
    Status,
)
from bot.core.outbox import Kind, OutboxItem
from bot.core.outreach import messages
from bot.core.outreach.digest import Attention, digests
from bot.core.outreach.planner import person_zone
from bot.core.ports import Store
from bot.core.replies import SMS_STOPPED
from bot.core.settings import RemindersConfig
from bot.core.timeutil import week_bounds, zone

LATE_OK = timedelta(hours=24)  # a survey or nudge up to a day late is still worth sending
CYCLE_EPOCH = date(2000, 1, 3)  # a Monday: cycles of `cycle_days` count from here
COUNTED = frozenset({*ATTENDED, Status.MADE_UP, Status.ABSENT})  # excused is not a miss


@dataclass(frozen=True, slots=True, kw_only=True)
class FollowUp:
    store: Store
    program: Program
    reminders: RemindersConfig
    survey_enabled: bool = True

    def _dm(
        self,
        *,
        key: str,
        kind: Kind,
        person: Person,
        session: Session,
        text: str,
        due: datetime,
        buttons: tuple[Button, ...] = (),
    ) -> OutboxItem:
        # Follow-ups go right at the end of the session the person was part of, even
        # when it ends as quiet hours begin; quiet hours govern reminders.
        return OutboxItem(
            key=key,
            kind=kind,
            person_id=person.id,
            group_id=session.group_id,
            session_id=session.id,
            due_at=due,
            expires_at=due + LATE_OK,
            text=text,
            buttons=buttons,
        )

    async def after_session(self, session: Session, now: datetime) -> list[OutboxItem]:
        if session.state is not SessionState.ENDED:
            return []
        group = await self.store.get_group(session.group_id)
        if group is None:
            return []
        items: list[OutboxItem] = []
        found: list[Attention] = []
        for record in await self.store.records(session_id=session.id):
            person = await self.store.get_person(record.person_id)
            if person is None or person.forgotten:
                continue
            items += await self._for_participant(session, group, person, record, now)
            found += await self._alerts(session, group, person, now)
        tz = zone(self.program.timezone)
        return items + await digests(self.store, session, group, found, tz, now)

    async def _for_participant(
        self,
        session: Session,
        group: Group,
        person: Person,
        record: AttendanceRecord,
        now: datetime,
    ) -> list[OutboxItem]:
        items: list[OutboxItem] = []
        tz = person_zone(person, self.program)
        answered = await self.store.evidence(
            session_id=session.id, person_id=person.id, kinds=[EvidenceKind.SURVEY]
        )
        if (
            record.status in ATTENDED
            and self.survey_enabled
            and not any(e.key == done_key(session.id, person.id) for e in answered)
        ):
            items.append(
                self._dm(
                    key=invite_key(session.id, person.id),
                    kind=Kind.SURVEY,
                    person=person,
                    session=session,
                    text=messages.survey_invite(group),
                    due=session.end,
                    buttons=(
                        Button(label="Answer", action="survey", value=session.id, style="primary"),
                    ),
                )
            )
        if record.status is Status.ABSENT:
            found = await options(self.store, session, person.id, now)
            names = []
            for s in found[:3]:
                g = await self.store.get_group(s.group_id)
                names.append((g.name if g else s.group_id, s.start))
            items.append(
                self._dm(
                    key=f"nudge:{session.id}:{person.id}",
                    kind=Kind.NUDGE,
                    person=person,
                    session=session,
                    text=messages.nudge(group, names, tz),
                    due=session.end,
                )
            )
        return items

    async def _history(self, group: Group, person: Person, upto: Session) -> list[AttendanceRecord]:
        """The person's records in this group, of ended sessions up to `upto`, oldest first."""
        out = []
        for r in await self.store.records(
            group_id=group.id, person_id=person.id, start_to=upto.start + timedelta(seconds=1)
        ):
            s = await self.store.get_session(r.session_id)
            if s is not None and s.state is SessionState.ENDED and r.status in COUNTED:
                out.append(r)
        return out

    async def _alerts(
        self, session: Session, group: Group, person: Person, now: datetime
    ) -> list[Attention]:
        policy = self.program.policy
        history = await self._history(group, person, session)
        alerts: list[Attention] = []
        # consecutive absences: one alert per streak, keyed by the streak's first miss
        streak: list[AttendanceRecord] = []
        for r in history:
            streak = [*streak, r] if r.status is Status.ABSENT else []
        if len(streak) >= policy.consecutive_absences_alert:
            alerts.append(
                Attention(
                    key=f"alert:consecutive:{group.id}:{person.id}:{streak[0].session_id}",
                    person_id=person.id,
                    urgency=40 + len(streak),
                    text=messages.alert_consecutive(person, group, len(streak)),
                    level=len(streak),
                )
            )
        # attendance rate over the window: one alert per dip below the threshold
        episode = await self._rate_episode(history, policy.rate_window_days)
        if episode is not None:
            start_id, rate = episode
            alerts.append(
                Attention(
                    key=f"alert:rate:{group.id}:{person.id}:{start_id}",
                    person_id=person.id,
                    urgency=20 + (1 - rate) * 10,
                    text=messages.alert_rate(person, group, rate, policy.rate_window_days),
                    level=round((1 - rate) * 100),  # the shortfall, as the message shows it
                )
            )
        # absences in the cycle: a review prompt, once per cycle
        cycle = (session.start.date() - CYCLE_EPOCH).days // policy.cycle_days
        in_cycle = 0
        for r in history:
            s = await self.store.get_session(r.session_id)
            if s and (s.start.date() - CYCLE_EPOCH).days // policy.cycle_days == cycle:
                in_cycle += r.status is Status.ABSENT
        if in_cycle >= policy.max_absences_per_cycle:
            alerts.append(
                Attention(
                    key=f"alert:review:{person.id}:{cycle}",
                    person_id=person.id,
                    urgency=35,
                    text=messages.alert_review(person, in_cycle, policy.cycle_days),
                    review=True,  # a prompt to plan one review: not repeated as it grows
                )
            )
        weekly = await self._weekly(session, person, now)
        if weekly is not None:
            key, text, level = weekly
            alerts.append(
                Attention(key=key, person_id=person.id, urgency=10, text=text, level=level)
            )
        for channel in sorted(await self.store.unreachable_channels(person.id)):
            alerts.append(
                Attention(
                    key=f"alert:unreachable:{person.id}:{channel}",
                    person_id=person.id,
                    urgency=30,
                    text=(
                        messages.alert_sms_stopped(person)
                        if channel == SMS_STOPPED
                        else messages.alert_unreachable(person, channel)
                    ),
                )
            )
        return alerts

    async def _rate_episode(
        self, history: Sequence[AttendanceRecord], window_days: int
    ) -> tuple[str, float] | None:
        """(id of the session where the current dip began, rate) if below threshold now."""
        threshold = self.program.policy.rate_alert_below
        starts: dict[str, datetime] = {}
        for r in history:
            s = await self.store.get_session(r.session_id)
            if s is not None:
                starts[r.session_id] = s.start
        below_since: str | None = None
        rate = 1.0
        for i, r in enumerate(history):
            window_start = starts[r.session_id] - timedelta(days=window_days)
            recent = [h for h in history[: i + 1] if starts[h.session_id] > window_start]
            if len(recent) < 2:
                continue
            rate = sum(h.status is not Status.ABSENT for h in recent) / len(recent)
            if rate < threshold:
                below_since = below_since or r.session_id
            else:
                below_since = None
        return (below_since, rate) if below_since else None

    async def _weekly(
        self, session: Session, person: Person, now: datetime
    ) -> tuple[str, str, int] | None:
        """Mid-week (from Wednesday): flag someone who risks missing (level 1), or can't
        reach (level 2), the weekly minimum with the sessions left this week."""
        policy = self.program.policy
        tz: tzinfo = zone(self.program.timezone)
        local = session.end.astimezone(tz)
        if local.weekday() < 2 or person.role is not Role.PARTICIPANT:
            return None
        st = await standing(self.store, self.program, person.id, session.end)
        if st.met:
            return None
        _, week_end = week_bounds(local.date(), tz)
        left = []
        for e in await self.store.enrollments(person_id=person.id):
            left += await self.store.list_sessions(
                group_id=e.group_id,
                start_from=session.end,
                start_to=week_end,
                states=[SessionState.SCHEDULED],
            )
        left.sort(key=lambda s: s.start)
        possible_hours = st.hours + sum(s.minutes for s in left) / 60
        possible_days = st.days + len({s.start.astimezone(tz).date() for s in left})
        week = local.isocalendar()
        key = f"alert:weekly:{person.id}:{week.year}-W{week.week:02d}"
        if possible_hours < policy.weekly_min_hours or possible_days < policy.weekly_min_days:
            text = messages.alert_weekly(person, st.hours, policy.weekly_min_hours, 0, now, tz)
            return key, text, 2
        # the fewest of the remaining sessions that would meet both minimums, in order
        hours, more = st.hours, 0
        days: set[date] = set()
        for s in left:
            if hours >= policy.weekly_min_hours and st.days + len(days) >= policy.weekly_min_days:
                break
            hours += s.minutes / 60
            days.add(s.start.astimezone(tz).date())
            more += 1
        if more < len(left):
            return None  # a session to spare: not at risk yet
        by = left[more - 1].start if more else session.end
        text = messages.alert_weekly(person, st.hours, policy.weekly_min_hours, more, by, tz)
        return key, text, 1
