from __future__ import annotations

import os
import tomllib
from dataclasses import fields
from datetime import date, time, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.config import Config, ConfigError, load_config, parse_config
from bot.config.loading import resolve_storage_url
from bot.config.values import parse_duration, parse_quiet_hours, substitute_env
from bot.core.domain import Policy, Program, Role
from bot.core.settings import (
    DEFAULT_SURVEY_QUESTIONS,
    QuestionKind,
    RemindersConfig,
    ServerConfig,
    SlackConfig,
)

EXAMPLE = Path(__file__).resolve().parents[2] / "config.example.toml"

PEOPLE = """
[[people]]
id = "f-001"
display_name = "Dr. R."
role = "facilitator"

[[people]]
id = "p-001"
display_name = "J."

[[people]]
id = "p-002"
display_name = "M."
"""

GROUP = """
[[groups]]
id = "g-1"
name = "Group 1"
facilitators = ["f-001"]
participants = ["p-001"]
"""


def error_of(text: str, env: dict[str, str] | None = None) -> str:
    with pytest.raises(ConfigError) as info:
        parse_config(text, {} if env is None else env, source="c.toml")
    return str(info.value)


# -- the example ----------------------------------------------------------------------------------


def test_example_loads_with_an_empty_environment() -> None:
    cfg = load_config(EXAMPLE, env={})
    assert cfg.storage_url == f"sqlite:///{EXAMPLE.parent / 'rollcall.db'}"
    assert not (cfg.slack.enabled or cfg.discord.enabled or cfg.zoom.enabled)
    assert cfg.email is not None and not cfg.email.enabled
    assert cfg.sms is not None and not cfg.sms.enabled
    assert cfg.program == Program(
        name="Evening IOP", timezone="America/New_York", contact="(555) 010-0100"
    )
    assert cfg.reminders.before == (timedelta(hours=24), timedelta(minutes=15))
    assert cfg.reminders.quiet_hours == (time(21), time(8))
    assert cfg.survey.questions == DEFAULT_SURVEY_QUESTIONS
    people = {p.id: p for p in cfg.people}
    assert set(people) == {"f-001", "a-001", "p-001", "p-002", "p-003", "p-004"}
    assert people["f-001"].role is Role.FACILITATOR
    assert people["a-001"].role is Role.ADMIN
    assert [g.id for g in cfg.groups] == ["evening-a", "evening-b"]
    a, b = cfg.groups
    assert a.schedule is not None and a.schedule.start == time(18) and a.schedule.minutes == 180
    assert a.schedule.rrule == "FREQ=WEEKLY;BYDAY=MO,WE,TH"
    assert a.facilitators == ("f-001",)
    assert a.participants == ("p-001", "p-002", "p-003", "p-004")
    assert a.has_presence_detection
    assert b.schedule is None and "p-004" in b.participants
    assert cfg.closures and cfg.closure_on(date(2026, 12, 31)) is not None


def test_example_lists_every_policy_parameter_with_its_default() -> None:
    raw = tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))
    assert set(raw["program"]["policy"]) == {f.name for f in fields(Policy)}
    assert load_config(EXAMPLE, env={}).program.policy == Policy()


def test_example_platform_secrets_resolve_when_set() -> None:
    cfg = load_config(EXAMPLE, env={"SLACK_BOT_TOKEN": "xoxb-1"})
    assert cfg.slack.bot_token == "xoxb-1"  # disabled sections still use what is set
    assert cfg.slack.signing_secret == "${SLACK_SIGNING_SECRET}"  # and keep what is not


# -- defaults -------------------------------------------------------------------------------------


def test_empty_config_is_all_defaults() -> None:
    cfg = parse_config("", {})
    assert cfg == Config()
    assert cfg.storage_url == "sqlite:///rollcall.db"
    assert cfg.server == ServerConfig(host="127.0.0.1", port=8080)
    assert cfg.slack == SlackConfig(enabled=False, mode="http")
    assert cfg.slack.api_base_url == "https://slack.com/api/"
    assert cfg.discord.api_base_url == "https://discord.com/api/v10"
    assert cfg.discord.application_id is None and not cfg.discord.sharded
    assert cfg.email is None and cfg.sms is None
    assert cfg.program == Program()
    assert cfg.reminders == RemindersConfig()
    assert cfg.reminders.quiet_hours is None
    assert cfg.people == () and cfg.groups == () and cfg.closures == ()


