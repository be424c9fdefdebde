"""Billing rules against hand-computed weeks (PRODUCT.md "Billing")."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.core.domain import AttendanceRecord, BillingRules, Flag, Session, Status
from bot.core.reports.billing import COLUMNS, billing_days, iso_week, to_csv
from bot.core.reports.render import ReportRow

NY = ZoneInfo("America/New_York")
RULES = BillingRules()  # 180 min/day, 3 days/week, 540 min/week


def _row(
    pid: str,
    day: date,
    minutes: int,
    status: Status = Status.PRESENT,
    hour: int = 18,
    flags: tuple[Flag, ...] = (),
) -> ReportRow:
    start = datetime(day.year, day.month, day.day, hour, tzinfo=NY).astimezone(UTC)
    sid = f"g-{day.isoformat()}-{hour}"
    return ReportRow(
        session=Session(id=sid, group_id="g", start=start, end=start + timedelta(hours=3)),
        record=AttendanceRecord(
            session_id=sid,
            group_id="g",
            person_id=pid,
            status=status,
            attended_minutes=minutes,
            flags=flags,
        ),
    )


MON, TUE, WED, THU = (date(2026, 11, 30) + timedelta(days=i) for i in range(4))


def test_a_week_that_meets_every_rule() -> None:
    rows = [_row("p-1", d, 180) for d in (MON, WED, THU)]
    days = billing_days(rows, NY, RULES)
    assert [(d.date, d.minutes, d.meets_day_rule) for d in days] == [
        (MON, 180, True),
        (WED, 180, True),
        (THU, 180, True),
    ]
    assert {(d.iso_week, d.week_minutes, d.week_days, d.meets_week_rule) for d in days} == {
        ("2026-W49", 540, 3, True)
    }
    assert all(d.reason == "" for d in days)


def test_short_day_breaks_the_day_rule_and_the_week_with_reasons() -> None:
    # Mon 180, Wed 150 (left early), Thu 200: 530 min, only 2 days of 180+
    rows = [_row("p-1", MON, 180), _row("p-1", WED, 150, Status.PARTIAL), _row("p-1", THU, 200)]
    days = {d.date: d for d in billing_days(rows, NY, RULES)}
    assert days[WED].meets_day_rule is False
    assert days[WED].reason == "day_under_180_min;week_under_540_min;week_under_3_days"
    assert days[MON].reason == "week_under_540_min;week_under_3_days"
    assert days[THU].week_minutes == 530 and days[THU].week_days == 2
    assert not days[THU].meets_week_rule


def test_two_sessions_in_one_day_add_up_and_absences_are_not_billed() -> None:
    rows = [
        _row("p-1", MON, 90, hour=9),
        _row("p-1", MON, 95, hour=13),
        _row("p-1", TUE, 0, Status.ABSENT),
        _row("p-1", WED, 0, Status.EXCUSED),
    ]
    (only,) = billing_days(rows, NY, RULES)
    assert (only.date, only.minutes, only.sessions, only.meets_day_rule) == (MON, 185, 2, True)


def test_day_is_the_programs_local_date() -> None:
    # 20:00 in New York on Sunday is Monday 01:00 UTC: billed on Sunday, in the week before
    sunday = date(2026, 11, 29)
    (d,) = billing_days([_row("p-1", sunday, 180, hour=20)], NY, RULES)
    assert d.date == sunday and d.iso_week == "2026-W48"


def test_attested_minutes_count_and_are_marked() -> None:
    rows = [_row("p-1", MON, 170, flags=(Flag.OVERRIDE, Flag.ATTESTED_MINUTES))]
    (d,) = billing_days(rows, NY, RULES)
    assert d.minutes == 170 and d.attested


def test_custom_rules_and_csv_columns() -> None:
    rules = BillingRules(min_minutes_per_day=120, min_days_per_week=1, min_minutes_per_week=120)
    text = to_csv(billing_days([_row("p-2", TUE, 125)], NY, rules))
    head, line = text.splitlines()
    assert head == ",".join(COLUMNS)
    assert head == (
        "participant_id,date,minutes,sessions,meets_day_rule,iso_week,week_minutes,"
        "week_days,meets_week_rule,reason"
    )
    assert line == "p-2,2026-12-01,125,1,true,2026-W49,125,1,true,"
    assert iso_week(date(2027, 1, 1)) == "2026-W53"
