"""The value types of the config models, as ``Annotated`` metadata for pydantic.

Pydantic checks types, ranges and choices itself (strictly: no string is taken for a number);
`bot.config.loading` words its errors the way an operator reads them (``expected an integer,
got a string``) and adds the key path. What pydantic can't know is here: non-blank strings,
the small value languages of `bot.config.values` and their JSON Schema. A string that held
``${NAME}`` references arrives as an `EnvText`, which `Table` parses where a number or boolean
goes, so such keys may be given as ``"${NAME}"``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, time, timedelta
from typing import Annotated, Any, TypeVar

from pydantic import AfterValidator, Field, GetCoreSchemaHandler, GetJsonSchemaHandler
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


def from_env(value: Any, kind: type) -> Any:
    """An `EnvText` where a number or boolean (`kind`) goes, parsed; anything else, or text
    that doesn't parse, unchanged (the type check then says what was expected)."""
    if not isinstance(value, EnvText):
        return value
    if kind is bool:
        return value if parse_bool(value) is None else parse_bool(value)
    try:
        return kind(value.strip())
    except ValueError:
        return value


def parse_bool(value: object) -> bool | None:
    """A TOML boolean, or the text of an `EnvText`; None when it is neither."""
    if isinstance(value, bool):
        return value
    lowered = value.strip().lower() if isinstance(value, EnvText) else None
    return None if lowered not in _TRUE | _FALSE else lowered in _TRUE


def problems(found: list[tuple[Loc, str]]) -> PydanticCustomError:
    """Several problems a table's own check found, each at a key inside the table."""
    return PydanticCustomError(
        "rollcall_many", "{count} problems", {"count": len(found), "found": found}
    )


class Check:
    """``Annotated`` metadata: `before` checks (and may convert) the value ahead of pydantic's own
    validation, raising ValueError with the message; `schema` replaces the JSON Schema."""

    def __init__(self, before: Callable[[Any], Any], *, schema: Json | None = None) -> None:
        self.before, self.schema = before, schema

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_before_validator_function(self.before, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> Json:
        return dict(self.schema) if self.schema is not None else handler(schema)


def Int(lo: int | None = None, hi: int | None = None) -> Any:  # used like a type
    return Field(strict=True, ge=lo, le=hi)


def Num(lo: float | None = None, hi: float | None = None) -> Any:
    return Field(strict=True, ge=lo, le=hi, allow_inf_nan=False)


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

    return Check(run, schema={"type": ["string", "integer"]} if allow_int else None)


def unique(items: tuple[str, ...]) -> tuple[str, ...]:
    for i, item in enumerate(items):
        if item in items[:i]:
            raise ValueError(f"{v.quote(item)} is listed twice")
    return items


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
Bool = Annotated[bool, Field(strict=True)]
Strings = Annotated[tuple[Text, ...], AfterValidator(unique)]
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
Tables = tuple[T, ...]