def test_default_survey_has_three_questions_and_the_first_confirms_attendance() -> None:
    questions = parse_config("", {}).survey.questions
    assert len(questions) == 3
    assert questions[0].kind is QuestionKind.YES_NO and questions[0].confirms_attendance
    assert not any(q.confirms_attendance for q in questions[1:])


def test_an_explicit_empty_survey_sends_none() -> None:
    assert parse_config("[program.survey]\nquestions = []", {}).survey.questions == ()
    assert parse_config("[program.survey]", {}).survey.questions == DEFAULT_SURVEY_QUESTIONS


def test_person_and_group_defaults() -> None:
    cfg = parse_config(PEOPLE + GROUP, {})
    person = cfg.person("p-001")
    assert person is not None and person.role is Role.PARTICIPANT
    assert person.channels == ("chat",) and person.aliases == ()
    group = cfg.group("g-1")
    assert group is not None and group.schedule is None and group.capacity is None
    assert cfg.person("nobody") is None and cfg.group("nothing") is None


def test_secrets_stay_out_of_the_repr() -> None:
    cfg = parse_config(
        '[slack]\nenabled = true\nbot_token = "xoxb-secret"\nsigning_secret = "shh"', {}
    )
    assert cfg.slack.bot_token == "xoxb-secret"
    assert "xoxb-secret" not in repr(cfg) and "shh" not in repr(cfg)


# -- files and storage ----------------------------------------------------------------------------


def test_relative_sqlite_path_is_relative_to_the_config_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    conf_dir = tmp_path / "some" / "dir"
    conf_dir.mkdir(parents=True)
    (conf_dir / "c.toml").write_text('[storage]\nurl = "sqlite:///data/r.db"\n')
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    cfg = load_config(Path("..") / "some" / "dir" / "c.toml", env={})
    assert cfg.storage_url == f"sqlite:///{conf_dir / 'data' / 'r.db'}"


def test_default_storage_is_next_to_the_config_file(tmp_path: Path) -> None:
    (tmp_path / "c.toml").write_text("")
    assert load_config(tmp_path / "c.toml", env={}).storage_url == (
        f"sqlite:///{tmp_path / 'rollcall.db'}"
    )


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("sqlite:///r.db", "sqlite:////base/r.db"),
        ("sqlite:///./x/../r.db", "sqlite:////base/r.db"),
        ("sqlite+aiosqlite:///r.db?timeout=5", "sqlite+aiosqlite:////base/r.db?timeout=5"),
        ("sqlite:////abs/r.db", "sqlite:////abs/r.db"),
        ("sqlite:///:memory:", "sqlite:///:memory:"),
        ("sqlite://", "sqlite://"),
        ("postgresql+asyncpg://u@h/db", "postgresql+asyncpg://u@h/db"),
    ],
)
def test_resolve_storage_url(url: str, expected: str) -> None:
    assert resolve_storage_url(url, "/base") == expected
    assert resolve_storage_url(url, None) == url


def test_storage_url_must_be_a_url_and_is_not_echoed() -> None:
    message = error_of('[storage]\nurl = "hunter2@db"')
    assert 'storage.url: expected a database URL such as "sqlite:///rollcall.db"' in message
    assert "hunter2" not in message


def test_missing_file() -> None:
    with pytest.raises(ConfigError, match=r"config file not found: /nope/c\.toml"):
        load_config("/nope/c.toml", env={})


def test_toml_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('[server]\nport = \nhost = "x"\n')
    with pytest.raises(ConfigError) as info:
        load_config(path, env={})
    assert str(path) in str(info.value) and "line 2" in str(info.value)


def test_utf8_bom_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_bytes('\ufeff[program]\nname = "É"\n'.encode())
    assert load_config(path, env={}).program.name == "É"


# -- ${NAME} substitution -------------------------------------------------------------------------


def test_env_substitution_whole_and_in_pieces() -> None:
    env = {"DB_PASS": "pw", "HOST": "db.local", "PROGRAM": "Evening"}
    cfg = parse_config(
        '[storage]\nurl = "postgresql+asyncpg://app:${DB_PASS}@${HOST}/rc"\n'
        '[program]\nname = "${PROGRAM}"\n',
        env,
    )
    assert cfg.storage_url == "postgresql+asyncpg://app:pw@db.local/rc"
    assert cfg.program.name == "Evening"


