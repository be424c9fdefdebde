"""`config_schema()`: the JSON Schema editors use for rollcall.toml agrees with the loader."""

from __future__ import annotations

import tomllib
from dataclasses import fields
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from pydantic import BaseModel

from bot.config import ConfigError, config_schema, models, parse_config
from bot.core.domain import Group, Person, Policy, Program, Schedule
from bot.core.settings import (
    Closure,
    DiscordConfig,
    EmailConfig,
    RemindersConfig,
    ServerConfig,
    SlackConfig,
    SmsConfig,
    SurveyConfig,
    SurveyQuestion,
    ZoomConfig,
)

EXAMPLE = Path(__file__).resolve().parents[2] / "config.example.toml"


def as_json(value: Any) -> Any:
    """TOML as an editor hands it to a JSON Schema validator: dates and times as text."""
    if isinstance(value, dict):
        return {k: as_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_json(v) for v in value]
    if isinstance(value, date | datetime | time):
        return value.isoformat()
    return value


def problems(text: str) -> list[str]:
    validator = Draft202012Validator(config_schema())
    return [e.message for e in validator.iter_errors(as_json(tomllib.loads(text)))]


def test_the_schema_is_a_valid_draft_2020_12_schema() -> None:
    schema = config_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(schema)
    assert schema["additionalProperties"] is False


def test_the_example_config_validates() -> None:
    assert problems(EXAMPLE.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize(
    "text",
    [
        "colour = 1",
        "[program.policy]\nlate_after_minuts = 5",
        '[server]\nport = "8080"',
        "[server]\nport = 70000",
        "[slack]\nenabled = 'yes'",
        '[slack]\nmode = "websocket"',
        "[program.policy]\nmin_attendance_ratio = 1.5",
        "[[people]]\nid = 'p-1'",
        "[people]\nid = 'x'",
        "[[groups]]\nid = 'g'\nname = 'G'\nschedule = { rrule = 'FREQ=DAILY', start = '18:00' }",
    ],
)
def test_the_schema_refuses_what_the_loader_refuses(text: str) -> None:
    with pytest.raises(ConfigError):
        parse_config(text, {})
    assert problems(text)


@pytest.mark.parametrize(
    "text",
    [
        '[server]\nport = "${PORT}"',
        '[zoom]\nenabled = "${ZOOM_ON}"',
        '[slack]\nmode = "${SLACK_MODE}"',
        "[[people]]\nid = 'p-1'\ndisplay_name = 'P'\ndiscord_user_id = 111",
        "[[closures]]\ndate = 2026-12-25",
        "[[groups]]\nid = 'g'\nname = 'G'\n"
        "schedule = { rrule = 'FREQ=DAILY', start = 09:30:00, minutes = 60 }",
    ],
)
def test_the_schema_accepts_environment_references_and_native_toml_values(text: str) -> None:
    assert problems(text) == []


def test_keys_carry_their_defaults_and_descriptions() -> None:
    defs = config_schema()["$defs"]
    policy = defs["PolicyTable"]["properties"]
    assert policy["late_after_minutes"]["default"] == 10
    assert defs["Reminders"]["properties"]["before"]["default"] == ["24h", "15m"]
    assert "description" in defs["PersonTable"]["properties"]["channels"]
    assert defs["PersonTable"]["required"] == ["id", "display_name"]


@pytest.mark.parametrize(
    ("table", "core", "not_configured"),
    [
        (models.Server, ServerConfig, set()),
        (models.Slack, SlackConfig, set()),
        (models.Discord, DiscordConfig, set()),
        (models.Zoom, ZoomConfig, set()),
        (models.Email, EmailConfig, set()),
        (models.Sms, SmsConfig, set()),
        (models.ProgramTable, Program, set()),
        (models.PolicyTable, Policy, set()),
        (models.Reminders, RemindersConfig, set()),
        (models.Survey, SurveyConfig, set()),
        (models.Question, SurveyQuestion, set()),
        (models.PersonTable, Person, {"forgotten"}),
        (models.GroupTable, Group, set()),
        (models.ScheduleTable, Schedule, set()),
        (models.ClosureTable, Closure, {"start", "end"}),  # from, to (or date) in the file
    ],
)
def test_every_field_of_the_core_types_is_a_key(
    table: type[BaseModel], core: type[Any], not_configured: set[str]
) -> None:
    # a field added to a core value type needs its one line in bot/config/models.py too
    assert {f.name for f in fields(core)} - not_configured <= set(table.model_fields)
