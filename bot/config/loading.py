"""From TOML text to the core's `Config`: ``${NAME}`` substitution, validation by the models in
`bot.config.models`, every problem at once with its key path, and the conversion to core types."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar, get_args, get_type_hints

from pydantic import BaseModel, ValidationError

from bot.config.models import ConfigTable
from bot.config.types import EnvText, Loc, parse_bool
from bot.config.values import _did_you_mean, quote, substitute_env, type_name
from bot.core import settings as s

T = TypeVar("T")
PathLike = str | os.PathLike[str]

#: sections whose ``${NAME}`` strings are resolved only when they are enabled
PLATFORMS = ("slack", "discord", "zoom", "email", "sms")
#: a secret the section's mode makes no use of: an unset ``${NAME}`` in it is just empty
_UNUSED = {("slack", "http"): "app_token", ("slack", "socket"): "signing_secret"}
_SQLITE_URL = re.compile(r"(sqlite(?:\+[A-Za-z0-9_]+)?):///(.*)\Z", re.DOTALL)
_EXPECTED = {
    "int_type": "an integer",
    "float_type": "a number",
    "bool_type": "true or false",
    "string_type": "a string",
    **dict.fromkeys(("model_type", "model_attributes_type", "dict_type"), "a table"),
}
_BOUNDS = {"greater_than_equal": ("at least", "ge"), "less_than_equal": ("at most", "le")}
Problem = tuple[Loc, str]
_FIELDS: dict[type, dict[str, type | None]] = {}


class ConfigError(ValueError):
    """The configuration cannot be used. `errors` holds each problem as ``"key.path: message"``."""

    def __init__(self, message: str, errors: Sequence[str] = (), source: str = "") -> None:
        super().__init__(message)
        self.errors: tuple[str, ...] = tuple(errors) or (message,)
        #: the file or text the `errors` are about; empty when the message says it all
        self.source = source if errors else ""


def read_toml(
    raw: Mapping[str, Any], env: Mapping[str, str], source: str, base_dir: PathLike | None
) -> s.Config:
    """Check parsed TOML; raise one `ConfigError` that lists every problem."""
    data, env_errors, disabled = expand_env(raw, env)
    table, problems = _validate(data, env_errors, disabled)
    errors = list(dict.fromkeys(f"{dotted(loc)}: {m}" if loc else m for loc, m in problems))
    if table is None or errors:
        if len(errors) == 1:
            raise ConfigError(f"{source}: {errors[0]}", errors, source)
        listing = "\n".join(f"  {e}" for e in errors)
        raise ConfigError(f"{source}: {len(errors)} problems:\n{listing}", errors, source)
    return to_config(table, base_dir)


# -- ${NAME} ------------------------------------------------------------------------------------


def expand_env(
    raw: Mapping[str, Any], env: Mapping[str, str]
) -> tuple[dict[str, Any], list[Problem], set[str]]:
    """Substitute ``${NAME}`` in every string; strings that had references become `EnvText`.
    Returns the data, the problems (unset variables, malformed references) and the platform
    sections that are not enabled, where an unset variable is no problem and stays as written."""
    errors: list[Problem] = []

    def walk(value: Any, loc: Loc, resolve: bool) -> Any:
        if isinstance(value, dict):
            return {k: walk(v, (*loc, k), resolve) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v, (*loc, i), resolve) for i, v in enumerate(value)]
        if not isinstance(value, str) or "${" not in value:
            return value
        try:
            text, unset = substitute_env(value, env)
        except ValueError as exc:
            errors.append((loc, str(exc)))
            return value
        if resolve:
            errors.extend((loc, f"environment variable {name} is not set") for name in unset)
        return EnvText(text, unset)

    data: dict[str, Any] = {}
    disabled: set[str] = set()
    for key, value in raw.items():
        if key not in PLATFORMS or not isinstance(value, dict):
            data[key] = walk(value, (key,), True)
            continue
        enabled = walk(value.get("enabled", False), (key, "enabled"), True)
        on = parse_bool(enabled) is True
        section = {k: walk(v, (key, k), on) for k, v in value.items() if k != "enabled"}
        unused = _UNUSED.get((key, str(section.get("mode", "http"))))
        if unused and isinstance(section.get(unused), EnvText) and section[unused].unset:
            section[unused] = ""
            errors = [e for e in errors if e[0] != (key, unused)]
        data[key] = {"enabled": enabled, **section} if "enabled" in value else section
        if not on:
            disabled.add(key)
    return data, errors, disabled


# -- validation and its messages ----------------------------------------------------------------


def _validate(
    data: dict[str, Any], env_errors: list[Problem], disabled: set[str]
) -> tuple[ConfigTable | None, list[Problem]]:
    context = {"incomplete": bool(env_errors)}
    while True:
        try:
            table = ConfigTable.model_validate(data, context=context)
            return table, sorted(env_errors, key=lambda p: _order(p[0]))
        except ValidationError as exc:
            found = [p for e in exc.errors() for p in _problems(e)]
        # a disabled section may leave anything unset or empty: its default is used instead
        dropped = [
            loc for loc, _, k in found if k != "extra_forbidden" and _left_open(data, loc, disabled)
        ]
        for loc in dropped:
            data[str(loc[0])].pop(loc[1])
        if not dropped:
            break
    extras = [loc for loc, _, kind in found if kind == "extra_forbidden"]
    env = [(loc, m) for loc, m in env_errors if not _under(loc, extras)]
    env_locs = [loc for loc, _ in env]
    shown = [(loc, m) for loc, m, k in found if k == "extra_forbidden" or not _under(loc, env_locs)]
    # the order of the keys in the models, a table's unknown keys first
    return None, sorted(env + shown, key=lambda p: _order(p[0]))


def _left_open(data: dict[str, Any], loc: Loc, disabled: set[str]) -> bool:
    if len(loc) < 2 or loc[0] not in disabled:
        return False
    value = data[str(loc[0])].get(loc[1])
    return isinstance(value, str) and (
        (isinstance(value, EnvText) and bool(value.unset)) or not value.strip()
    )


def _under(loc: Loc, roots: Sequence[Loc]) -> bool:
    return any(loc[: len(root)] == root for root in roots)


def _problems(error: Any) -> list[tuple[Loc, str, str]]:
    """Pydantic's error in the operator's words."""
    loc: Loc = tuple(error["loc"])
    kind, ctx, value = error["type"], error.get("ctx") or {}, error.get("input")
    got = quote(value) if isinstance(value, EnvText) else type_name(value)
    if kind == "rollcall_many":
        return [((*loc, *sub), _place(m, (*loc, *sub)), "rollcall") for sub, m in ctx["found"]]
    if kind == "value_error":
        message = str(ctx["error"])
    elif kind == "extra_forbidden":
        message = "unknown key" + _did_you_mean(str(loc[-1]), _keys(_table_at(loc[:-1])))
    elif kind == "missing":
        message = "required"
    elif kind in _EXPECTED:
        message = f"expected {_EXPECTED[kind]}, got {got}"
    elif kind == "tuple_type":
        what = "tables ([[{key}]])" if _table_at(loc) else "strings"
        message = f"expected an array of {what}, got {got}"
    elif kind in ("literal_error", "enum"):
        choices = str(ctx["expected"]).replace("'", "").replace(" or ", ", ")
        message = f"must be one of {choices}, got {quote(value)}"
    elif kind in _BOUNDS:
        word, bound = _BOUNDS[kind]
        message = f"must be {word} {ctx[bound]:g}, got {value:g}"
    elif kind == "finite_number":
        message = f"must be a finite number, got {value:g}"
    else:
        message = str(error["msg"])
    return [(loc, _place(message, loc), kind)]


def _place(message: str, loc: Loc) -> str:
    return message.replace("{key}", dotted(loc)).replace("{table}", dotted(loc[:-1]))


def dotted(loc: Loc) -> str:
    """``("groups", 1, "schedule")`` → ``groups[1].schedule``."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else f".{part}" if out else str(part)
    return out