def test_env_substitution_in_arrays_people_and_groups() -> None:
    env = {"FAC": "f-001", "SLACK_U": "U0009"}
    text = PEOPLE.replace(
        'display_name = "J."', 'display_name = "J."\nslack_user_id = "${SLACK_U}"'
    )
    cfg = parse_config(text + GROUP.replace('["f-001"]', '["${FAC}"]'), env)
    assert cfg.groups[0].facilitators == ("f-001",)
    assert cfg.people[1].slack_user_id == "U0009"


def test_dollar_dollar_escapes_a_reference() -> None:
    cfg = parse_config('[program]\nname = "$${NOT_A_VAR} $5"', {})
    assert cfg.program.name == "${NOT_A_VAR} $5"


def test_unset_variable_names_the_key_and_the_variable() -> None:
    message = error_of('[slack]\nenabled = true\nbot_token = "${SLACK_BOT_TOKEN}"')
    assert "slack.bot_token: environment variable SLACK_BOT_TOKEN is not set" in message


def test_unset_variable_outside_platform_sections_is_always_an_error() -> None:
    message = error_of(PEOPLE.replace('"M."', '"${NAME_OF_M}"'))
    assert "people[2].display_name: environment variable NAME_OF_M is not set" in message
    assert "c.toml" in message


def test_unset_variable_in_an_array_names_the_element() -> None:
    message = error_of(PEOPLE + GROUP.replace('["p-001"]', '["p-001", "${P2}"]'))
    assert "groups[0].participants[1]: environment variable P2 is not set" in message


def test_disabled_sections_do_not_resolve() -> None:
    text = """
[slack]
enabled = false
mode = "${SLACK_MODE}"
bot_token = "${SLACK_BOT_TOKEN}"
[discord]
token = "${DISCORD_TOKEN}"
[zoom]
webhook_secret = "${ZOOM_WEBHOOK_SECRET}"
[email]
port = "${SMTP_PORT}"
password = "${SMTP_PASSWORD}"
[sms]
auth_token = "${SMS_AUTH_TOKEN}"
"""
    cfg = parse_config(text, {})
    assert cfg.slack.mode == "http" and cfg.slack.bot_token == "${SLACK_BOT_TOKEN}"
    assert cfg.email is not None and cfg.email.port == 587


def test_disabled_sections_accept_empty_variables() -> None:
    cfg = parse_config('[discord]\napi_base_url = "${DISCORD_API}"', {"DISCORD_API": ""})
    assert not cfg.discord.enabled


def test_an_unset_secret_is_reported_once() -> None:
    message = error_of('[discord]\nenabled = true\ntoken = "${DISCORD_TOKEN}"')
    assert message == "c.toml: discord.token: environment variable DISCORD_TOKEN is not set"


def test_enabled_can_come_from_the_environment() -> None:
    text = '[zoom]\nenabled = "${ZOOM_ON}"\nwebhook_secret = "${ZOOM_SECRET}"'
    assert not parse_config(text, {"ZOOM_ON": "false"}).zoom.enabled
    cfg = parse_config(text, {"ZOOM_ON": "true", "ZOOM_SECRET": "s"})
    assert cfg.zoom.enabled and cfg.zoom.webhook_secret == "s"
    assert "zoom.webhook_secret: environment variable ZOOM_SECRET is not set" in error_of(
        text, {"ZOOM_ON": "yes"}
    )


def test_integers_can_come_from_the_environment() -> None:
    assert parse_config('[server]\nport = "${PORT}"', {"PORT": "9000"}).server.port == 9000
    assert 'server.port: expected an integer, got "abc"' in error_of(
        '[server]\nport = "${PORT}"', {"PORT": "abc"}
    )


def test_env_defaults_to_os_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROLLCALL_TEST_NAME", "From env")
    assert parse_config('[program]\nname = "${ROLLCALL_TEST_NAME}"').program.name == "From env"
    assert os.environ["ROLLCALL_TEST_NAME"] == "From env"


def test_malformed_reference() -> None:
    assert 'program.name: invalid environment variable reference "${1X}"' in error_of(
        '[program]\nname = "${1X}"'
    )


