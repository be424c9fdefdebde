"""Time helpers: zones, human formats, user-typed dates. Pure."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo


def zone(name: str | None, fallback: str = "UTC") -> tzinfo:
    return ZoneInfo(name or fallback)


def clock_time(dt: datetime) -> str:
    """6:00 PM"""
    hour = dt.hour % 12 or 12
    return f"{hour}:{dt.minute:02d} {'AM' if dt.hour < 12 else 'PM'}"


def day_time(dt: datetime, tz: tzinfo) -> str:
    """Tue 6:00 PM, in `tz`."""
    local = dt.astimezone(tz)
    return f"{local:%a} {clock_time(local)}"


def day_date_time(dt: datetime, tz: tzinfo) -> str:
    """Tue Dec 1, 6:00 PM, in `tz`."""
    local = dt.astimezone(tz)
    return f"{local:%a %b} {local.day}, {clock_time(local)}"


def iso_local(dt: datetime | None, tz: tzinfo) -> str:
    """ISO 8601 with the zone's UTC offset, to the second; empty when unknown."""
    if dt is None:
        return ""
    return dt.astimezone(tz).isoformat(timespec="seconds")


def parse_instant(text: str, tz: tzinfo) -> datetime:
    """An ISO 8601 date-time; without an offset it is local time in `tz`. UTC out."""
    try:
        dt = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"not an ISO 8601 date-time: {text!r}") from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=tz)
    return dt.astimezone(UTC)


def parse_date(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"not a date (YYYY-MM-DD): {text!r}") from None


_MONTH_DAY = re.compile(r"^(\d{1,2})/(\d{1,2})$")


def looks_like_date(word: str) -> bool:
    """Digits with / or - between them: meant as a date even if it isn't a valid one."""
    return re.fullmatch(r"\d{1,4}[/-]\d{1,2}(?:[/-]\d{1,4})?", word.strip()) is not None


def parse_user_date(word: str, today: date) -> date | None:
    """What a participant may type: 2026-12-03, 12/3, today, tomorrow, tue, tuesday.

    None when the word is not a date at all. A weekday means the next such day
    (today counts); a month/day without a year means the next such date.
    """
    w = word.strip().lower().rstrip(",.")
    if w == "today":
        return today
    if w == "tomorrow":
        return today + timedelta(days=1)
    if w in _WEEKDAY_WORDS:
        return today + timedelta(days=(_WEEKDAY_WORDS[w] - today.weekday()) % 7)
    try:
        return date.fromisoformat(w)
    except ValueError:
        pass
    m = _MONTH_DAY.match(w)
    if m:
        month, day = int(m.group(1)), int(m.group(2))
        for year in (today.year, today.year + 1):
            try:
                d = date(year, month, day)
            except ValueError:
                return None
            if d >= today:
                return d
    return None


_FULL_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_WEEKDAY_WORDS: dict[str, int] = {
    **{name: i for i, name in enumerate(_FULL_NAMES)},
    **{name[:3]: i for i, name in enumerate(_FULL_NAMES)},
    "tues": 1,
    "weds": 2,
    "thur": 3,
    "thurs": 3,
}


def local_day_bounds(day: date, tz: tzinfo) -> tuple[datetime, datetime]:
    """[start, end) of a local calendar day, in UTC."""
    start = datetime(day.year, day.month, day.day, tzinfo=tz)
    nxt = day + timedelta(days=1)
    end = datetime(nxt.year, nxt.month, nxt.day, tzinfo=tz)
    return start.astimezone(UTC), end.astimezone(UTC)


def week_bounds(day: date, tz: tzinfo) -> tuple[datetime, datetime]:
    """[Monday 00:00, next Monday 00:00) of the ISO week containing `day`, in UTC."""
    monday = day - timedelta(days=day.weekday())
    start, _ = local_day_bounds(monday, tz)
    end, _ = local_day_bounds(monday + timedelta(days=7), tz)
    return start, end


def parse_iso_week(text: str) -> date:
    """YYYY-Www → the Monday of that ISO week."""
    m = re.fullmatch(r"(\d{4})-W(\d{2})", text.strip())
    if not m:
        raise ValueError(f"not an ISO week (YYYY-Www): {text!r}")
    try:
        return date.fromisocalendar(int(m.group(1)), int(m.group(2)), 1)
    except ValueError:
        raise ValueError(f"no such ISO week: {text!r}") from None


def zone_label(dt: datetime, tz: tzinfo) -> str:
    """The zone's short name at that moment: "EST", "CET"; "UTC-03" where it has none."""
    name = dt.astimezone(tz).tzname() or "UTC"
    if name[:1] in "+-":
        return f"UTC{name}"
    return name


def time_in_zone(dt: datetime, tz: tzinfo) -> str:
    """6:00 PM EST (the zone named)."""
    return f"{clock_time(dt.astimezone(tz))} {zone_label(dt, tz)}"
