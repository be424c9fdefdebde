"""SQLModel tables. Internal to `storage`: stores return `bot.core.domain` types, never these.

The Alembic migrations in storage/migrations are the source of truth for the schema;
these classes must match them (tests/contract/test_migrations.py checks it).

Enums are stored as plain strings (no database ENUM types to migrate), tuples and
ledger/audit payloads as JSON (plain JSON, not JSONB: the text comes back exactly
as written, so the hash chain stays verifiable), datetimes as UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Any, cast

from sqlalchemy import (
    JSON,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    String,
    Table,
    Text,
    Time,
    TypeDecorator,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel

HASH = String(64)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every backend.

    Written as UTC (SQLite keeps no offset, so every value must be in the same
    zone for comparisons and ordering to hold); read back as aware UTC.
    Naive datetimes are refused: the core's datetimes are always aware.
    """

    impl = DateTime
    cache_ok = True

    def __init__(self) -> None:
        super().__init__(timezone=True)

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value.isoformat()} given; use an aware UTC one")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class PersonRow(SQLModel, table=True):
    __tablename__ = "people"

    id: str = Field(primary_key=True)
    display_name: str
    role: str
    slack_user_id: str | None = Field(default=None, index=True)
    discord_user_id: str | None = Field(default=None, index=True)
    zoom_email: str | None = None
    email: str | None = None
    #: lower-cased copies (Python's `str.lower`, as the memory store) for lookups
    zoom_email_lc: str | None = Field(default=None, index=True)
    email_lc: str | None = Field(default=None, index=True)
    phone: str | None = None
    timezone: str | None = None
    quiet_hours: str | None = None
    channels: list[str] = Field(default_factory=list, sa_type=JSON)
    aliases: list[str] = Field(default_factory=list, sa_type=JSON)
    zoom_registrant_id: str | None = None
    forgotten: bool = False


class GroupRow(SQLModel, table=True):
    __tablename__ = "groups"

    id: str = Field(primary_key=True)
    name: str
    schedule_rrule: str | None = None
    schedule_start: time | None = Field(default=None, sa_type=Time)
    schedule_minutes: int | None = None
    facilitators: list[str] = Field(default_factory=list, sa_type=JSON)
    participants: list[str] = Field(default_factory=list, sa_type=JSON)
    slack_channel: str | None = None
    discord_guild_id: str | None = None
    discord_text_channel_id: str | None = None
    discord_voice_channel_id: str | None = None
    zoom_meeting_id: str | None = None
    capacity: int | None = None


class EnrollmentRow(SQLModel, table=True):
    __tablename__ = "enrollments"

    person_id: str = Field(primary_key=True)
    group_id: str = Field(primary_key=True, index=True)
    active: bool = True
    #: when it last changed (the `at` given to seed_enrollment / set_enrollment)
    changed_at: datetime = Field(sa_type=UTCDateTime)


class SessionRow(SQLModel, table=True):
    __tablename__ = "sessions"
    __table_args__ = (
        Index("ix_sessions_group_id_start", "group_id", "start"),
        Index("ix_sessions_start", "start"),
    )

    id: str = Field(primary_key=True)
    group_id: str
    start: datetime = Field(sa_type=UTCDateTime)
    end: datetime = Field(sa_type=UTCDateTime)
    state: str
    makeup_for: str | None = None


class LedgerRow(SQLModel, table=True):
    __tablename__ = "ledger"
    __table_args__ = (
        UniqueConstraint("key", name="uq_ledger_key"),
        # a group's evidence of some kinds in a window (its presence, for records)
        Index("ix_ledger_group_id_kind_at", "group_id", "kind", "at"),
        # a session's evidence, and its evidence of some kinds (a report's sign-offs)
        Index("ix_ledger_session_id_kind", "session_id", "kind"),
        Index("ix_ledger_person_id_at", "person_id", "at"),
        Index("ix_ledger_guest_key", "guest_key"),
    )

    seq: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    key: str
    kind: str
    group_id: str
    session_id: str | None = None
    person_id: str | None = None
    guest_key: str | None = None
    actor_id: str | None = None
    source: str
    at: datetime = Field(sa_type=UTCDateTime)
    recorded_at: datetime = Field(sa_type=UTCDateTime)
    data: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    prev_hash: str = Field(sa_type=HASH)
    hash: str = Field(sa_type=HASH)