@given(st.lists(st.one_of(st.text(alphabet="ab{}_ \n"), st.sampled_from(["${A}", "${B}"]))))
def test_substitute_env_replaces_set_references_and_reports_unset_ones(parts: list[str]) -> None:
    out, unset = substitute_env("".join(parts), {"A": "1"})
    assert out == "".join("1" if p == "${A}" else p for p in parts)
    assert unset == (("B",) if "${B}" in parts else ())


# -- validation messages --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # keys
        ("colour = 1", "colour: unknown key"),
        (
            "[program.policy]\nlate_after_minuts = 5",
            "program.policy.late_after_minuts: unknown key (did you mean late_after_minutes?)",
        ),
        ("[server]\nhots = 'x'", "server.hots: unknown key"),
        (PEOPLE + "nickname = 'x'", "people[2].nickname: unknown key"),
        (
            PEOPLE + GROUP + "schedule = { rrule = 'FREQ=DAILY', start = '18:00', minutes = 60, "
            "tz = 'UTC' }",
            "groups[0].schedule.tz: unknown key",
        ),
        # types and ranges
        ('[server]\nport = "8080"', "server.port: expected an integer, got a string"),
        ("[server]\nport = 70000", "server.port: must be at most 65535, got 70000"),
        ("[server]\nhost = 1", "server.host: expected a string, got an integer"),
        ("server = 1", "server: expected a table, got an integer"),
        ("[people]\nid = 'x'", "people: expected an array of tables ([[people]]), got a table"),
        ("[slack]\nenabled = 'yes'", "slack.enabled: expected true or false, got a string"),
        ('[slack]\nmode = "websocket"', 'slack.mode: must be one of http, socket, got "websocket"'),
        ('[slack]\napi_base_url = "slack.com"', "slack.api_base_url: expected an http:// or"),
        # program
        ('[program]\ntimezone = "Mars/Base"', 'program.timezone: unknown time zone "Mars/Base"'),
        ('[program]\ntimezone = "America"', 'program.timezone: unknown time zone "America"'),
        ("[program]\nname = ''", "program.name: must not be empty"),
        (
            "[program.policy]\nmin_attendance_ratio = 1.5",
            "program.policy.min_attendance_ratio: must be at most 1, got 1.5",
        ),
        (
            "[program.policy]\nrate_alert_below = -0.1",
            "program.policy.rate_alert_below: must be at least 0, got -0.1",
        ),
        (
            "[program.policy]\nlate_after_minutes = -1",
            "program.policy.late_after_minutes: must be at least 0, got -1",
        ),
        (
            "[program.policy]\nlate_after_minutes = 2.5",
            "program.policy.late_after_minutes: expected an integer, got a float",
        ),
        (
            "[program.policy]\nweekly_min_hours = nan",
            "program.policy.weekly_min_hours: must be a finite number",
        ),
        (
            "[program.policy]\nweekly_min_days = 8",
            "program.policy.weekly_min_days: must be at most 7, got 8",
        ),
        (
            '[program.reminders]\nbefore = ["24h", "soon"]',
            'program.reminders.before[1]: expected a duration such as "24h"',
        ),
        (
            '[program.reminders]\nbefore = ["0m"]',
            'program.reminders.before[0]: must be longer than zero, got "0m"',
        ),
        (
            '[program.reminders]\nquiet_hours = "9pm-8am"',
            'program.reminders.quiet_hours: expected HH:MM-HH:MM such as "21:00-08:00"',
        ),
        # people
        (
            PEOPLE.replace('role = "facilitator"', 'role = "doctor"'),
            'people[0].role: must be one of participant, facilitator, admin, got "doctor"',
        ),
        ("[[people]]\nid = 'p-1'", "people[0].display_name: required"),
        ("[[people]]\nid = 'p 1'\ndisplay_name = 'x'", "people[0].id: expected an id of"),
        (
            PEOPLE + "discord_user_id = 'abc'",
            'people[2].discord_user_id: expected a Discord id (digits), got "abc"',
        ),
        (
            PEOPLE + "slack_user_id = '@jane'",
            'people[2].slack_user_id: expected a Slack member id such as "U0123ABCD"',
        ),
        (PEOPLE + "timezone = 'Nowhere'", 'people[2].timezone: unknown time zone "Nowhere"'),
        (PEOPLE + "quiet_hours = '25:00-08:00'", "people[2].quiet_hours: expected HH:MM-HH:MM"),
        (PEOPLE + "channels = ['chat', 'pager']", "people[2].channels: must be among chat, email"),
        (PEOPLE + "channels = []", "people[2].channels: must list at least one of chat"),
        (PEOPLE + "channels = ['chat', 'chat']", 'people[2].channels: "chat" is listed twice'),
        (
            PEOPLE + "channels = ['email']",
            'people[2].channels: "email" is listed but people[2].email is not set',
        ),
        (PEOPLE + "email = 'not-an-address'", "people[2].email: expected an e-mail address"),
        (PEOPLE + "phone = '555-1234'", "people[2].phone: expected a phone number"),
        (
            PEOPLE + "\n[[people]]\nid = 'p-001'\ndisplay_name = 'Again'",
            'people[3].id: duplicate "p-001", already used by people[1]',
        ),
        (
            PEOPLE.replace('"J."', '"J."\nslack_user_id = "U1"').replace(
                '"M."', '"M."\nslack_user_id = "U1"'
            ),
            'people[2].slack_user_id: duplicate "U1", already used by people[1]',
        ),
        (
            PEOPLE.replace('"J."', '"J."\nzoom_email = "a@b.org"').replace(
                '"M."', '"M."\nzoom_email = "A@B.org"'
            ),
            "people[2].zoom_email: duplicate value, already used by people[1]",
        ),
        # groups
        (
            PEOPLE + GROUP + "\n[[groups]]\nid = 'g-2'\nname = 'G2'\n"
            "schedule = { rrule = 'FREQ=WEEKLY', start = '25:00', minutes = 60 }",
            'groups[1].schedule.start: expected HH:MM, got "25:00"',
        ),
        (
            PEOPLE + GROUP.replace('["f-001"]', '["f-009"]'),
            'groups[0].facilitators: unknown person "f-009"',
        ),
        (
            PEOPLE + GROUP.replace('["f-001"]', '["p-002"]'),
            'groups[0].facilitators: "p-002" is a participant, not a facilitator or admin',
        ),
        (
            PEOPLE + GROUP.replace('["p-001"]', '["p-001", "p-404"]'),
            'groups[0].participants: unknown person "p-404"',
        ),
        (
            PEOPLE + GROUP.replace('["p-001"]', '["f-001"]'),
            'groups[0].participants: "f-001" is also a facilitator here',
        ),
        (
            PEOPLE + GROUP + GROUP,
            'groups[1].id: duplicate "g-1", already used by groups[0]',
        ),
        (
            PEOPLE + GROUP.replace('["p-001"]', '["p-001", "p-002"]') + "capacity = 1",
            "groups[0].participants: 2 participants exceed capacity 1",
        ),
        (PEOPLE + GROUP + "capacity = 0", "groups[0].capacity: must be at least 1, got 0"),
        (
            PEOPLE + GROUP + "zoom_meeting_id = 'abc'",
            'groups[0].zoom_meeting_id: expected a Zoom meeting id (digits), got "abc"',
        ),
        (
            PEOPLE + GROUP + "zoom_meeting_id = 1.5",
            "groups[0].zoom_meeting_id: expected a string or an integer, got a float",
        ),
        (
            PEOPLE + GROUP + "slack_channel = '#evening'",
            "groups[0].slack_channel: expected a Slack channel id",
        ),
        (
            PEOPLE
            + GROUP
            + "zoom_meeting_id = 123\n"
            + GROUP.replace("g-1", "g-2")
            + "zoom_meeting_id = '123'",
            'groups[1].zoom_meeting_id: duplicate "123", already used by groups[0]',
        ),
        (
            PEOPLE + GROUP + "schedule = { rrule = 'FREQ=WEEKLY', start = '18:00' }",
            "groups[0].schedule.minutes: required",
        ),
        (
            PEOPLE + GROUP + "schedule = { rrule = 'FREQ=WEEKLY', start = '18:00', minutes = 0 }",
            "groups[0].schedule.minutes: must be at least 1, got 0",
        ),
        # rrules
        (
            PEOPLE + GROUP + "schedule = { rrule = 'WEEKLY', start = '18:00', minutes = 60 }",
            'groups[0].schedule.rrule: must start with FREQ=, got "WEEKLY"',
        ),
        (
            PEOPLE + GROUP + "schedule = { rrule = 'FREQ=WEEKLY;BYDAY', start = '18:00', "
            "minutes = 60 }",
            'groups[0].schedule.rrule: expected KEY=VALUE parts separated by ";"',
        ),
        (
            PEOPLE + GROUP + "schedule = { rrule = 'FREQ=WEEKLY;BYDAYS=MO', start = '18:00', "
            "minutes = 60 }",
            'groups[0].schedule.rrule: unknown rule part "BYDAYS" (did you mean BYDAY?)',
        ),
        (
            PEOPLE + GROUP + "schedule = { rrule = 'FREQ=HOURLY', start = '18:00', minutes = 60 }",
            "groups[0].schedule.rrule: FREQ must be one of DAILY, WEEKLY, MONTHLY, YEARLY",
        ),
        # platforms
        (
            '[slack]\nenabled = true\nmode = "socket"\nbot_token = "xoxb-1"',
            'slack.app_token: required when slack.mode is "socket"',
        ),
        ("[slack]\nenabled = true\nsigning_secret = 's'", "slack.bot_token: required when slack"),
        (
            "[slack]\nenabled = true\nbot_token = 'x'",
            'slack.signing_secret: required when slack.mode is "http"',
        ),
        ("[discord]\nenabled = true", "discord.token: required when discord is enabled"),
        (
            "[discord]\napplication_id = 'app'",
            'discord.application_id: expected a Discord id (digits), got "app"',
        ),
        ("[zoom]\nenabled = true", "zoom.webhook_secret: required when zoom is enabled"),
        ("[email]\nenabled = true", "email.host: required when email is enabled"),
        ("[email]\nport = 0", "email.port: must be at least 1, got 0"),
        ("[sms]\nenabled = true", "sms.account_sid: required when sms is enabled"),
        # survey
        (
            "[[program.survey.questions]]\nid = 'q'\nkind = 'choice'\nprompt = 'p'",
            'program.survey.questions[0].choices: kind "choice" needs at least two choices',
        ),
        (
            "[[program.survey.questions]]\nid = 'q'\nkind = 'stars'\nprompt = 'p'",
            "program.survey.questions[0].kind: must be one of rating, yes_no, choice, text",
        ),
        (
            "[[program.survey.questions]]\nid = 'q'\nkind = 'rating'\nprompt = 'p'\n"
            "confirms_attendance = true",
            'program.survey.questions[0].confirms_attendance: only for kind "yes_no"',
        ),
        (
            "[[program.survey.questions]]\nid = 'q'\nkind = 'yes_no'\nprompt = 'p'\n"
            "confirms_attendance = true\nanonymous = true",
            "questions[0].confirms_attendance: an anonymous answer cannot confirm attendance",
        ),
        (
            "[[program.survey.questions]]\nid = 'q'\nkind = 'text'\nprompt = 'p'\n"
            "[[program.survey.questions]]\nid = 'q'\nkind = 'text'\nprompt = 'p2'",
            'program.survey.questions[1].id: duplicate question id "q"',
        ),
        (
            "[[program.survey.questions]]\nid = 'q'\nkind = 'text'\nprompt = 'p'\nchoices = ['a']",
            'program.survey.questions[0].choices: only for kind "choice", not "text"',
        ),
        ("[[program.survey.questions]]\nid = 'q'\nkind = 'text'", "questions[0].prompt: required"),
        # closures
        (
            "[[closures]]\ndate = '2026-12-25'\nfrom = '2026-12-24'",
            "closures[0]: give either date, or from and to",
        ),
        ("[[closures]]\nreason = 'x'", "closures[0]: give a date, or from and to"),
        ("[[closures]]\nfrom = '2026-12-24'", "closures[0].to: required"),
        (
            "[[closures]]\nfrom = '2027-01-02'\nto = '2027-01-01'",
            "closures[0].to: must not be before from (2027-01-02)",
        ),
        (
            "[[closures]]\ndate = '2026-02-30'",
            'closures[0].date: expected a date YYYY-MM-DD, got "2026-02-30"',
        ),
        (
            PEOPLE + GROUP + "[[closures]]\ndate = 2026-12-25\ngroups = ['g-9']",
            'closures[0].groups: unknown group "g-9"',
        ),
    ],
)
def test_errors_name_the_key(text: str, expected: str) -> None:
    message = error_of(text)
    assert message.startswith("c.toml: ")
    assert expected in message