def _keys(table: type[BaseModel] | None) -> list[str]:
    fields = table.model_fields.items() if table is not None else ()
    return [info.alias or name for name, info in fields]


def _table_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return next(filter(None, map(_table_in, get_args(annotation))), None)


def _table_at(loc: Loc) -> type[BaseModel] | None:
    table: type[BaseModel] | None = ConfigTable
    for part in loc:
        if table is not None and not isinstance(part, int):
            field = next((f for n, f in table.model_fields.items() if (f.alias or n) == part), None)
            table = _table_in(field.annotation) if field is not None else None
    return table


def _order(loc: Loc) -> list[int]:
    key: list[int] = []
    for i, part in enumerate(loc):
        keys = _keys(_table_at(loc[:i]))
        key.append(part if isinstance(part, int) else keys.index(part) if part in keys else -1)
    return key


# -- conversion to the core's types ---------------------------------------------------------------


def _dataclass_in(hint: Any) -> type | None:
    if isinstance(hint, type) and hasattr(hint, "__dataclass_fields__"):
        return hint
    return next(filter(None, map(_dataclass_in, get_args(hint))), None)


def _fields(cls: type) -> dict[str, type | None]:
    """A core dataclass's fields, each with the dataclass its type names (or None)."""
    if cls not in _FIELDS:
        _FIELDS[cls] = {k: _dataclass_in(h) for k, h in get_type_hints(cls).items()}
    return _FIELDS[cls]


