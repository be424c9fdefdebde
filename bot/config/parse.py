"""Reading the TOML config: typed getters that name the key path, ``${NAME}`` substitution,
and parsers for the small value languages (times, durations, quiet hours, rrules, ids).

Standard library only. `bot.config` builds the `Config` from these pieces; the value parsers
(`parse_duration`, `parse_quiet_hours`, ...) are public so other parts of the core can reuse them.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

from bot.config.values import (
    _did_you_mean,
    _num,
    _range_message,
    quote,
    substitute_env,
    type_name,
)

T = TypeVar("T")


class ConfigError(ValueError):
    """The configuration cannot be used. `errors` holds each problem as ``"key.path: message"``."""

    def __init__(self, message: str, errors: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.errors: tuple[str, ...] = tuple(errors) or (message,)


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