def test_typo_in_a_disabled_section_is_still_caught() -> None:
    assert "slack.bot_tokn: unknown key" in error_of('[slack]\nbot_tokn = "${X}"')


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(
            '[server]\nport = "x"\n[program]\ntimezone = "Mars/Base"\ncolor = 1', {}, source="c"
        )
    assert info.value.errors == (
        "server.port: expected an integer, got a string",
        "program.color: unknown key",
        'program.timezone: unknown time zone "Mars/Base"',
    )
    assert str(info.value).startswith("c: 3 problems:\n")
    assert isinstance(info.value, ValueError)


def test_reference_checks_wait_for_well_formed_entries() -> None:
    # a malformed facilitator must not also be reported as an unknown person
    text = PEOPLE.replace('role = "facilitator"', 'role = "boss"') + GROUP
    assert error_of(text).count("\n") == 0


def test_personal_data_is_not_echoed() -> None:
    message = error_of(PEOPLE + "email = 'jane.doe at example.org'\nphone = 'call jane'")
    assert "jane" not in message


# -- accepted forms -------------------------------------------------------------------------------


def test_ids_as_integers_are_stored_as_strings() -> None:
    text = (
        PEOPLE
        + "discord_user_id = 222\n"
        + GROUP
        + (
            "discord_guild_id = 1\ndiscord_text_channel_id = 2\ndiscord_voice_channel_id = 3\n"
            "zoom_meeting_id = 85746352000\n"
        )
    )
    cfg = parse_config(text, {})
    assert cfg.people[2].discord_user_id == "222"
    group = cfg.groups[0]
    assert (group.discord_guild_id, group.discord_text_channel_id) == ("1", "2")
    assert group.discord_voice_channel_id == "3"
    assert group.zoom_meeting_id == "85746352000"


