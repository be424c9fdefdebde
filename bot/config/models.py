"""The TOML config as pydantic models (PRODUCT.md, "Config"): one class per table, one line per key.

To add a key, add one line to its table's class here — ``name: Annotated[int, Int(0)] = 12`` —
and the field of the same name to the core's value type (`bot.core.settings` or
`bot.core.domain`): `to_config` copies fields by name, and the JSON Schema follows. A new table is
a new class plus its field in the parent class (and, for a new core type, one line in
`bot.config.loading.to_config`). Checks across a table's keys go in its ``_found`` method.
Defaults are read from the core's dataclasses, so each lives in one place.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, get_args

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo, model_validator

from bot.config import values as v
from bot.config.checks import check_roster
from bot.config.types import (
    Bool,
    Day,
    Duration,
    Id,
    Int,
    Loc,
    Num,
    QuietSpan,
    Secret,
    Str,
    Strings,
    Tables,
    Text,
    TimeOfDay,
    from_env,
    problems,
    unique,
)
from bot.core.domain import BillingRules, Policy, Program, Role
from bot.core.settings import (
    DEFAULT_STORAGE_URL,
    DiscordConfig,
    EmailConfig,
    LoggingConfig,
    QuestionKind,
    RemindersConfig,
    ServerConfig,
    SlackConfig,
    SmsConfig,
)

Snowflake = Annotated[str | None, Str(v.check_snowflake, allow_int=True)]
Url = Annotated[str, Str(v.check_http_url)]
EmailAddr = Annotated[str, Str(v.check_email)]
#: notification channels a person may list, in no particular order
CHANNELS = ("chat", "email", "sms")
_POLICY, _PROGRAM, _SERVER = Policy(), Program(), ServerConfig()
_BILLING = BillingRules()
_LOGGING = LoggingConfig()


class Table(BaseModel):
    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    @model_validator(mode="before")
    @classmethod
    def scalars_from_env(cls, data: Any) -> Any:
        """``port = "${PORT}"``: a number or boolean read from the environment, parsed."""
        if not isinstance(data, dict):
            return data
        out = dict(data)
        for key, value in data.items():
            field = cls.model_fields.get(key)
            hint = field.annotation if field is not None else None
            kind = next((t for t in (hint, *get_args(hint)) if t in (bool, int, float)), None)
            if kind is not None:
                out[key] = from_env(value, kind)
        return out

    def _found(self) -> list[tuple[Loc, str]]:
        """Problems across this table's keys; empty when there are none."""
        return []

    @model_validator(mode="after")
    def check_table(self) -> Any:
        found = self._found()
        if found:
            raise problems(found)
        return self

    def _required(self, reason: str, *keys: str) -> list[tuple[Loc, str]]:
        return [((k,), f"required when {reason}") for k in keys if not getattr(self, k)]


class Storage(Table):
    url: Annotated[str, Str(v.check_db_url)] = DEFAULT_STORAGE_URL
    """A relative SQLite path is relative to the config file's directory."""


class Server(Table):
    host: Text = _SERVER.host
    port: Annotated[int, Int(0, 65535)] = _SERVER.port
    public_url: Url = _SERVER.public_url
    """The address people open (dashboard and reply links, webhook signatures); default http://{host}:{port}."""
    dashboard_secret: Secret = _SERVER.dashboard_secret
    """Signs dashboard links; set it (the same everywhere) when several processes serve."""


class Logging(Table):
    format: Literal["text", "json"] = _LOGGING.format  # type: ignore[assignment]
    """text: one readable line; json: one JSON object a line. Ids only, never names."""
    level: Literal["debug", "info", "warning", "error"] = _LOGGING.level  # type: ignore[assignment]