def _core(cls: type[T], table: BaseModel, **override: Any) -> T:
    """`cls` (a core dataclass) from the table's keys of the same names; nested tables and arrays
    of tables become the dataclasses the field's type names."""
    fields, values = _fields(cls), dict(override)
    for key in type(table).model_fields.keys() & fields.keys() - override.keys():
        value, inner = getattr(table, key), fields[key]
        if isinstance(value, BaseModel) and inner is not None:
            value = _core(inner, value)
        elif isinstance(value, tuple) and inner is not None:
            value = tuple(_core(inner, i) if isinstance(i, BaseModel) else i for i in value)
        values[key] = value
    return cls(**values)


def to_config(t: ConfigTable, base_dir: PathLike | None) -> s.Config:
    """The core's `Config`: every table and key by name, but for these few."""
    p, questions = t.program, t.program.survey.questions
    return _core(
        s.Config,
        t,
        storage_url=resolve_storage_url(t.storage.url, base_dir),
        server=_core(s.ServerConfig, t.server, public_url=t.server.public_url.rstrip("/")),
        slack=_core(s.SlackConfig, t.slack, api_base_url=t.slack.api_base_url.rstrip("/") + "/"),
        discord=_core(s.DiscordConfig, t.discord, api_base_url=t.discord.api_base_url.rstrip("/")),
        reminders=s.RemindersConfig(
            before=tuple(sorted(set(p.reminders.before), reverse=True)),
            quiet_hours=p.reminders.quiet_hours,
        ),
        survey=s.SurveyConfig() if questions is None else _core(s.SurveyConfig, p.survey),
        closures=tuple(
            _core(s.Closure, c, start=c.date or c.start, end=c.date or c.end) for c in t.closures
        ),
    )


def resolve_storage_url(url: str, base_dir: PathLike | None) -> str:
    """``sqlite:///rollcall.db`` → ``sqlite:////base/dir/rollcall.db``. Absolute paths,
    ``:memory:``, other databases and a `base_dir` of None leave the URL as it is."""
    match = _SQLITE_URL.match(url)
    if match is None or base_dir is None:
        return url
    path, sep, query = match[2].partition("?")
    path = os.path.expanduser(path)
    if path in ("", ":memory:") or path.startswith("file:") or os.path.isabs(path):
        return f"{match[1]}:///{path}{sep}{query}"
    full = os.path.normpath(os.path.join(os.fspath(base_dir), path))
    return f"{match[1]}:///{full}{sep}{query}"