def test_zoom_meeting_id_with_spaces_and_phone_with_separators_are_normalized() -> None:
    text = PEOPLE + "phone = '+1 (555) 010-0004'\n" + GROUP + "zoom_meeting_id = '857 4635 2000'\n"
    cfg = parse_config(text, {})
    assert cfg.people[2].phone == "+15550100004"
    assert cfg.groups[0].zoom_meeting_id == "85746352000"


def test_native_toml_times_and_dates() -> None:
    text = (
        PEOPLE
        + GROUP
        + (
            "schedule = { rrule = 'FREQ=DAILY;COUNT=5', start = 09:30:00, minutes = 90 }\n"
            "[[closures]]\nfrom = 2026-12-24\nto = 2027-01-01\nreason = 'Winter'\n"
            "groups = ['g-1']\n"
        )
    )
    cfg = parse_config(text, {})
    assert cfg.groups[0].schedule is not None and cfg.groups[0].schedule.start == time(9, 30)
    (closure,) = cfg.closures
    assert (closure.start, closure.end, closure.reason) == (
        date(2026, 12, 24),
        date(2027, 1, 1),
        "Winter",
    )
    assert closure.covers(date(2026, 12, 31), "g-1") and not closure.covers(
        date(2026, 12, 31), "g-2"
    )
    assert cfg.closure_on(date(2027, 1, 2)) is None