class Slack(Table):
    enabled: Bool = False
    mode: Literal["http", "socket"] = "http"
    bot_token: Secret = ""
    signing_secret: Secret = ""
    """Required in http mode."""
    app_token: Secret = ""
    """Required in socket mode."""
    api_base_url: Url = SlackConfig().api_base_url

    def _found(self) -> list[tuple[Loc, str]]:
        if not self.enabled:
            return []
        needed = "app_token" if self.mode == "socket" else "signing_secret"
        return self._required("slack is enabled", "bot_token") + self._required(
            f"slack.mode is {v.quote(self.mode)}", needed
        )


class Discord(Table):
    enabled: Bool = False
    token: Secret = ""
    api_base_url: Url = DiscordConfig().api_base_url
    application_id: Snowflake = None
    sharded: Bool = False
    """AutoShardedClient, for many servers."""

    def _found(self) -> list[tuple[Loc, str]]:
        return self._required("discord is enabled", "token") if self.enabled else []


class Zoom(Table):
    enabled: Bool = False
    webhook_secret: Secret = ""

    def _found(self) -> list[tuple[Loc, str]]:
        return self._required("zoom is enabled", "webhook_secret") if self.enabled else []


class Email(Table):
    enabled: Bool = False
    host: Text = ""
    port: Annotated[int, Int(1, 65535)] = EmailConfig().port
    username: Text = ""
    password: Secret = ""
    from_addr: EmailAddr = ""
    starttls: Bool = EmailConfig().starttls
    link_secret: Secret = ""
    """Signs the "can't make it" link e-mailed reminders carry (16 characters or more)."""

    def _found(self) -> list[tuple[Loc, str]]:
        if not self.enabled:
            return []
        found = self._required("email is enabled", "host", "from_addr")
        if self.password and not self.username:
            found.append((("username",), "required when email.password is set"))
        if self.link_secret and len(self.link_secret) < 16:
            found.append((("link_secret",), "use at least 16 characters"))
        return found


class Sms(Table):
    enabled: Bool = False
    api_base_url: Url = SmsConfig().api_base_url
    account_sid: Text = ""
    auth_token: Secret = ""
    from_number: Annotated[str, Str(v.normalize_phone)] = ""

    def _found(self) -> list[tuple[Loc, str]]:
        keys = ("account_sid", "auth_token", "from_number")
        return self._required("sms is enabled", *keys) if self.enabled else []


class PolicyTable(Table):
    """The attendance rules (PRODUCT.md, "Attendance rules")."""

    checkin_opens_minutes_before: Annotated[int, Int(0)] = _POLICY.checkin_opens_minutes_before
    reconnect_merge_seconds: Annotated[int, Int(0)] = _POLICY.reconnect_merge_seconds
    min_attendance_ratio: Annotated[float, Num(0, 1)] = _POLICY.min_attendance_ratio
    late_after_minutes: Annotated[int, Int(0)] = _POLICY.late_after_minutes
    advance_notice_hours: Annotated[float, Num(0)] = _POLICY.advance_notice_hours
    consecutive_absences_alert: Annotated[int, Int(1)] = _POLICY.consecutive_absences_alert
    rate_alert_below: Annotated[float, Num(0, 1)] = _POLICY.rate_alert_below
    rate_window_days: Annotated[int, Int(1)] = _POLICY.rate_window_days
    weekly_min_hours: Annotated[float, Num(0, 7 * 24)] = _POLICY.weekly_min_hours
    weekly_min_days: Annotated[int, Int(0, 7)] = _POLICY.weekly_min_days
    max_absences_per_cycle: Annotated[int, Int(0)] = _POLICY.max_absences_per_cycle
    cycle_days: Annotated[int, Int(1)] = _POLICY.cycle_days
    signoff_reminder_hours: Annotated[float, Num(0)] = _POLICY.signoff_reminder_hours
    makeup_alternatives: Annotated[
        tuple[Literal["recorded", "one_on_one"], ...], AfterValidator(unique)
    ] = _POLICY.makeup_alternatives  # type: ignore[assignment]
    """Make-ups a facilitator may offer besides another group's session: recorded content
    (the participant sends a short reflection) and a one-on-one check-in."""


