"""Value objects of the attendance domain. Pure: standard library only.

All datetimes in the core are timezone-aware and in UTC unless a name says local.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from enum import StrEnum
from typing import NamedTuple

JSONScalar = str | int | float | bool | None


class Role(StrEnum):
    PARTICIPANT = "participant"
    FACILITATOR = "facilitator"
    ADMIN = "admin"


class Status(StrEnum):
    PRESENT = "present"
    LATE = "late"
    PARTIAL = "partial"
    ABSENT = "absent"
    EXCUSED = "excused"
    UNVERIFIED = "unverified"
    MADE_UP = "made_up"


#: statuses a facilitator may set with /verify or a roster button
VERIFIABLE: frozenset[Status] = frozenset(
    {Status.PRESENT, Status.LATE, Status.PARTIAL, Status.ABSENT, Status.EXCUSED}
)
#: statuses that count as having attended (for rates and weekly hours)
ATTENDED: frozenset[Status] = frozenset({Status.PRESENT, Status.LATE, Status.PARTIAL})


class Flag(StrEnum):
    OVERRIDE = "override"
    LATE_NOTICE = "late_notice"
    CHECKED_IN_NOT_SEEN = "checked_in_not_seen"
    SEEN_NOT_CHECKED_IN = "seen_not_checked_in"
    LEFT_EARLY = "left_early"
    UNCERTAIN = "uncertain"
    DM_UNREACHABLE = "dm_unreachable"
    #: only a survey answer says they came, in a group that never saw them
    SELF_REPORTED_NOT_SEEN = "self_reported_not_seen"
    ATTESTED_MINUTES = "attested_minutes"  # minutes attested by a facilitator (/verify minutes=N)
    IMPORTED = "imported"
    SIGNED_OFF = "signed_off"
    AMENDED = "amended"
    #: made up by a facilitator-approved alternative (bot.core.attendance.alternatives)
    MAKEUP_RECORDED = "makeup_recorded"
    MAKEUP_ONE_ON_ONE = "makeup_one_on_one"


class Participation(StrEnum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class SessionState(StrEnum):
    SCHEDULED = "scheduled"
    ENDED = "ended"
    CANCELLED = "cancelled"


class EvidenceKind(StrEnum):
    CHECKIN = "checkin"
    CHECKOUT = "checkout"
    PRESENCE = "presence"  # data: action=join|leave|camera_on|camera_off, source, stream
    VERIFY = "verify"  # data: status, participation, note
    ABSENCE_NOTICE = "absence_notice"  # data: reason
    SURVEY = "survey"  # data: attended (bool)
    GUEST_LINK = "guest_link"  # data: guest_key -> person_id
    MAKEUP_BOOKING = "makeup_booking"  # session_id: the make-up; data: makeup_for
    OUTREACH = "outreach"  # data: how, outcome, resolves; the note is kept apart (erasable)
    SIGNOFF = "signoff"  # session-wide (no person): data: attested (pid=status:minutes;...)
    #: session_id: the missed session; data: kind (recorded|one_on_one), stage (offered|done)
    MAKEUP_ALTERNATIVE = "makeup_alternative"


@dataclass(frozen=True, slots=True, kw_only=True)
class Policy:
    checkin_opens_minutes_before: int = 15
    reconnect_merge_seconds: int = 120
    min_attendance_ratio: float = 0.8
    late_after_minutes: int = 10
    advance_notice_hours: float = 24
    consecutive_absences_alert: int = 2
    rate_alert_below: float = 0.75
    rate_window_days: int = 14
    weekly_min_hours: float = 9.0
    weekly_min_days: int = 3
    max_absences_per_cycle: int = 3
    cycle_days: int = 28
    signoff_reminder_hours: float = 12
    #: the make-ups besides another group's session a facilitator may offer (/makeup)
    makeup_alternatives: tuple[str, ...] = ("recorded", "one_on_one")


@dataclass(frozen=True, slots=True, kw_only=True)
class BillingRules:
    """`[program.billing]`: what a payer needs for a billable day and week."""

    min_minutes_per_day: int = 180
    min_days_per_week: int = 3
    min_minutes_per_week: int = 540


@dataclass(frozen=True, slots=True, kw_only=True)
class Program:
    name: str = "rollcall"
    timezone: str = "UTC"
    #: how to reach a person at the program (a phone number, an e-mail address):
    #: SMS `HELP` answers with it, as carriers require
    contact: str = ""
    policy: Policy = field(default_factory=Policy)
    billing: BillingRules = field(default_factory=BillingRules)


@dataclass(frozen=True, slots=True, kw_only=True)
class Person:
    id: str
    display_name: str
    role: Role = Role.PARTICIPANT
    slack_user_id: str | None = None
    discord_user_id: str | None = None
    zoom_email: str | None = None
    email: str | None = None
    phone: str | None = None
    timezone: str | None = None
    quiet_hours: str | None = None
    #: notification channels in order of preference: "chat", "email", "sms"
    channels: tuple[str, ...] = ("chat",)
    #: extra display names a meeting platform may show for this person
    aliases: tuple[str, ...] = ()
    zoom_registrant_id: str | None = None
    forgotten: bool = False

    def platform_id(self, platform: str) -> str | None:
        if platform == "slack":
            return self.slack_user_id
        if platform == "discord":
            return self.discord_user_id
        return None


@dataclass(frozen=True, slots=True, kw_only=True)
class Schedule:
    rrule: str
    start: time
    minutes: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Group:
    id: str
    name: str
    schedule: Schedule | None = None
    facilitators: tuple[str, ...] = ()
    participants: tuple[str, ...] = ()
    slack_channel: str | None = None
    discord_guild_id: str | None = None
    discord_text_channel_id: str | None = None
    discord_voice_channel_id: str | None = None
    zoom_meeting_id: str | None = None
    capacity: int | None = None

    def channels(self, platform: str) -> tuple[str, ...]:
        """Where a command from `platform` counts as coming from this group."""
        if platform == "slack":
            found: tuple[str | None, ...] = (self.slack_channel,)
        elif platform == "discord":
            found = (self.discord_text_channel_id, self.discord_voice_channel_id)
        else:
            return (self.id,)
        return tuple(c for c in found if c)

    @property
    def has_presence_detection(self) -> bool:
        """Bound to a source that reports joins and leaves (PRODUCT.md rule 2)."""
        return bool(self.discord_voice_channel_id or self.zoom_meeting_id)


@dataclass(frozen=True, slots=True, kw_only=True)
class Session:
    id: str
    group_id: str
    start: datetime
    end: datetime
    state: SessionState = SessionState.SCHEDULED
    makeup_for: str | None = None

    @property
    def minutes(self) -> int:
        return int((self.end - self.start).total_seconds() // 60)

    def opens_at(self, policy: Policy) -> datetime:
        return self.start - timedelta(minutes=policy.checkin_opens_minutes_before)

    def is_open(self, at: datetime, policy: Policy) -> bool:
        """Open for /checkin: from `checkin_opens_minutes_before` the start until the end."""
        return self.state is SessionState.SCHEDULED and self.opens_at(policy) <= at < self.end

    def window(self, policy: Policy) -> tuple[datetime, datetime]:
        """The presence window: widened before the start and after the end (rule 1)."""
        return (
            self.opens_at(policy),
            self.end + timedelta(seconds=policy.reconnect_merge_seconds),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Enrollment:
    person_id: str
    group_id: str
    active: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class LedgerEntry:
    """One piece of evidence. Append-only; `key` is unique, so a replay is a no-op."""

    key: str
    kind: EvidenceKind
    group_id: str
    at: datetime  # when it happened, by the platform's own clock
    recorded_at: datetime  # when we stored it
    source: str  # "slack", "discord", "zoom", "console", "cli", ...
    session_id: str | None = None
    person_id: str | None = None
    guest_key: str | None = None
    actor_id: str | None = None
    data: Mapping[str, JSONScalar] = field(default_factory=dict)
    seq: int = 0
    prev_hash: str = ""
    hash: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditEntry:
    """Who did what to whose record. Ids only, never names or text."""

    at: datetime
    actor_id: str
    action: str
    target: str = ""
    detail: Mapping[str, JSONScalar] = field(default_factory=dict)
    seq: int = 0
    prev_hash: str = ""
    hash: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class AttendanceRecord:
    session_id: str
    group_id: str
    person_id: str
    status: Status
    attended_minutes: int = 0
    camera_minutes: int = 0
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    checked_in_at: datetime | None = None
    flags: tuple[Flag, ...] = ()
    verified_by: str | None = None
    makeup_for: str | None = None
    participation: Participation | None = None
    in_room: bool = False


class ReportLine(NamedTuple):
    """One attendance record with its session's start and end, as an export streams it
    (`Records.report_lines`): ids and enum values as plain strings, datetimes aware UTC.

    A tuple, not a frozen dataclass: a year's export builds ≈ 80,000 of them, and the
    dataclass per row (with its enums) was most of what the export cost beyond the
    query (issue #13). Immutable all the same."""

    session_id: str
    group_id: str
    session_start: datetime
    session_end: datetime
    person_id: str
    status: str
    attended_minutes: int
    camera_minutes: int
    first_seen: datetime | None
    last_seen: datetime | None
    checked_in_at: datetime | None
    flags: tuple[str, ...]
    verified_by: str | None
    makeup_for: str | None
    participation: str | None

    @classmethod
    def of(cls, session: Session, r: AttendanceRecord) -> ReportLine:
        return cls(
            r.session_id,
            r.group_id,
            session.start,
            session.end,
            r.person_id,
            r.status.value,
            r.attended_minutes,
            r.camera_minutes,
            r.first_seen,
            r.last_seen,
            r.checked_in_at,
            tuple(f.value for f in r.flags),
            r.verified_by,
            r.makeup_for,
            r.participation.value if r.participation is not None else None,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Guest:
    """Someone a meeting platform saw in a group's room who matched nobody."""

    guest_key: str
    group_id: str
    source: str
    label: str  # what the platform called them; shown only on private rosters
    first_seen: datetime
    linked_person_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Hint:
    """A live presence hint (see bot.core.events.PresenceHint): who, from where, since when."""

    person_id: str
    source: str
    since: datetime