def test_staff_may_facilitate_and_persons_may_be_in_several_groups() -> None:
    text = PEOPLE.replace('"facilitator"', '"admin"') + GROUP + GROUP.replace("g-1", "g-2")
    cfg = parse_config(text, {})
    assert [g.participants for g in cfg.groups] == [("p-001",), ("p-001",)]


def test_base_urls_are_normalized() -> None:
    cfg = parse_config(
        '[slack]\napi_base_url = "http://127.0.0.1:9/api"\n'
        '[discord]\napi_base_url = "http://127.0.0.1:9/api/v10/"',
        {},
    )
    assert cfg.slack.api_base_url == "http://127.0.0.1:9/api/"
    assert cfg.discord.api_base_url == "http://127.0.0.1:9/api/v10"


def test_socket_mode_needs_no_signing_secret() -> None:
    cfg = parse_config(
        '[slack]\nenabled = true\nmode = "socket"\nbot_token = "${B}"\napp_token = "${A}"',
        {"B": "xoxb-1", "A": "xapp-1"},
    )
    assert cfg.slack.enabled and cfg.slack.mode == "socket" and cfg.slack.app_token == "xapp-1"


def test_policy_values_are_read() -> None:
    cfg = parse_config(
        "[program.policy]\nlate_after_minutes = 5\nadvance_notice_hours = 12\n"
        "min_attendance_ratio = 1",
        {},
    )
    policy = cfg.program.policy
    assert policy.late_after_minutes == 5 and policy.advance_notice_hours == 12.0
    assert policy.min_attendance_ratio == 1.0 and policy.cycle_days == Policy().cycle_days