class BillingTable(Table):
    """What a payer needs for a billable day and week (PRODUCT.md, "Billing")."""

    min_minutes_per_day: Annotated[int, Int(0, 1440)] = _BILLING.min_minutes_per_day
    min_days_per_week: Annotated[int, Int(0, 7)] = _BILLING.min_days_per_week
    min_minutes_per_week: Annotated[int, Int(0, 7 * 1440)] = _BILLING.min_minutes_per_week


class Reminders(Table):
    before: Annotated[
        tuple[Duration, ...], Field(json_schema_extra={"default": ["24h", "15m"]})
    ] = RemindersConfig().before
    """Durations before the start: "2d", "24h", "1h30m", "15m"."""
    quiet_hours: QuietSpan | None = None
    """No reminders then, e.g. "21:00-08:00" (each person's own time zone)."""


class Question(Table):
    id: Id
    kind: QuestionKind
    prompt: Text
    choices: Strings = ()
    anonymous: Bool = False
    confirms_attendance: Bool = False

    def _found(self) -> list[tuple[Loc, str]]:
        found: list[tuple[Loc, str]] = []
        if self.kind is QuestionKind.CHOICE and len(self.choices) < 2:
            found.append((("choices",), 'kind "choice" needs at least two choices'))
        elif self.kind is not QuestionKind.CHOICE and self.choices:
            found.append((("choices",), f'only for kind "choice", not {v.quote(self.kind.value)}'))
        if self.confirms_attendance and self.kind is not QuestionKind.YES_NO:
            found.append((("confirms_attendance",), 'only for kind "yes_no"'))
        if self.confirms_attendance and self.anonymous:
            message = "an anonymous answer cannot confirm attendance"
            found.append((("confirms_attendance",), message))
        return found


class Survey(Table):
    questions: Tables[Question] | None = None
    """Without questions the built-in survey is used; `questions = []` sends none."""

    def _found(self) -> list[tuple[Loc, str]]:
        found: list[tuple[Loc, str]] = []
        questions = self.questions or ()
        for i, q in enumerate(questions):
            if any(p.id == q.id for p in questions[:i]):
                found.append((("questions", i, "id"), f"duplicate question id {v.quote(q.id)}"))
            if q.confirms_attendance and any(p.confirms_attendance for p in questions[:i]):
                loc: Loc = ("questions", i, "confirms_attendance")
                found.append((loc, "only one question may confirm attendance"))
        return found


class ProgramTable(Table):
    name: Text = _PROGRAM.name
    timezone: Annotated[str, Str(v.check_timezone)] = _PROGRAM.timezone
    """Sessions, reminders and reports use this IANA time zone."""
    contact: Text = _PROGRAM.contact
    """How to reach a person at the program, e.g. "(555) 010-0100 or help@example.org":
    the answer to an SMS HELP names it (carriers require a contact in that answer)."""
    policy: PolicyTable = Field(default_factory=PolicyTable)
    billing: BillingTable = Field(default_factory=BillingTable)
    reminders: Reminders = Field(default_factory=Reminders)
    survey: Survey = Field(default_factory=Survey)


class PersonTable(Table):
    id: Id
    display_name: Text
    role: Role = Role.PARTICIPANT
    slack_user_id: Annotated[str | None, Str(v.check_slack_user)] = None
    discord_user_id: Snowflake = None
    zoom_email: Annotated[str | None, Str(v.check_email)] = None
    email: Annotated[str | None, Str(v.check_email)] = None
    phone: Annotated[str | None, Str(v.normalize_phone)] = None
    """E.164, e.g. "+15550100004"."""
    timezone: Annotated[str | None, Str(v.check_timezone)] = None
    quiet_hours: Annotated[str | None, Str(v.normalize_quiet_hours)] = None
    channels: Strings = ("chat",)
    """Notification order of preference among "chat", "email", "sms"."""
    aliases: Strings = ()
    """Names a meeting platform may show for this person."""
    zoom_registrant_id: Text | None = None

    def _found(self) -> list[tuple[Loc, str]]:
        found: list[tuple[Loc, str]] = []
        if not self.channels:
            found.append((("channels",), f"must list at least one of {', '.join(CHANNELS)}"))
        for channel in self.channels:
            if channel not in CHANNELS:
                message = f"must be among {', '.join(CHANNELS)}, got {v.quote(channel)}"
                found.append((("channels",), message))
        for channel, key in (("email", "email"), ("sms", "phone")):
            if channel in self.channels and getattr(self, key) is None:
                message = f"{v.quote(channel)} is listed but {{table}}.{key} is not set"
                found.append((("channels",), message))
        return found


