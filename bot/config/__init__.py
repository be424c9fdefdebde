"""The TOML configuration (PRODUCT.md, "Config"): `load_config`, `parse_config` and `Config`.

Standard library only. Every problem is reported with its key path, all at once::

    config.toml: 2 problems:
      groups[1].schedule.start: expected HH:MM, got "25:00"
      program.policy.late_after_minuts: unknown key (did you mean late_after_minutes?)

Any string may be ``"${NAME}"`` or contain ``${NAME}`` pieces, read from the environment
(``$${NAME}`` is a literal ``${NAME}``). An unset variable is an error naming the key, except in a
platform section (slack, discord, zoom, email, sms) that is not enabled: a disabled section's
unresolved strings are kept as written, so the example config loads with an empty environment.
Integer and boolean keys may also be given as a ``"${NAME}"`` string (``port = "${PORT}"``).

The work is split: `bot.core.settings` (the value types, re-exported here), `bot.config.parse`
(the key-path-aware reader and value parsers), `bot.config.sections` and `bot.config.roster`.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping

from bot.config.parse import (
    ConfigError,
    Reader,
)
from bot.config.sections import read_config, resolve_storage_url
from bot.config.values import (
    format_duration,
    format_quiet_hours,
    parse_duration,
    parse_hhmm,
    parse_quiet_hours,
    substitute_env,
)
from bot.core.settings import (
    DEFAULT_STORAGE_URL,
    DEFAULT_SURVEY_QUESTIONS,
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

__all__ = [
    "DEFAULT_STORAGE_URL",
    "DEFAULT_SURVEY_QUESTIONS",
    "Closure",
    "Config",
    "ConfigError",
    "DiscordConfig",
    "EmailConfig",
    "QuestionKind",
    "RemindersConfig",
    "ServerConfig",
    "SlackConfig",
    "SmsConfig",
    "SurveyConfig",
    "SurveyQuestion",
    "ZoomConfig",
    "format_duration",
    "format_quiet_hours",
    "load_config",
    "parse_config",
    "parse_duration",
    "parse_hhmm",
    "parse_quiet_hours",
    "resolve_storage_url",
    "substitute_env",
]


def load_config(path: str | os.PathLike[str], env: Mapping[str, str] | None = None) -> Config:
    """Read and check a TOML config file. Relative SQLite paths are taken relative to the
    file's directory, so the result does not depend on the working directory."""
    name = os.fspath(path)
    try:
        with open(name, "rb") as fh:
            data = fh.read()
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {name}") from None
    except OSError as exc:
        raise ConfigError(f"cannot read config file {name}: {exc.strerror or exc}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{name}: not UTF-8 text (byte {exc.start})") from None
    base_dir = os.path.dirname(os.path.abspath(name))
    return parse_config(text, env, source=name, base_dir=base_dir)


def parse_config(
    text: str,
    env: Mapping[str, str] | None = None,
    *,
    source: str = "config",
    base_dir: str | os.PathLike[str] | None = None,
) -> Config:
    """Check TOML text. `env` defaults to os.environ; `source` names the text in messages;
    relative SQLite paths are resolved against `base_dir` when given, else left as they are."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: invalid TOML: {exc}") from None
    reader = Reader(os.environ if env is None else env)
    config = read_config(reader, raw, base_dir)
    reader.raise_if_errors(source)
    return config
