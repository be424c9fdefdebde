"""The value types of the config models, as ``Annotated`` metadata for pydantic.

Each type checks its value before pydantic does and words the problem the way an operator reads
it (``expected an integer, got a string``); the messages carry no key path, `bot.config.loading`
adds it. A string that held ``${NAME}`` references arrives as an `EnvText`, so integer and
boolean keys may be given as ``"${NAME}"``. The JSON Schema of each type says the same.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date, time, timedelta
from typing import Annotated, Any, TypeVar

from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic_core import PydanticCustomError, core_schema

from bot.config import values as v

T = TypeVar("T")
Json = dict[str, Any]
Loc = tuple[str | int, ...]

#: a string with a ``${NAME}`` reference, accepted wherever an integer or boolean is
ENV_REF: Json = {"type": "string", "pattern": r"\$\{[A-Za-z_][A-Za-z0-9_]*\}"}
_TRUE = frozenset({"true", "yes", "on", "1"})
_FALSE = frozenset({"false", "no", "off", "0"})


class EnvText(str):
    """A string that held ``${NAME}`` references; `unset` names those not set (left as written)."""

    unset: tuple[str, ...]

    def __new__(cls, text: str, unset: tuple[str, ...] = ()) -> EnvText:
        self = super().__new__(cls, text)
        self.unset = unset
        return self


def problem(message: str) -> PydanticCustomError:
    """One problem with a value, worded for the operator (``{key}`` becomes the key's path)."""
    return PydanticCustomError("rollcall", "{message}", {"message": message})


def problems(found: list[tuple[Loc, str]]) -> PydanticCustomError:
    """Several problems a table's own check found, each at a key inside the table."""
    return PydanticCustomError(
        "rollcall_many", "{count} problems", {"count": len(found), "found": found}
    )


def _reworded(fn: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def run(value: Any) -> Any:
        try:
            return fn(value)
        except PydanticCustomError:
            raise
        except ValueError as exc:
            raise problem(str(exc)) from None

    return run


class Check:
    """``Annotated`` metadata: `before` checks (and may convert) the value ahead of pydantic's own
    validation, `after` checks its result; `schema` replaces the JSON Schema when given."""

    def __init__(
        self,
        before: Callable[[Any], Any] | None = None,
        *,
        after: Callable[[Any], Any] | None = None,
        schema: Json | None = None,
    ) -> None:
        self.before, self.after, self.schema = before, after, schema

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        schema = handler(source)
        if self.after is not None:
            schema = core_schema.no_info_after_validator_function(_reworded(self.after), schema)
        if self.before is not None:
            schema = core_schema.no_info_before_validator_function(_reworded(self.before), schema)
        return schema

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> Json:
        return dict(self.schema) if self.schema is not None else handler(schema)


# -- strings ----------------------------------------------------------------------------------


def Str(  # used like a type, hence the capital
    check: Callable[[str], str] | None = None, *, allow_int: bool = False, empty: bool = False
) -> Check:
    """A string, not blank unless `empty`; `check` validates or normalises it. `allow_int` takes
    a TOML integer too (Discord and Zoom ids) and keeps it as text."""

    def run(value: object) -> str:
        if allow_int and isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            expected = "a string or an integer" if allow_int else "a string"
            raise ValueError(f"expected {expected}, got {v.type_name(value)}")
        text = str(value)
        if not empty and not text.strip():
            raise ValueError("must not be empty")
        return check(text) if check is not None else text

    schema: Json | None = {"type": ["string", "integer"]} if allow_int else None
    return Check(run, schema=schema)


def OneOf(*options: str) -> Check:
    def run(value: object) -> str:
        if not isinstance(value, str):
            raise ValueError(f"expected a string, got {v.type_name(value)}")
        if value not in options:
            raise ValueError(f"must be one of {', '.join(options)}, got {v.quote(str(value))}")
        return str(value)

    return Check(run, schema={"anyOf": [{"enum": list(options)}, ENV_REF]})


def _unique(items: tuple[str, ...]) -> tuple[str, ...]:
    for i, item in enumerate(items):
        if item in items[:i]:
            raise ValueError(f"{v.quote(item)} is listed twice")
    return items


def Array(what: str = "an array of strings", *, unique: bool = False) -> Check:
    """A TOML array; `what` names it in the message (``{key}`` is replaced by the key's path)."""

    def run(value: object) -> object:
        if not isinstance(value, list):
            raise ValueError(f"expected {what}, got {v.type_name(value)}")
        return value

    return Check(run, after=_unique if unique else None)


# -- numbers and booleans -----------------------------------------------------------------------


def _from_env(value: object, expected: str, parse: Callable[[str], Any]) -> Any:
    """An `EnvText` (``port = "${PORT}"``) parsed by `parse`; any other value as it is."""
    if not isinstance(value, EnvText):
        return value
    try:
        return parse(value.strip())
    except ValueError:
        raise ValueError(f"expected {expected}, got {v.quote(str(value))}") from None


def _number(integer: bool, lo: float | None, hi: float | None) -> Check:
    expected = "an integer" if integer else "a number"

    def run(value: object) -> float:
        value = _from_env(value, expected, int if integer else float)
        if isinstance(value, bool) or not isinstance(value, int if integer else int | float):
            raise ValueError(f"expected {expected}, got {v.type_name(value)}")
        if not math.isfinite(value):
            raise ValueError(f"must be a finite number, got {v._num(value)}")
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            raise ValueError(v._range_message(lo, hi, value))
        return value if integer else float(value)

    schema: Json = {"type": "integer" if integer else "number"}
    schema |= {"minimum": lo} if lo is not None else {}
    schema |= {"maximum": hi} if hi is not None else {}
    return Check(run, schema={"anyOf": [schema, ENV_REF]})


def Int(lo: int | None = None, hi: int | None = None) -> Check:
    return _number(True, lo, hi)


def Num(lo: float | None = None, hi: float | None = None) -> Check:
    return _number(False, lo, hi)


def _text_bool(text: str) -> bool:
    lowered = text.lower()
    if lowered in _TRUE or lowered in _FALSE:
        return lowered in _TRUE
    raise ValueError(text)


def _bool(value: object) -> bool:
    value = _from_env(value, "true or false", _text_bool)
    if not isinstance(value, bool):
        raise ValueError(f"expected true or false, got {v.type_name(value)}")
    return value


def parse_bool(value: object) -> bool | None:
    """A TOML boolean, or the text of an `EnvText`; None when it is neither."""
    try:
        return _bool(value)
    except ValueError:
        return None


# -- the small value languages ------------------------------------------------------------------


def _positive_duration(value: object) -> timedelta:
    if not isinstance(value, str):
        raise ValueError(f"expected a string, got {v.type_name(value)}")
    span = v.parse_duration(value)
    if span <= timedelta(0):
        raise ValueError(f"must be longer than zero, got {v.quote(str(value))}")
    return span


def _quiet_span(value: object) -> tuple[time, time]:
    if not isinstance(value, str):
        raise ValueError(f'expected HH:MM-HH:MM such as "21:00-08:00", got {v.type_name(value)}')
    return v.parse_quiet_hours(value)


_HHMM = r"^\s*[0-9]{1,2}:[0-9]{2}"
Text = Annotated[str, Str()]
Secret = Annotated[str, Str(empty=True)]
Id = Annotated[str, Str(v.check_id)]
Bool = Annotated[bool, Check(_bool, schema={"anyOf": [{"type": "boolean"}, ENV_REF]})]
Strings = Annotated[tuple[Text, ...], Array(unique=True)]
Day = Annotated[date, Check(v.parse_date, schema={"type": "string", "format": "date"})]
TimeOfDay = Annotated[time, Check(v.parse_time_of_day, schema={"type": "string", "pattern": _HHMM})]
Duration = Annotated[
    timedelta,
    Check(_positive_duration, schema={"type": "string", "pattern": r"^\s*[0-9]+\s*[dhmsDHMS]"}),
]
QuietSpan = Annotated[
    tuple[time, time],
    Check(_quiet_span, schema={"type": "string", "pattern": _HHMM + r"\s*-\s*[0-9]{1,2}:[0-9]{2}"}),
]
#: an array of tables: ``[[key]]`` or ``key = [{...}, ...]``
Tables = Annotated[tuple[T, ...], Array("an array of tables ([[{key}]])")]