class ScheduleTable(Table):
    rrule: Annotated[str, Str(v.check_rrule)]
    """An RFC 5545 rule such as "FREQ=WEEKLY;BYDAY=MO,WE,TH"."""
    start: TimeOfDay
    """HH:MM in the program's time zone."""
    minutes: Annotated[int, Int(1, 24 * 60)]


class GroupTable(Table):
    id: Id
    name: Text
    schedule: ScheduleTable | None = None
    facilitators: Strings = ()
    participants: Strings = ()
    slack_channel: Annotated[str | None, Str(v.check_slack_channel)] = None
    discord_guild_id: Snowflake = None
    discord_text_channel_id: Snowflake = None
    discord_voice_channel_id: Snowflake = None
    zoom_meeting_id: Annotated[str | None, Str(v.normalize_zoom_meeting_id, allow_int=True)] = None
    capacity: Annotated[int | None, Int(1)] = None
    """Make-ups from other groups are booked up to this."""


class ClosureTable(Table):
    date: Day | None = None
    start: Day | None = Field(None, alias="from")
    end: Day | None = Field(None, alias="to")
    reason: Text = ""
    groups: Strings = ()
    """The groups it applies to; empty means every group."""

    def _found(self) -> list[tuple[Loc, str]]:
        ranged = self.start is not None or self.end is not None
        if self.date is not None:
            return [((), "give either date, or from and to")] if ranged else []
        if not ranged:
            return [((), "give a date, or from and to")]
        if self.start is None or self.end is None:
            return [(("from" if self.start is None else "to",), "required")]
        if self.end < self.start:
            return [(("to",), f"must not be before from ({self.start.isoformat()})")]
        return []


class Privacy(Table):
    retention_days: Annotated[int | None, Int(1, 3650)] = None
    """Personal text older than this many days is purged hourly (bot.core.retention); off
    when not set. At most ten years: a typo of zeros should not mean "forever"."""


class ConfigTable(Table):
    """The configuration of rollcall (PRODUCT.md, "Config"); see config.example.toml."""

    model_config = ConfigDict(title="rollcall.toml")

    storage: Storage = Field(default_factory=Storage)
    server: Server = Field(default_factory=Server)
    logging: Logging = Field(default_factory=Logging)
    slack: Slack = Field(default_factory=Slack)
    discord: Discord = Field(default_factory=Discord)
    zoom: Zoom = Field(default_factory=Zoom)
    email: Email | None = None
    sms: Sms | None = None
    program: ProgramTable = Field(default_factory=ProgramTable)
    people: Tables[PersonTable] = ()
    groups: Tables[GroupTable] = ()
    closures: Tables[ClosureTable] = ()
    privacy: Privacy = Field(default_factory=Privacy)

    @model_validator(mode="after")
    def check_references(self, info: ValidationInfo) -> Any:
        # only once every entry is well-formed (and every ${NAME} set), so that one typo does
        # not cascade into "unknown person" problems
        if info.context and info.context.get("incomplete"):
            return self
        found = check_roster(self.people, self.groups)
        group_ids = {g.id for g in self.groups}
        for i, closure in enumerate(self.closures):
            for gid in closure.groups:
                if gid not in group_ids:
                    found.append((("closures", i, "groups"), f"unknown group {v.quote(gid)}"))
        if found:
            raise problems(found)
        return self
