"""Query strings to core values (pure): dates, ranges and ISO weeks, with clear errors."""

from __future__ import annotations

from datetime import date, datetime, tzinfo

from bot.core.errors import UserError
from bot.core.timeutil import local_day_bounds, parse_date, parse_iso_week


def _day(name: str, text: str) -> date:
    try:
        return parse_date(text)
    except ValueError as e:
        raise UserError(f"{name}: {e}") from None


def date_range(
    date_from: str | None, date_to: str | None, tz: tzinfo
) -> tuple[datetime | None, datetime | None]:
    """`from`/`to` as local dates, both inclusive (as `rollcall report --from/--to`)."""
    start = local_day_bounds(_day("from", date_from), tz)[0] if date_from else None
    end = local_day_bounds(_day("to", date_to), tz)[1] if date_to else None
    if start and end and end <= start:
        raise UserError("'to' is before 'from'")
    return start, end


def iso_week_days(text: str | None, now: datetime, tz: tzinfo) -> date:
    """The Monday of `YYYY-Www`, or of this week when not given."""
    if not text:
        today = now.astimezone(tz).date()
        return date.fromordinal(today.toordinal() - today.weekday())
    try:
        return parse_iso_week(text)
    except ValueError as e:
        raise UserError(str(e)) from None
