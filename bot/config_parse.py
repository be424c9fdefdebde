"""Reading the TOML config: typed getters that name the key path, ``${NAME}`` substitution,
and parsers for the small value languages (times, durations, quiet hours, rrules, ids).

Standard library only. `bot.config` builds the `Config` from these pieces; the value parsers
(`parse_duration`, `parse_quiet_hours`, ...) are public so other parts of the core can reuse them.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime, time, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

T = TypeVar("T")


class ConfigError(ValueError):
    """The configuration cannot be used. `errors` holds each problem as ``"key.path: message"``."""

    def __init__(self, message: str, errors: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.errors: tuple[str, ...] = tuple(errors) or (message,)


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


def type_name(value: object) -> str:
    """The TOML name of a value's type, with an article ("an integer")."""
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a float"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, datetime):
        return "a date-time"
    if isinstance(value, date):
        return "a date"
    if isinstance(value, time):
        return "a time"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "a table"
    return type(value).__name__


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
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}\Z")
_SNOWFLAKE = re.compile(r"[0-9]{1,20}\Z")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+\Z")
_E164 = re.compile(r"\+[1-9][0-9]{6,14}\Z")
_SLACK_ID = re.compile(r"[A-Z0-9]{2,}\Z")
_HTTP_URL = re.compile(r"https?://[^\s/]+", re.IGNORECASE)

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


def format_quiet_hours(span: tuple[time, time]) -> str:
    return f"{span[0]:%H:%M}-{span[1]:%H:%M}"


def normalize_quiet_hours(text: str) -> str:
    return format_quiet_hours(parse_quiet_hours(text))


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


def format_duration(value: timedelta) -> str:
    """The inverse of `parse_duration` for non-negative whole seconds: ``"1h30m"``, ``"0s"``."""
    total = int(value.total_seconds())
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    parts = [
        f"{n}{unit}" for n, unit in ((days, "d"), (hours, "h"), (minutes, "m"), (seconds, "s"))
    ]
    return "".join(p for p in parts if not p.startswith("0")) or "0s"


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


def check_id(text: str) -> str:
    """Ids of people, groups and survey questions: letters, digits, ``.``, ``_``, ``-``."""
    if not _ID.match(text):
        raise ValueError(
            f'expected an id of letters, digits, ".", "_" and "-" (at most 64), got {quote(text)}'
        )
    return text


def check_snowflake(text: str) -> str:
    if not _SNOWFLAKE.match(text):
        raise ValueError(f"expected a Discord id (digits), got {quote(text)}")
    return text


def check_slack_user(text: str) -> str:
    if not _SLACK_ID.match(text):
        raise ValueError(f'expected a Slack member id such as "U0123ABCD", got {quote(text)}')
    return text


def check_slack_channel(text: str) -> str:
    if not _SLACK_ID.match(text):
        raise ValueError(
            f'expected a Slack channel id such as "C0123ABCD" (not its name), got {quote(text)}'
        )
    return text


def check_email(text: str) -> str:
    # the address itself is personal data: never echo it
    if not _EMAIL.match(text):
        raise ValueError("expected an e-mail address")
    return text


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


def check_http_url(text: str) -> str:
    if not _HTTP_URL.match(text):
        raise ValueError(f"expected an http:// or https:// URL, got {quote(text)}")
    return text


# ---------------------------------------------------------------------------------------------
# the reader


class _Missing:
    pass


_MISSING = _Missing()

_TRUE = frozenset({"true", "yes", "on", "1"})
_FALSE = frozenset({"false", "no", "off", "0"})


def _native_int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _native_float(value: object) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None


def _native_bool(value: object) -> bool | None:
    return value if isinstance(value, bool) else None


def _text_int(text: str) -> int | None:
    return int(text) if re.fullmatch(r"[+-]?[0-9]+", text) else None