class LedgerNoteRow(SQLModel, table=True):
    """Free text kept apart from the chain, so that erasure can delete it."""

    __tablename__ = "ledger_notes"

    key: str = Field(
        sa_column_args=[ForeignKey("ledger.key", name="fk_ledger_notes_key")],
        primary_key=True,
    )
    person_id: str | None = Field(default=None, index=True)
    text: str = Field(sa_type=Text)


class AuditRow(SQLModel, table=True):
    __tablename__ = "audit"

    seq: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    at: datetime = Field(sa_type=UTCDateTime, index=True)
    actor_id: str
    action: str
    target: str = ""
    detail: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    prev_hash: str = Field(sa_type=HASH)
    hash: str = Field(sa_type=HASH)


class ChainHeadRow(SQLModel, table=True):
    """The newest (seq, hash) of each chain ("ledger", "audit"); locked while appending."""

    __tablename__ = "chain_heads"

    chain: str = Field(primary_key=True)
    seq: int = Field(default=0, sa_column_kwargs={"autoincrement": False})
    hash: str = Field(sa_type=HASH)


class RecordRow(SQLModel, table=True):
    """Derived attendance; the primary key is the unique (session_id, person_id)."""

    __tablename__ = "attendance_records"

    session_id: str = Field(primary_key=True)
    person_id: str = Field(primary_key=True, index=True)
    group_id: str = Field(index=True)
    status: str
    attended_minutes: int = 0
    camera_minutes: int = 0
    first_seen: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_seen: datetime | None = Field(default=None, sa_type=UTCDateTime)
    checked_in_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    flags: list[str] = Field(default_factory=list, sa_type=JSON)
    verified_by: str | None = None
    makeup_for: str | None = None
    participation: str | None = None
    in_room: bool = False


class OutboxRow(SQLModel, table=True):
    """A notification to send (bot.core.outbox.OutboxItem).

    `key` makes enqueueing idempotent."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_status_due_at", "status", "due_at"),
        Index("ix_outbox_person_id", "person_id"),
    )

    key: str = Field(primary_key=True)
    kind: str
    due_at: datetime = Field(sa_type=UTCDateTime)
    text: str = Field(sa_type=Text)
    person_id: str | None = None
    group_id: str | None = None
    session_id: str | None = None
    expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    buttons: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    status: str
    attempts: int = 0
    next_attempt_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    claimed_by: str | None = None
    claimed_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    channel_used: str | None = None
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str | None = None
    sending_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class UnreachableRow(SQLModel, table=True):
    """A channel known not to reach a person (Store.mark_unreachable)."""

    __tablename__ = "unreachable_channels"

    person_id: str = Field(primary_key=True)
    channel: str = Field(primary_key=True)
    at: datetime = Field(sa_type=UTCDateTime)


class HintRow(SQLModel, table=True):
    """A live presence hint (Store.set_hint): operational state, not evidence."""

    __tablename__ = "presence_hints"

    person_id: str = Field(primary_key=True)
    source: str = Field(primary_key=True)
    since: datetime = Field(sa_type=UTCDateTime)


class CalendarTokenRow(SQLModel, table=True):
    """A person's live calendar feed token (Store.set_calendar_token), as its sha256."""

    __tablename__ = "calendar_tokens"

    person_id: str = Field(primary_key=True)
    token_hash: str = Field(unique=True)
    issued_at: datetime = Field(sa_type=UTCDateTime)


def _table(model: type[SQLModel]) -> Table:
    return cast(Table, model.__table__)  # type: ignore[attr-defined]


metadata = SQLModel.metadata
people = _table(PersonRow)
groups = _table(GroupRow)
enrollments = _table(EnrollmentRow)
sessions = _table(SessionRow)
ledger = _table(LedgerRow)
ledger_notes = _table(LedgerNoteRow)
audit = _table(AuditRow)
chain_heads = _table(ChainHeadRow)
records = _table(RecordRow)
outbox = _table(OutboxRow)
unreachable = _table(UnreachableRow)
presence_hints = _table(HintRow)
calendar_tokens = _table(CalendarTokenRow)

__all__ = [
    "AuditRow",
    "CalendarTokenRow",
    "ChainHeadRow",
    "EnrollmentRow",
    "GroupRow",
    "HintRow",
    "LedgerNoteRow",
    "LedgerRow",
    "OutboxRow",
    "PersonRow",
    "RecordRow",
    "SessionRow",
    "UTCDateTime",
    "UnreachableRow",
    "audit",
    "calendar_tokens",
    "chain_heads",
    "enrollments",
    "groups",
    "ledger",
    "ledger_notes",
    "metadata",
    "outbox",
    "people",
    "presence_hints",
    "records",
    "sessions",
    "unreachable",
]
