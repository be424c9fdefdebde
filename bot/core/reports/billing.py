"""Billing: per participant per day, minutes against `[program.billing]`'s rules.

Pure: attendance report rows in, billing days out. A day counts the minutes of the
sessions attended that day (present, late, partial — attested minutes included, and
marked); a week (ISO, in the program's time zone) counts minutes and the days that met
the day rule.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, tzinfo

from bot.core.domain import ATTENDED, BillingRules, Flag, ReportLine
from bot.core.reports.render import ReportRow

COLUMNS = (
    "participant_id",
    "date",
    "minutes",
    "sessions",
    "meets_day_rule",
    "iso_week",
    "week_minutes",
    "week_days",
    "meets_week_rule",
    "reason",
)


@dataclass(frozen=True, slots=True, kw_only=True)
class BillingDay:
    participant_id: str
    date: date
    minutes: int
    sessions: int
    meets_day_rule: bool
    iso_week: str
    week_minutes: int
    week_days: int
    meets_week_rule: bool
    reasons: tuple[str, ...]
    #: some of the day's minutes were attested by a facilitator, not measured
    attested: bool = False

    @property
    def reason(self) -> str:
        return ";".join(self.reasons)

    def cells(self) -> dict[str, str]:
        return {
            "participant_id": self.participant_id,
            "date": self.date.isoformat(),
            "minutes": str(self.minutes),
            "sessions": str(self.sessions),
            "meets_day_rule": _bool(self.meets_day_rule),
            "iso_week": self.iso_week,
            "week_minutes": str(self.week_minutes),
            "week_days": str(self.week_days),
            "meets_week_rule": _bool(self.meets_week_rule),
            "reason": self.reason,
        }


def _bool(value: bool) -> str:
    return "true" if value else "false"


def iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def billing_days(rows: Sequence[ReportRow], tz: tzinfo, rules: BillingRules) -> list[BillingDay]:
    """One entry per participant per local day with attendance, ordered by participant
    and date. Week totals count every row given: pass whole weeks for whole totals."""
    tally = Tally(tz)
    tally.add(row.line() for row in rows)
    return tally.days(rules)


_ATTENDED = frozenset(s.value for s in ATTENDED)
_ATTESTED = Flag.ATTESTED_MINUTES.value


class Tally:
    """Attended minutes and sessions per participant per local day, added up from
    report lines as they come (an export streams them; nothing per row is kept)."""

    def __init__(self, tz: tzinfo) -> None:
        self._tz = tz
        self._minutes: dict[tuple[str, date], int] = defaultdict(int)
        self._sessions: dict[tuple[str, date], int] = defaultdict(int)
        self._attested: set[tuple[str, date]] = set()
        self._day: dict[datetime, date] = {}  # a session's start -> its local day

    def add(self, lines: Iterable[ReportLine]) -> None:
        minutes, sessions, day_of = self._minutes, self._sessions, self._day
        for r in lines:
            if r.status not in _ATTENDED:
                continue
            day = day_of.get(r.session_start)
            if day is None:
                day = day_of[r.session_start] = r.session_start.astimezone(self._tz).date()
            key = (r.person_id, day)
            minutes[key] += r.attended_minutes
            sessions[key] += 1
            if _ATTESTED in r.flags:
                self._attested.add(key)

    def days(self, rules: BillingRules) -> list[BillingDay]:
        """The billing days so far, ordered by participant and date."""
        minutes, sessions, attested = self._minutes, self._sessions, self._attested
        week_minutes: dict[tuple[str, str], int] = defaultdict(int)
        week_days: dict[tuple[str, str], int] = defaultdict(int)
        for (pid, day), mins in minutes.items():
            wk = (pid, iso_week(day))
            week_minutes[wk] += mins
            if mins >= rules.min_minutes_per_day:
                week_days[wk] += 1
        out = []
        for pid, day in sorted(minutes):
            mins = minutes[(pid, day)]
            wk = (pid, iso_week(day))
            meets_day = mins >= rules.min_minutes_per_day
            reasons = []
            if not meets_day:
                reasons.append(f"day_under_{rules.min_minutes_per_day}_min")
            if week_minutes[wk] < rules.min_minutes_per_week:
                reasons.append(f"week_under_{rules.min_minutes_per_week}_min")
            if week_days[wk] < rules.min_days_per_week:
                reasons.append(f"week_under_{rules.min_days_per_week}_days")
            meets_week = (
                week_minutes[wk] >= rules.min_minutes_per_week
                and week_days[wk] >= rules.min_days_per_week
            )
            out.append(
                BillingDay(
                    participant_id=pid,
                    date=day,
                    minutes=mins,
                    sessions=sessions[(pid, day)],
                    meets_day_rule=meets_day,
                    iso_week=wk[1],
                    week_minutes=week_minutes[wk],
                    week_days=week_days[wk],
                    meets_week_rule=meets_week,
                    reasons=tuple(reasons),
                    attested=(pid, day) in attested,
                )
            )
        return out


def to_csv(days: Sequence[BillingDay]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows(
        (
            d.participant_id,
            d.date.isoformat(),
            d.minutes,
            d.sessions,
            _bool(d.meets_day_rule),
            d.iso_week,
            d.week_minutes,
            d.week_days,
            _bool(d.meets_week_rule),
            d.reason,
        )
        for d in days
    )
    return buf.getvalue()
