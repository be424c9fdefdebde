"""The TOML configuration (PRODUCT.md, "Config"): `load_config`, `parse_config`, `config_schema`.

Every problem is reported with its key path, all at once::

    config.toml: 2 problems:
      groups[1].schedule.start: expected HH:MM, got "25:00"
      program.policy.late_after_minuts: unknown key (did you mean late_after_minutes?)

Any string may be ``"${NAME}"`` or contain ``${NAME}`` pieces, read from the environment
(``$${NAME}`` is a literal ``${NAME}``). An unset variable is an error naming the key, except in a
platform section (slack, discord, zoom, email, sms) that is not enabled: a disabled section's
unresolved strings are kept as written, so the example config loads with an empty environment.
Integer and boolean keys may also be given as a ``"${NAME}"`` string (``port = "${PORT}"``).

The tables and their keys are pydantic models in `bot.config.models` (how to add a key is said
there); `bot.config.loading` substitutes, validates and converts them into the core's value types
(`bot.core.settings`); `bot.config.values` parses the small value languages.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from typing import Any

from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue
from pydantic_core import core_schema

from bot.config.loading import ConfigError, read_toml
from bot.config.models import ConfigTable
from bot.config.types import ENV_REF
from bot.core.settings import Config

__all__ = ["Config", "ConfigError", "config_schema", "load_config", "parse_config"]

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


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
    return read_toml(raw, os.environ if env is None else env, source, base_dir)


class _TomlSchema(GenerateJsonSchema):
    """TOML has no null: an optional key is one that may be left out. A number, boolean or
    choice may be a ``"${NAME}"`` string too."""

    def int_schema(self, schema: core_schema.IntSchema) -> JsonSchemaValue:
        return {"anyOf": [super().int_schema(schema), ENV_REF]}

    def float_schema(self, schema: core_schema.FloatSchema) -> JsonSchemaValue:
        return {"anyOf": [super().float_schema(schema), ENV_REF]}

    def bool_schema(self, schema: core_schema.BoolSchema) -> JsonSchemaValue:
        return {"anyOf": [super().bool_schema(schema), ENV_REF]}

    def literal_schema(self, schema: core_schema.LiteralSchema) -> JsonSchemaValue:
        return {"anyOf": [super().literal_schema(schema), ENV_REF]}

    def enum_schema(self, schema: core_schema.EnumSchema) -> JsonSchemaValue:
        return {"anyOf": [super().enum_schema(schema), ENV_REF]}

    def nullable_schema(self, schema: core_schema.NullableSchema) -> JsonSchemaValue:
        return self.generate_inner(schema["schema"])

    def default_schema(self, schema: core_schema.WithDefaultSchema) -> JsonSchemaValue:
        out = super().default_schema(schema)
        if out.get("default", "") is None:
            del out["default"]
        return out


def config_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of the config file, for editors and `rollcall config schema`.
    Where a value may come from the environment, a ``"${NAME}"`` string is allowed too."""
    schema = ConfigTable.model_json_schema(by_alias=True, schema_generator=_TomlSchema)
    return {"$schema": SCHEMA_DIALECT, **schema}