# -- durations and quiet hours --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("24h", timedelta(hours=24)),
        ("15m", timedelta(minutes=15)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("2d", timedelta(days=2)),
        ("45s", timedelta(seconds=45)),
        ("1d 12h", timedelta(days=1, hours=12)),
        ("90M", timedelta(minutes=90)),
    ],
)
def test_parse_duration(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "15", "m", "1x", "-1h", "1m1h", "1.5h", "h15"])
def test_parse_duration_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="expected a duration"):
        parse_duration(text)


def test_reminders_are_sorted_longest_first_without_duplicates() -> None:
    cfg = parse_config('[program.reminders]\nbefore = ["15m", "2d", "24h", "1d"]', {})
    assert cfg.reminders.before == (timedelta(days=2), timedelta(days=1), timedelta(minutes=15))
    assert parse_config("[program.reminders]\nbefore = []", {}).reminders.before == ()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("21:00-08:00", (time(21), time(8))),
        ("22:30 - 6:15", (time(22, 30), time(6, 15))),
        ("12:00-13:00", (time(12), time(13))),
    ],
)
def test_parse_quiet_hours(text: str, expected: tuple[time, time]) -> None:
    assert parse_quiet_hours(text) == expected


@pytest.mark.parametrize("text", ["21:00", "21-08", "24:00-08:00", "21:00-08:60", "a-b", ""])
def test_parse_quiet_hours_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="expected HH:MM-HH:MM"):
        parse_quiet_hours(text)


def test_quiet_hours_must_not_be_empty_range() -> None:
    with pytest.raises(ValueError, match="start and end are the same"):
        parse_quiet_hours("08:00-08:00")


def test_person_quiet_hours_are_normalized() -> None:
    cfg = parse_config(PEOPLE + "quiet_hours = '22:00 - 7:00'", {})
    assert cfg.people[2].quiet_hours == "22:00-07:00"


def test_slack_http_mode_needs_no_app_token_and_socket_mode_no_signing_secret() -> None:
    section = """
[slack]
enabled = true
mode = "{mode}"
bot_token = "${{SLACK_BOT_TOKEN}}"
signing_secret = "${{SLACK_SIGNING_SECRET}}"
app_token = "${{SLACK_APP_TOKEN}}"
"""
    http = parse_config(
        section.format(mode="http"), {"SLACK_BOT_TOKEN": "b", "SLACK_SIGNING_SECRET": "s"}
    )
    assert (http.slack.signing_secret, http.slack.app_token) == ("s", "")
    socket = parse_config(
        section.format(mode="socket"), {"SLACK_BOT_TOKEN": "b", "SLACK_APP_TOKEN": "a"}
    )
    assert (socket.slack.signing_secret, socket.slack.app_token) == ("", "a")
    with pytest.raises(ConfigError, match="SLACK_SIGNING_SECRET is not set"):
        parse_config(section.format(mode="http"), {"SLACK_BOT_TOKEN": "b"})


def test_public_url_defaults_to_host_and_port_and_must_be_http() -> None:
    assert parse_config("").server.base_url == "http://127.0.0.1:8080"
    cfg = parse_config('[server]\npublic_url = "https://rc.example.org/"\n')
    assert cfg.server.base_url == "https://rc.example.org"
    assert "server.public_url" in error_of('[server]\npublic_url = "rc.example.org"\n')


def test_email_works_without_credentials_and_signs_links_with_a_long_secret() -> None:
    relay = '[email]\nenabled = true\nhost = "relay.internal"\nport = 25\nstarttls = false\n'
    relay += 'from_addr = "rollcall@example.org"\n'
    cfg = parse_config(relay)
    assert cfg.email is not None and cfg.email.username == "" and cfg.email.password == ""
    assert cfg.email.link_secret == ""
    secret = parse_config(relay + 'link_secret = "${LINK}"\n', {"LINK": "x" * 32})
    assert secret.email is not None and secret.email.link_secret == "x" * 32
    assert "email.link_secret" in error_of(relay + 'link_secret = "short"\n')
