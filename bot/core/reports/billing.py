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
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, tzinfo

from bot.core.domain import ATTENDED, BillingRules, Flag, ReportLine
from bot.core.reports.csvtext import quoted
from bot.core.reports.memo import Memo
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


#: one billing day, before it becomes a `BillingDay` or a CSV line: participant, date,
#: minutes, sessions, meets the day rule, ISO week, week minutes, week days, meets the
#: week rule, reasons, attested
Summary = tuple[str, date, int, int, bool, str, int, int, bool, tuple[str, ...], bool]


class Tally:
    """Attended minutes and sessions per participant per local day, added up from
    report lines as they come (an export streams them; nothing per row is kept)."""

    def __init__(self, tz: tzinfo) -> None:
        self._tz = tz
        #: participant -> local day -> [minutes, sessions, attested (0 or 1)]
        self._people: dict[str, dict[date, list[int]]] = {}
        self._day: dict[datetime, date] = {}  # a session's start -> its local day

    def add(self, lines: Iterable[ReportLine]) -> None:
        people, day_of, tz = self._people, self._day, self._tz
        for r in lines:
            if r.status not in _ATTENDED:
                continue
            day = day_of.get(r.session_start)
            if day is None:
                day = day_of[r.session_start] = r.session_start.astimezone(tz).date()
            days = people.get(r.person_id)
            if days is None:
                days = people[r.person_id] = {}
            attested = _ATTESTED in r.flags
            cell = days.get(day)
            if cell is None:
                days[day] = [r.attended_minutes, 1, attested]
            else:
                cell[0] += r.attended_minutes
                cell[1] += 1
                cell[2] |= attested

    def days(self, rules: BillingRules) -> list[BillingDay]:
        """The billing days so far, ordered by participant and date."""
        return [
            BillingDay(
                participant_id=pid,
                date=day,
                minutes=mins,
                sessions=n,
                meets_day_rule=meets_day,
                iso_week=wk,
                week_minutes=week_mins,
                week_days=week_days,
                meets_week_rule=meets_week,
                reasons=reasons,
                attested=attested,
            )
            for (
                pid,
                day,
                mins,
                n,
                meets_day,
                wk,
                week_mins,
                week_days,
                meets_week,
                reasons,
                attested,
            ) in self.summaries(rules)
        ]

    def summaries(self, rules: BillingRules) -> Iterator[Summary]:
        """`days`, as tuples (an export of a year writes ≈ 80,000 of them): each
        participant's days in order, week totals over all the days added."""
        min_day, min_week, min_days = (
            rules.min_minutes_per_day,
            rules.min_minutes_per_week,
            rules.min_days_per_week,
        )
        week_of: dict[date, str] = {}
        reasons_of: dict[tuple[bool, bool, bool], tuple[str, ...]] = {}
        for pid in sorted(self._people):
            days = self._people[pid]
            week_minutes: dict[str, int] = defaultdict(int)
            week_days: dict[str, int] = defaultdict(int)
            for day, (mins, _, _) in days.items():
                wk = week_of.get(day)
                if wk is None:
                    wk = week_of[day] = iso_week(day)
                week_minutes[wk] += mins
                if mins >= min_day:
                    week_days[wk] += 1
            for day in sorted(days):
                mins, n, attested = days[day]
                wk = week_of[day]
                week_mins, week_n = week_minutes[wk], week_days[wk]
                why = (mins < min_day, week_mins < min_week, week_n < min_days)
                reasons = reasons_of.get(why)
                if reasons is None:
                    reasons = reasons_of[why] = _reasons(rules, *why)
                yield (
                    pid,
                    day,
                    mins,
                    n,
                    not why[0],
                    wk,
                    week_mins,
                    week_n,
                    not why[1] and not why[2],
                    reasons,
                    bool(attested),
                )


def _reasons(
    rules: BillingRules, short_day: bool, short_week: bool, few_days: bool
) -> tuple[str, ...]:
    reasons = []
    if short_day:
        reasons.append(f"day_under_{rules.min_minutes_per_day}_min")
    if short_week:
        reasons.append(f"week_under_{rules.min_minutes_per_week}_min")
    if few_days:
        reasons.append(f"week_under_{rules.min_days_per_week}_days")
    return tuple(reasons)


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


def csv_lines(summaries: Iterable[Summary]) -> Iterator[str]:
    """The CSV of the days `summaries` gives, line by line after the header: byte for byte
    `to_csv` of those days (each distinct text quoted once, bot.core.reports.csvtext)."""
    yield _HEADER
    cell = Memo(quoted)
    day_cell = Memo(lambda day: quoted(day.isoformat()))
    reason = Memo(lambda reasons: quoted(";".join(reasons)))
    for pid, day, mins, n, meets_day, wk, week_mins, week_n, meets_week, reasons, _ in summaries:
        yield (
            f"{cell[pid]},{day_cell[day]},{mins},{n},{_bool(meets_day)},{cell[wk]},"
            f"{week_mins},{week_n},{_bool(meets_week)},{reason[reasons]}\n"
        )


_HEADER = to_csv(())
