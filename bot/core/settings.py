"""The configuration's value types: frozen dataclasses the core reads.

`bot.config` loads and validates them.

Standard library only. Secrets are left out of the reprs so that a logged config leaks none.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, time, timedelta
from enum import StrEnum

from bot.core.domain import Group, Person, Program

DEFAULT_STORAGE_URL = "sqlite:///rollcall.db"


@dataclass(frozen=True, slots=True, kw_only=True)
class ServerConfig:
    host: str = "127.0.0.1"
    port: int = 8080  # 0 asks the OS for a free port (tests)
    #: the address people open (dashboard and reply links, webhook signatures); "" means http://{host}:{port}
    public_url: str = ""
    #: signs dashboard links; "" means a random one per process (links then work only in
    #: the process that sent them: set it when several processes serve the dashboard)
    dashboard_secret: str = field(default="", repr=False)

    @property
    def base_url(self) -> str:
        """`public_url` without a trailing slash, or http://{host}:{port}."""
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")


@dataclass(frozen=True, slots=True, kw_only=True)
class LoggingConfig:
    format: str = "text"  # "text" (one readable line) or "json" (one JSON object a line)
    level: str = "info"  # debug, info, warning, error


@dataclass(frozen=True, slots=True, kw_only=True)
class SlackConfig:
    enabled: bool = False
    mode: str = "http"  # "http" (Events API, needs signing_secret) or "socket" (needs app_token)
    bot_token: str = field(default="", repr=False)
    signing_secret: str = field(default="", repr=False)
    app_token: str = field(default="", repr=False)
    api_base_url: str = "https://slack.com/api/"  # always ends with "/"


@dataclass(frozen=True, slots=True, kw_only=True)
class DiscordConfig:
    enabled: bool = False
    token: str = field(default="", repr=False)
    api_base_url: str = "https://discord.com/api/v10"  # never ends with "/"
    application_id: str | None = None
    sharded: bool = False  # AutoShardedClient


@dataclass(frozen=True, slots=True, kw_only=True)
class ZoomConfig:
    enabled: bool = False
    webhook_secret: str = field(default="", repr=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class EmailConfig:
    """SMTP. `starttls` upgrades the connection (port 587)."""

    enabled: bool = False
    host: str = ""
    port: int = 587
    username: str = ""
    password: str = field(default="", repr=False)
    from_addr: str = ""
    starttls: bool = True
    #: signs the one-click "can't make it" links reminders carry ({public_url}/r/{token});
    #: without it, e-mailed reminders say to tell the facilitator instead
    link_secret: str = field(default="", repr=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class SmsConfig:
    """A Twilio-compatible REST API."""

    enabled: bool = False
    api_base_url: str = "https://api.twilio.com/2010-04-01"
    account_sid: str = ""
    auth_token: str = field(default="", repr=False)
    from_number: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class RemindersConfig:
    #: how long before a session start reminders go out, longest first, no duplicates
    before: tuple[timedelta, ...] = (timedelta(hours=24), timedelta(minutes=15))
    #: program-wide quiet hours (local time, may wrap past midnight); a person's own win
    quiet_hours: tuple[time, time] | None = None


class QuestionKind(StrEnum):
    RATING = "rating"  # 1–5
    YES_NO = "yes_no"
    CHOICE = "choice"
    TEXT = "text"


@dataclass(frozen=True, slots=True, kw_only=True)
class SurveyQuestion:
    id: str
    kind: QuestionKind
    prompt: str
    choices: tuple[str, ...] = ()  # only for kind "choice"
    #: stored without the participant link (group-climate questions)
    anonymous: bool = False
    #: a "yes" is evidence of attendance (only for a non-anonymous yes_no question)
    confirms_attendance: bool = False


DEFAULT_SURVEY_QUESTIONS: tuple[SurveyQuestion, ...] = (
    SurveyQuestion(
        id="attended",
        kind=QuestionKind.YES_NO,
        prompt="Were you able to take part in today's group?",
        confirms_attendance=True,
    ),
    SurveyQuestion(
        id="helpful",
        kind=QuestionKind.RATING,
        prompt="How helpful was today's group for you? (1 = not at all, 5 = very)",
    ),
    SurveyQuestion(
        id="climate",
        kind=QuestionKind.CHOICE,
        prompt="How did the group feel today?",
        choices=("Safe and supportive", "Mostly OK", "Hard to speak up"),
        anonymous=True,
    ),
)


@dataclass(frozen=True, slots=True, kw_only=True)
class SurveyConfig:
    #: an explicit empty list means no post-session survey
    questions: tuple[SurveyQuestion, ...] = DEFAULT_SURVEY_QUESTIONS


@dataclass(frozen=True, slots=True, kw_only=True)
class Closure:
    """Days without sessions (holidays), `start` to `end` inclusive, in the program's time zone."""

    start: date
    end: date
    reason: str = ""
    #: the groups it applies to; empty means every group
    groups: tuple[str, ...] = ()

    def covers(self, day: date, group_id: str | None = None) -> bool:
        in_group = not self.groups or group_id is None or group_id in self.groups
        return in_group and self.start <= day <= self.end


@dataclass(frozen=True, slots=True, kw_only=True)
class PrivacyConfig:
    """`[privacy]`: `retention_days` (off by default; see bot.core.retention)."""

    #: None: keep personal text until erased by hand (`participant forget`)
    retention_days: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Config:
    storage_url: str = DEFAULT_STORAGE_URL
    server: ServerConfig = field(default_factory=ServerConfig)
    slack: SlackConfig = field(default_factory=SlackConfig)
    discord: DiscordConfig = field(default_factory=DiscordConfig)
    zoom: ZoomConfig = field(default_factory=ZoomConfig)
    email: EmailConfig | None = None  # None: no [email] table
    sms: SmsConfig | None = None  # None: no [sms] table
    program: Program = field(default_factory=Program)
    reminders: RemindersConfig = field(default_factory=RemindersConfig)
    survey: SurveyConfig = field(default_factory=SurveyConfig)
    people: tuple[Person, ...] = ()
    groups: tuple[Group, ...] = ()
    closures: tuple[Closure, ...] = ()
    logging: LoggingConfig = field(default_factory=LoggingConfig)
    privacy: PrivacyConfig = field(default_factory=PrivacyConfig)

    def person(self, person_id: str) -> Person | None:
        return next((p for p in self.people if p.id == person_id), None)

    def group(self, group_id: str) -> Group | None:
        return next((g for g in self.groups if g.id == group_id), None)

    def closure_on(self, day: date, group_id: str | None = None) -> Closure | None:
        return next((c for c in self.closures if c.covers(day, group_id)), None)
