"""The small value languages of the config (times, durations, quiet hours, rrules, ids,
``${NAME}`` substitution) and the helpers that word their errors. Standard library only."""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# ---------------------------------------------------------------------------------------------
# message helpers


def quote(value: object) -> str:
    """A value as it appears in an error message: strings in double quotes, shortened."""
    if isinstance(value, str):
        text = value if len(value) <= 60 else value[:57] + "..."
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


_TYPE_NAMES = (
    (bool, "a boolean"), (int, "an integer"), (float, "a float"), (str, "a string"),
    (datetime, "a date-time"), (date, "a date"), (time, "a time"), (list, "an array"),
    (dict, "a table"),
)  # fmt: skip


def type_name(value: object) -> str:
    """The TOML name of a value's type, with an article ("an integer")."""
    return next((name for t, name in _TYPE_NAMES if isinstance(value, t)), type(value).__name__)


def _num(value: float) -> str:
    return f"{value:g}"


def _range_message(lo: float | None, hi: float | None, value: float) -> str:
    if lo is not None and hi is not None:
        return f"must be between {_num(lo)} and {_num(hi)}, got {_num(value)}"
    if lo is not None:
        return f"must be at least {_num(lo)}, got {_num(value)}"
    return f"must be at most {_num(hi or 0)}, got {_num(value)}"


def _did_you_mean(key: str, allowed: Sequence[str]) -> str:
    close = difflib.get_close_matches(key, allowed, n=1)
    return f" (did you mean {close[0]}?)" if close else ""


# ---------------------------------------------------------------------------------------------
# ${NAME} substitution

_REF = re.compile(r"\$(\$?)\{([^{}]*)\}")
_VAR_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def substitute_env(text: str, env: Mapping[str, str]) -> tuple[str, tuple[str, ...]]:
    """Replace each ``${NAME}`` in `text` with ``env[NAME]``; ``$${NAME}`` is a literal ``${NAME}``.

    Returns the new text and the names that are not set in `env` (their references are left as
    they were). A malformed reference such as ``${}`` or ``${1X}`` raises ValueError.
    """
    unset: list[str] = []

    def replace(match: re.Match[str]) -> str:
        escaped, name = match.group(1), match.group(2)
        if escaped:
            return "${" + name + "}"
        if not _VAR_NAME.match(name):
            raise ValueError(f"invalid environment variable reference {quote('${' + name + '}')}")
        value = env.get(name)
        if value is None:
            unset.append(name)
            return match.group(0)
        return value

    return _REF.sub(replace, text), tuple(dict.fromkeys(unset))


# ---------------------------------------------------------------------------------------------
# value parsers: each returns the value or raises ValueError with a message (no key path)

_HHMM = re.compile(r"([0-9]{1,2}):([0-9]{2})\Z")
_DURATION = re.compile(
    r"\s*(?:([0-9]+)\s*d)?\s*(?:([0-9]+)\s*h)?\s*(?:([0-9]+)\s*m)?\s*(?:([0-9]+)\s*s)?\s*\Z",
    re.IGNORECASE,
)
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")
_E164 = re.compile(r"\+[1-9][0-9]{6,14}\Z")

RRULE_PARTS = frozenset(
    {
        "FREQ", "UNTIL", "COUNT", "INTERVAL", "BYSECOND", "BYMINUTE", "BYHOUR", "BYDAY",
        "BYMONTHDAY", "BYYEARDAY", "BYWEEKNO", "BYMONTH", "BYSETPOS", "WKST",
    }
)  # fmt: skip
#: sessions last hours, so sub-daily frequencies would only produce overlapping sessions
RRULE_FREQS = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")


def parse_hhmm(text: str) -> time:
    """``"18:00"`` → ``time(18, 0)``; 24-hour clock, minutes required."""
    match = _HHMM.match(text)
    if match:
        hour, minute = int(match[1]), int(match[2])
        if hour < 24 and minute < 60:
            return time(hour, minute)
    raise ValueError(f"expected HH:MM, got {quote(text)}")


def parse_time_of_day(value: object) -> time:
    """A string ``"HH:MM"`` or a TOML local time (``18:00:00``)."""
    if isinstance(value, time):
        return value
    if isinstance(value, str):
        return parse_hhmm(value)
    raise ValueError(f"expected HH:MM, got {type_name(value)}")


def parse_quiet_hours(text: str) -> tuple[time, time]:
    """``"21:00-08:00"`` → ``(time(21), time(8))``. The range may wrap past midnight."""
    start, sep, end = text.partition("-")
    try:
        if not sep:
            raise ValueError(text)
        span = (parse_hhmm(start.strip()), parse_hhmm(end.strip()))
    except ValueError:
        raise ValueError(f'expected HH:MM-HH:MM such as "21:00-08:00", got {quote(text)}') from None
    if span[0] == span[1]:
        raise ValueError(f"start and end are the same, got {quote(text)}")
    return span