def _text_float(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _text_bool(text: str) -> bool | None:
    lowered = text.lower()
    return True if lowered in _TRUE else False if lowered in _FALSE else None


class Reader:
    """Collects problems as ``"key.path: message"`` so that one run reports all of them."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self.env = env
        self.errors: list[str] = []

    def error(self, path: str, message: str) -> None:
        self.errors.append(f"{path}: {message}" if path else message)

    def raise_if_errors(self, source: str) -> None:
        if not self.errors:
            return
        errors = list(dict.fromkeys(self.errors))
        if len(errors) == 1:
            message = f"{source}: {errors[0]}"
        else:
            listing = "\n".join(f"  {e}" for e in errors)
            message = f"{source}: {len(errors)} problems:\n{listing}"
        raise ConfigError(message, errors)


class Table:
    """One TOML table at a key path. Getters report problems to the `Reader` and return a
    default instead of raising, so parsing continues and every problem is reported.

    With ``resolve=False`` (a disabled section) a ``${NAME}`` that is not set is no error: the
    reference stays in the text, and value checks on such text are skipped.
    """

    def __init__(
        self,
        reader: Reader,
        raw: Mapping[str, Any],
        path: str,
        keys: Iterable[str],
        *,
        resolve: bool = True,
    ) -> None:
        self.reader = reader
        self.raw = raw
        self.path = path
        self.resolve = resolve
        self.keys = tuple(keys)
        for key in raw:
            if key not in self.keys:
                self.error(key, "unknown key" + _did_you_mean(key, self.keys))

    def at(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def has(self, key: str) -> bool:
        return key in self.raw

    def error(self, key: str, message: str) -> None:
        self.reader.error(self.at(key), message)

    def fail(self, message: str) -> None:
        """A problem with the table as a whole."""
        self.reader.error(self.path, message)

    def has_error(self, key: str) -> bool:
        """Whether a problem with `key` (or inside it) was already reported."""
        path = self.at(key)
        return any(e.startswith((path + ":", path + ".", path + "[")) for e in self.reader.errors)

    def require(self, *keys: str) -> bool:
        missing = [k for k in keys if k not in self.raw]
        for key in missing:
            self.error(key, "required")
        return not missing

    # -- strings -------------------------------------------------------------------------------

    def _expand(self, text: str, path: str) -> tuple[str, bool] | None:
        """(text, complete) or None after reporting a problem."""
        try:
            out, unset = substitute_env(text, self.reader.env)
        except ValueError as exc:
            self.reader.error(path, str(exc))
            return None
        if unset and self.resolve:
            for name in unset:
                self.reader.error(path, f"environment variable {name} is not set")
            return None
        return out, not unset

    def _string_at(
        self,
        value: object,
        path: str,
        *,
        allow_int: bool = False,
        check: Callable[[str], str] | None = None,
    ) -> str | None:
        if allow_int and _native_int(value) is not None:
            text, complete = str(value), True
        elif isinstance(value, str):
            expanded = self._expand(value, path)
            if expanded is None:
                return None
            text, complete = expanded
        else:
            expected = "a string or an integer" if allow_int else "a string"
            self.reader.error(path, f"expected {expected}, got {type_name(value)}")
            return None
        if not complete:
            return text  # a disabled section's unset ${NAME}: kept, not checked
        if not text.strip():
            if not self.resolve:
                return text  # a disabled section may leave anything empty
            self.reader.error(path, "must not be empty")
            return None
        if check is not None:
            try:
                return check(text)
            except ValueError as exc:
                self.reader.error(path, str(exc))
                return None
        return text

    def opt_string(
        self, key: str, *, allow_int: bool = False, check: Callable[[str], str] | None = None
    ) -> str | None:
        """The string at `key`, None when absent. Empty strings are refused in resolved tables.
        `allow_int` accepts a TOML integer too (Discord and Zoom ids) and stores it as text."""
        value = self.raw.get(key, _MISSING)
        if value is _MISSING:
            return None
        return self._string_at(value, self.at(key), allow_int=allow_int, check=check)

    def string(
        self, key: str, default: str = "", *, check: Callable[[str], str] | None = None
    ) -> str:
        value = self.opt_string(key, check=check)
        return default if value is None else value

    def secret(self, key: str, *, unused: bool = False) -> str:
        """A token or password: may be empty (the section decides whether it is required).

        `unused`: the section's settings make no use of it (Slack's app token in HTTP
        mode), so an unset `${NAME}` in it is no error: it is just empty."""
        value = self.raw.get(key, _MISSING)
        if value is _MISSING:
            return ""
        path = self.at(key)
        if not isinstance(value, str):
            self.reader.error(path, f"expected a string, got {type_name(value)}")
            return ""
        if unused:
            try:
                out, unset = substitute_env(value, self.reader.env)
            except ValueError:
                return ""
            return "" if unset else out
        expanded = self._expand(value, path)
        return "" if expanded is None else expanded[0]

    def strings(
        self, key: str, default: tuple[str, ...] = (), *, unique: bool = True
    ) -> tuple[str, ...]:
        value = self.raw.get(key, _MISSING)
        if value is _MISSING:
            return default
        path = self.at(key)
        if not isinstance(value, list):
            self.reader.error(path, f"expected an array of strings, got {type_name(value)}")
            return default
        out: list[str] = []
        for i, item in enumerate(value):
            text = self._string_at(item, f"{path}[{i}]")
            if text is None:
                continue
            if unique and text in out:
                self.reader.error(path, f"{quote(text)} is listed twice")
                continue
            out.append(text)
        return tuple(out)

    def choice(self, key: str, options: Sequence[str], default: str) -> str:
        value = self.raw.get(key, _MISSING)
        if value is _MISSING:
            return default
        path = self.at(key)
        if not isinstance(value, str):
            self.reader.error(path, f"expected a string, got {type_name(value)}")
            return default
        expanded = self._expand(value, path)
        if expanded is None or not expanded[1]:
            return default
        if expanded[0] not in options:
            self.reader.error(
                path, f"must be one of {', '.join(options)}, got {quote(expanded[0])}"
            )
            return default
        return expanded[0]

    def parsed(self, key: str, parse: Callable[[object], T]) -> T | None:
        """Strings are expanded first; `parse` also sees native TOML values (dates, times)."""
        value = self.raw.get(key, _MISSING)
        if value is _MISSING:
            return None
        path = self.at(key)
        if isinstance(value, str):
            expanded = self._expand(value, path)
            if expanded is None or not expanded[1]:
                return None
            value = expanded[0]
        try:
            return parse(value)
        except ValueError as exc:
            self.reader.error(path, str(exc))
            return None

    # -- numbers and booleans --------------------------------------------------------------------

    def _scalar(
        self,
        key: str,
        expected: str,
        native: Callable[[object], T | None],
        from_text: Callable[[str], T | None],
    ) -> T | None:
        """A TOML value of the right type, or a string with ``${NAME}`` that parses as one."""
        value = self.raw.get(key, _MISSING)
        if value is _MISSING:
            return None
        path = self.at(key)
        if isinstance(value, str) and "${" in value:
            expanded = self._expand(value, path)
            if expanded is None or not expanded[1]:
                return None
            result = from_text(expanded[0].strip())
            if result is None:
                self.reader.error(path, f"expected {expected}, got {quote(expanded[0])}")
            return result
        result = native(value)
        if result is None:
            self.reader.error(path, f"expected {expected}, got {type_name(value)}")
        return result

    def opt_integer(self, key: str, *, lo: int | None = None, hi: int | None = None) -> int | None:
        value = self._scalar(key, "an integer", _native_int, _text_int)
        if value is None or not self._in_range(key, value, lo, hi):
            return None
        return value

    def integer(
        self, key: str, default: int, *, lo: int | None = None, hi: int | None = None
    ) -> int:
        value = self.opt_integer(key, lo=lo, hi=hi)
        return default if value is None else value

    def number(
        self, key: str, default: float, *, lo: float | None = None, hi: float | None = None
    ) -> float:
        value = self._scalar(key, "a number", _native_float, _text_float)
        if value is None:
            return default
        if not math.isfinite(value):
            self.error(key, f"must be a finite number, got {_num(value)}")
            return default
        return value if self._in_range(key, value, lo, hi) else default

    def boolean(self, key: str, default: bool) -> bool:
        value = self._scalar(key, "true or false", _native_bool, _text_bool)
        return default if value is None else value

    def _in_range(self, key: str, value: float, lo: float | None, hi: float | None) -> bool:
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            self.error(key, _range_message(lo, hi, value))
            return False
        return True

    # -- nested tables ---------------------------------------------------------------------------

    def table(self, key: str, keys: Iterable[str], *, resolve: bool | None = None) -> Table | None:
        value = self.raw.get(key, _MISSING)
        if value is _MISSING:
            return None
        if not isinstance(value, dict):
            self.error(key, f"expected a table, got {type_name(value)}")
            return None
        return Table(
            self.reader,
            value,
            self.at(key),
            keys,
            resolve=self.resolve if resolve is None else resolve,
        )

    def tables(self, key: str, keys: Iterable[str]) -> list[Table]:
        """An array of tables (``[[key]]`` or ``key = [{...}, ...]``)."""
        value = self.raw.get(key, _MISSING)
        if value is _MISSING:
            return []
        path = self.at(key)
        if not isinstance(value, list):
            self.reader.error(
                path, f"expected an array of tables ([[{path}]]), got {type_name(value)}"
            )
            return []
        keys = tuple(keys)
        out: list[Table] = []
        for i, item in enumerate(value):
            if not isinstance(item, dict):
                self.reader.error(f"{path}[{i}]", f"expected a table, got {type_name(item)}")
                continue
            out.append(Table(self.reader, item, f"{path}[{i}]", keys, resolve=self.resolve))
        return out
