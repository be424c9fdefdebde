"""Reading each part of the config into its value type; `read_config` puts them together.

Standard library only. People and groups are in `bot.config.roster`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import fields, replace
from datetime import time, timedelta
from typing import Any

from bot.config.parse import (
    Reader,
    Table,
)
from bot.config.roster import check_roster, read_groups, read_people
from bot.config.values import (
    check_email,
    check_http_url,
    check_id,
    check_snowflake,
    check_timezone,
    normalize_phone,
    parse_date,
    parse_duration,
    parse_quiet_hours,
    quote,
    type_name,
)
from bot.core.domain import Policy, Program
from bot.core.settings import (
    DEFAULT_STORAGE_URL,
    Closure,
    Config,
    DiscordConfig,
    EmailConfig,
    QuestionKind,
    RemindersConfig,
    ServerConfig,
    SlackConfig,
    SmsConfig,
    SurveyConfig,
    SurveyQuestion,
    ZoomConfig,
)

PathLike = str | os.PathLike[str]

_TOP_KEYS = (
    "storage", "server", "slack", "discord", "zoom", "email", "sms", "program", "people",
    "groups", "closures",
)  # fmt: skip
_PROGRAM_KEYS = ("name", "timezone", "policy", "reminders", "survey")
_QUESTION_KEYS = ("id", "kind", "prompt", "choices", "anonymous", "confirms_attendance")
_CLOSURE_KEYS = ("date", "from", "to", "reason", "groups")
_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")
_SQLITE_URL = re.compile(r"(sqlite(?:\+[A-Za-z0-9_]+)?):///(.*)\Z", re.DOTALL)


def read_config(reader: Reader, raw: Mapping[str, Any], base_dir: PathLike | None) -> Config:
    """Build the `Config` from parsed TOML, reporting every problem to `reader`."""
    root = Table(reader, raw, "", _TOP_KEYS)
    # problems are reported roughly in the order of the example file
    storage_url, server = _storage(root, base_dir), _server(root)
    slack, discord, zoom = _slack(root), _discord(root), _zoom(root)
    email, sms = _email(root), _sms(root)
    program = root.table("program", _PROGRAM_KEYS)
    config = Config(
        storage_url=storage_url,
        server=server,
        slack=slack,
        discord=discord,
        zoom=zoom,
        email=email,
        sms=sms,
        program=_program(program),
        reminders=_reminders(program),
        survey=_survey(program),
        people=read_people(root),
        groups=read_groups(root),
        closures=_closures(root),
    )
    if reader.errors:
        return config
    # only once every entry is well-formed, so that one typo does not cascade
    check_roster(reader, config.people, config.groups)
    group_ids = {g.id for g in config.groups}
    for i, closure in enumerate(config.closures):
        for gid in closure.groups:
            if gid not in group_ids:
                reader.error(f"closures[{i}].groups", f"unknown group {quote(gid)}")
    return config


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


def _storage(root: Table, base_dir: PathLike | None) -> str:
    t = root.table("storage", ("url",))
    if t is None:
        return resolve_storage_url(DEFAULT_STORAGE_URL, base_dir)
    url = t.string("url", DEFAULT_STORAGE_URL)
    if not _URL.match(url):
        # the URL may hold a password: not echoed
        t.error("url", 'expected a database URL such as "sqlite:///rollcall.db"')
    return resolve_storage_url(url, base_dir)


def _server(root: Table) -> ServerConfig:
    t = root.table("server", ("host", "port"))
    if t is None:
        return ServerConfig()
    default = ServerConfig()
    return ServerConfig(
        host=t.string("host", default.host),
        port=t.integer("port", default.port, lo=0, hi=65535),
    )


def _platform(root: Table, key: str, keys: tuple[str, ...]) -> Table | None:
    """A platform section: its ``${NAME}`` strings are resolved only when it is enabled."""
    t = root.table(key, ("enabled", *keys))
    if t is not None:
        t.resolve = t.boolean("enabled", False)
    return t


def _require_when_enabled(t: Table, values: dict[str, str], reason: str) -> None:
    for key, value in values.items():
        if not value and not t.has_error(key):
            t.error(key, f"required when {reason}")


def _slack(root: Table) -> SlackConfig:
    keys = ("mode", "bot_token", "signing_secret", "app_token", "api_base_url")
    t = _platform(root, "slack", keys)
    if t is None:
        return SlackConfig()
    url = t.string("api_base_url", SlackConfig().api_base_url, check=check_http_url)
    mode = t.choice("mode", ("http", "socket"), "http")
    cfg = SlackConfig(
        enabled=t.resolve,
        mode=mode,
        bot_token=t.secret("bot_token"),
        # each mode uses one of these two: the other's ${VAR} may stay unset
        signing_secret=t.secret("signing_secret", unused=mode == "socket"),
        app_token=t.secret("app_token", unused=mode == "http"),
        api_base_url=url if url.endswith("/") else url + "/",
    )
    if cfg.enabled:
        _require_when_enabled(t, {"bot_token": cfg.bot_token}, "slack is enabled")
        if cfg.mode == "socket":
            needed = {"app_token": cfg.app_token}
        else:
            needed = {"signing_secret": cfg.signing_secret}
        if not t.has_error("mode"):
            _require_when_enabled(t, needed, f"slack.mode is {quote(cfg.mode)}")
    return cfg


def _discord(root: Table) -> DiscordConfig:
    keys = ("token", "api_base_url", "application_id", "sharded")
    t = _platform(root, "discord", keys)
    if t is None:
        return DiscordConfig()
    url = t.string("api_base_url", DiscordConfig().api_base_url, check=check_http_url)
    cfg = DiscordConfig(
        enabled=t.resolve,
        token=t.secret("token"),
        api_base_url=url.rstrip("/"),
        application_id=t.opt_string("application_id", allow_int=True, check=check_snowflake),
        sharded=t.boolean("sharded", False),
    )
    if cfg.enabled:
        _require_when_enabled(t, {"token": cfg.token}, "discord is enabled")
    return cfg


def _zoom(root: Table) -> ZoomConfig:
    t = _platform(root, "zoom", ("webhook_secret",))
    if t is None:
        return ZoomConfig()
    cfg = ZoomConfig(enabled=t.resolve, webhook_secret=t.secret("webhook_secret"))
    if cfg.enabled:
        _require_when_enabled(t, {"webhook_secret": cfg.webhook_secret}, "zoom is enabled")
    return cfg


def _email(root: Table) -> EmailConfig | None:
    keys = ("host", "port", "username", "password", "from_addr", "starttls")
    t = _platform(root, "email", keys)
    if t is None:
        return None
    default = EmailConfig()
    cfg = EmailConfig(
        enabled=t.resolve,
        host=t.string("host"),
        port=t.integer("port", default.port, lo=1, hi=65535),
        username=t.string("username"),
        password=t.secret("password"),
        from_addr=t.string("from_addr", check=check_email),
        starttls=t.boolean("starttls", default.starttls),
    )
    if cfg.enabled:
        _require_when_enabled(t, {"host": cfg.host, "from_addr": cfg.from_addr}, "email is enabled")
        if cfg.password and not cfg.username:
            t.error("username", "required when email.password is set")
    return cfg


def _sms(root: Table) -> SmsConfig | None:
    keys = ("api_base_url", "account_sid", "auth_token", "from_number")
    t = _platform(root, "sms", keys)
    if t is None:
        return None
    cfg = SmsConfig(
        enabled=t.resolve,
        api_base_url=t.string("api_base_url", SmsConfig().api_base_url, check=check_http_url),
        account_sid=t.string("account_sid"),
        auth_token=t.secret("auth_token"),
        from_number=t.string("from_number", check=normalize_phone),
    )
    if cfg.enabled:
        needed = {
            "account_sid": cfg.account_sid,
            "auth_token": cfg.auth_token,
            "from_number": cfg.from_number,
        }
        _require_when_enabled(t, needed, "sms is enabled")
    return cfg


# ---------------------------------------------------------------------------------------------
# [program]

#: (lowest, highest) allowed; every other policy parameter is a count or a time: at least 0
_POLICY_BOUNDS: dict[str, tuple[float, float | None]] = {
    "min_attendance_ratio": (0, 1),
    "rate_alert_below": (0, 1),
    "consecutive_absences_alert": (1, None),
    "rate_window_days": (1, None),
    "cycle_days": (1, None),
    "weekly_min_hours": (0, 7 * 24),
    "weekly_min_days": (0, 7),
}


def _program(t: Table | None) -> Program:
    if t is None:
        return Program()
    default = Program()
    return Program(
        name=t.string("name", default.name),
        timezone=t.string("timezone", default.timezone, check=check_timezone),
        policy=_policy(t.table("policy", [f.name for f in fields(Policy)])),
    )


def _policy(t: Table | None) -> Policy:
    if t is None:
        return Policy()
    default = Policy()
    values: dict[str, Any] = {}  # int or float, per the field
    for f in fields(Policy):
        if not t.has(f.name):
            continue
        lo, hi = _POLICY_BOUNDS.get(f.name, (0, None))
        if f.type in ("int", int):
            values[f.name] = t.integer(
                f.name, getattr(default, f.name), lo=int(lo), hi=None if hi is None else int(hi)
            )
        else:
            values[f.name] = t.number(f.name, getattr(default, f.name), lo=lo, hi=hi)
    return replace(default, **values)


def _reminders(program: Table | None) -> RemindersConfig:
    t = program.table("reminders", ("before", "quiet_hours")) if program else None
    if t is None:
        return RemindersConfig()
    before = RemindersConfig().before
    if t.has("before"):
        parsed: set[timedelta] = set()
        for i, text in enumerate(t.strings("before", unique=False)):
            try:
                span = parse_duration(text)
            except ValueError as exc:
                t.error(f"before[{i}]", str(exc))
                continue
            if span <= timedelta(0):
                t.error(f"before[{i}]", f"must be longer than zero, got {quote(text)}")
            parsed.add(span)
        before = tuple(sorted(parsed, reverse=True))
    quiet = None
    if t.has("quiet_hours"):
        quiet = t.parsed("quiet_hours", _quiet_hours)
    return RemindersConfig(before=before, quiet_hours=quiet)


def _quiet_hours(value: object) -> tuple[time, time]:
    if not isinstance(value, str):
        raise ValueError(f'expected HH:MM-HH:MM such as "21:00-08:00", got {type_name(value)}')
    return parse_quiet_hours(value)


def _survey(program: Table | None) -> SurveyConfig:
    t = program.table("survey", ("questions",)) if program else None
    if t is None or not t.has("questions"):
        return SurveyConfig()
    questions = tuple(_question(q) for q in t.tables("questions", _QUESTION_KEYS))
    seen: set[str] = set()
    confirming = 0
    for i, q in enumerate(questions):
        path = f"questions[{i}]"
        if q.id in seen:
            t.error(f"{path}.id", f"duplicate question id {quote(q.id)}")
        seen.add(q.id)
        confirming += q.confirms_attendance
        if confirming > 1 and q.confirms_attendance:
            t.error(f"{path}.confirms_attendance", "only one question may confirm attendance")
    return SurveyConfig(questions=questions)


def _question(t: Table) -> SurveyQuestion:
    t.require("id", "kind", "prompt")
    kind = QuestionKind(t.choice("kind", [k.value for k in QuestionKind], QuestionKind.TEXT))
    choices = t.strings("choices")
    kind_known = t.has("kind") and not t.has_error("kind")
    if kind_known and kind is QuestionKind.CHOICE and len(choices) < 2:
        t.error("choices", 'kind "choice" needs at least two choices')
    elif kind_known and kind is not QuestionKind.CHOICE and choices:
        t.error("choices", f'only for kind "choice", not {quote(kind.value)}')
    question = SurveyQuestion(
        id=t.string("id", check=check_id),
        kind=kind,
        prompt=t.string("prompt"),
        choices=choices,
        anonymous=t.boolean("anonymous", False),
        confirms_attendance=t.boolean("confirms_attendance", False),
    )
    if question.confirms_attendance:
        if kind is not QuestionKind.YES_NO:
            t.error("confirms_attendance", 'only for kind "yes_no"')
        if question.anonymous:
            t.error("confirms_attendance", "an anonymous answer cannot confirm attendance")
    return question


# ---------------------------------------------------------------------------------------------
# [[closures]]


def _closures(root: Table) -> tuple[Closure, ...]:
    out: list[Closure] = []
    for t in root.tables("closures", _CLOSURE_KEYS):
        reason, groups = t.string("reason"), t.strings("groups")
        if t.has("date"):
            if t.has("from") or t.has("to"):
                t.fail("give either date, or from and to")
            start = end = t.parsed("date", parse_date)
        elif t.has("from") or t.has("to"):
            t.require("from", "to")
            start, end = t.parsed("from", parse_date), t.parsed("to", parse_date)
        else:
            t.fail("give a date, or from and to")
            start = end = None
        if start is None or end is None:
            continue
        if end < start:
            t.error("to", f"must not be before from ({start.isoformat()})")
        out.append(Closure(start=start, end=end, reason=reason, groups=groups))
    return tuple(out)