def normalize_quiet_hours(text: str) -> str:
    start, end = parse_quiet_hours(text)
    return f"{start:%H:%M}-{end:%H:%M}"


def parse_duration(text: str) -> timedelta:
    """``"24h"``, ``"15m"``, ``"1h30m"``, ``"2d"``, ``"45s"`` → timedelta (units d, h, m, s)."""
    match = _DURATION.match(text)
    if not match or not any(match.groups()):
        raise ValueError(
            f'expected a duration such as "24h", "15m", "1h30m" or "2d", got {quote(text)}'
        )
    days, hours, minutes, seconds = (int(g) if g else 0 for g in match.groups())
    try:
        return timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)
    except OverflowError:
        raise ValueError(f"duration is too long, got {quote(text)}") from None


def parse_date(value: object) -> date:
    """A string ``"2026-12-25"`` or a TOML local date (not a date-time)."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and _ISO_DATE.match(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    shown = quote(value) if isinstance(value, str) else type_name(value)
    raise ValueError(f"expected a date YYYY-MM-DD, got {shown}")


def check_rrule(text: str) -> str:
    """Syntactic check of an RFC 5545 RRULE value; the scheduler checks the rest."""
    if not text.startswith("FREQ="):
        raise ValueError(f"must start with FREQ=, got {quote(text)}")
    seen: set[str] = set()
    for part in text.split(";"):
        key, sep, value = part.partition("=")
        if not sep or not key or not value or any(c.isspace() for c in part):
            raise ValueError(f'expected KEY=VALUE parts separated by ";", got {quote(text)}')
        if key not in RRULE_PARTS:
            raise ValueError(
                f"unknown rule part {quote(key)}{_did_you_mean(key, sorted(RRULE_PARTS))}"
            )
        if key in seen:
            raise ValueError(f"rule part {key} is given twice")
        seen.add(key)
        if key == "FREQ" and value not in RRULE_FREQS:
            raise ValueError(f"FREQ must be one of {', '.join(RRULE_FREQS)}, got {quote(value)}")
    if {"COUNT", "UNTIL"} <= seen:
        raise ValueError("COUNT and UNTIL cannot both be given")
    return text


def check_timezone(name: str) -> str:
    """An IANA time zone name known to zoneinfo ("America/New_York")."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValueError(f"unknown time zone {quote(name)}") from None
    return name


def _matching(pattern: str, expected: str, *, echo: bool = True) -> Callable[[str], str]:
    """A check that `text` matches `pattern`; `echo=False` keeps the value out of the message."""
    regex = re.compile(pattern)

    def check(text: str) -> str:
        if not regex.match(text):
            raise ValueError(f"expected {expected}" + (f", got {quote(text)}" if echo else ""))
        return text

    return check


#: ids of people, groups and survey questions
check_id = _matching(
    r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}\Z", 'an id of letters, digits, ".", "_" and "-" (at most 64)'
)
check_snowflake = _matching(r"[0-9]{1,20}\Z", "a Discord id (digits)")
check_slack_user = _matching(r"[A-Z0-9]{2,}\Z", 'a Slack member id such as "U0123ABCD"')
check_slack_channel = _matching(
    r"[A-Z0-9]{2,}\Z", 'a Slack channel id such as "C0123ABCD" (not its name)'
)
# an address is personal data, a database URL may hold a password: neither is echoed
check_email = _matching(r"[^@\s]+@[^@\s]+\.[^@\s]+\Z", "an e-mail address", echo=False)
check_db_url = _matching(
    r"[A-Za-z][A-Za-z0-9+.-]*://", 'a database URL such as "sqlite:///rollcall.db"', echo=False
)
check_http_url = _matching(r"(?i)https?://[^\s/]+", "an http:// or https:// URL")


def normalize_phone(text: str) -> str:
    """``"+1 (555) 123-4567"`` → ``"+15551234567"`` (E.164); the number is never echoed."""
    compact = re.sub(r"[\s().-]", "", text)
    if not _E164.match(compact):
        raise ValueError('expected a phone number in international form such as "+15551234567"')
    return compact


def normalize_zoom_meeting_id(text: str) -> str:
    """Zoom shows meeting ids as ``"857 4635 2000"``; store the digits."""
    compact = re.sub(r"[\s-]", "", text)
    if not compact.isascii() or not compact.isdigit():
        raise ValueError(f"expected a Zoom meeting id (digits), got {quote(text)}")
    return compact
