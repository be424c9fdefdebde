"""initial schema: directory, sessions, hash-chained ledger and audit, records, outbox

Revision ID: 0001
Revises:
Create Date: 2026-11-27

"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GENESIS = "0" * 64


def _ts(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _str(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.String(), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "people",
        _str("id"),
        _str("display_name"),
        _str("role"),
        _str("slack_user_id", True),
        _str("discord_user_id", True),
        _str("zoom_email", True),
        _str("email", True),
        _str("zoom_email_lc", True),
        _str("email_lc", True),
        _str("phone", True),
        _str("timezone", True),
        _str("quiet_hours", True),
        sa.Column("channels", sa.JSON(), nullable=False),
        sa.Column("aliases", sa.JSON(), nullable=False),
        _str("zoom_registrant_id", True),
        sa.Column("forgotten", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_people_slack_user_id", "people", ["slack_user_id"])
    op.create_index("ix_people_discord_user_id", "people", ["discord_user_id"])
    op.create_index("ix_people_zoom_email_lc", "people", ["zoom_email_lc"])
    op.create_index("ix_people_email_lc", "people", ["email_lc"])

    op.create_table(
        "groups",
        _str("id"),
        _str("name"),
        _str("schedule_rrule", True),
        sa.Column("schedule_start", sa.Time(), nullable=True),
        sa.Column("schedule_minutes", sa.Integer(), nullable=True),
        sa.Column("facilitators", sa.JSON(), nullable=False),
        sa.Column("participants", sa.JSON(), nullable=False),
        _str("slack_channel", True),
        _str("discord_guild_id", True),
        _str("discord_text_channel_id", True),
        _str("discord_voice_channel_id", True),
        _str("zoom_meeting_id", True),
        sa.Column("capacity", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )

    op.create_table(
        "enrollments",
        _str("person_id"),
        _str("group_id"),
        sa.Column("active", sa.Boolean(), nullable=False),
        _ts("changed_at"),
        sa.PrimaryKeyConstraint("person_id", "group_id"),
    )
    op.create_index("ix_enrollments_group_id", "enrollments", ["group_id"])

    op.create_table(
        "sessions",
        _str("id"),
        _str("group_id"),
        _ts("start"),
        _ts("end"),
        _str("state"),
        _str("makeup_for", True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_sessions_group_id_start", "sessions", ["group_id", "start"])
    op.create_index("ix_sessions_start", "sessions", ["start"])

    op.create_table(
        "ledger",
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        _str("key"),
        _str("kind"),
        _str("group_id"),
        _str("session_id", True),
        _str("person_id", True),
        _str("guest_key", True),
        _str("actor_id", True),
        _str("source"),
        _ts("at"),
        _ts("recorded_at"),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
        sa.UniqueConstraint("key", name="uq_ledger_key"),
    )
    op.create_index(
        "ix_ledger_group_id_person_id_at", "ledger", ["group_id", "person_id", "at"]
    )
    op.create_index("ix_ledger_session_id", "ledger", ["session_id"])
    op.create_index("ix_ledger_person_id_at", "ledger", ["person_id", "at"])
    op.create_index("ix_ledger_guest_key", "ledger", ["guest_key"])

    op.create_table(
        "ledger_notes",
        _str("key"),
        _str("person_id", True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["key"], ["ledger.key"], name="fk_ledger_notes_key"),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_index("ix_ledger_notes_person_id", "ledger_notes", ["person_id"])

    op.create_table(
        "audit",
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        _ts("at"),
        _str("actor_id"),
        _str("action"),
        _str("target"),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
    )
    op.create_index("ix_audit_at", "audit", ["at"])

    chain_heads = op.create_table(
        "chain_heads",
        _str("chain"),
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("chain"),
    )
    # both heads exist from the start, so appenders always have a row to lock
    op.bulk_insert(
        chain_heads,
        [
            {"chain": "ledger", "seq": 0, "hash": GENESIS},
            {"chain": "audit", "seq": 0, "hash": GENESIS},
        ],
    )

    op.create_table(
        "attendance_records",
        _str("session_id"),
        _str("person_id"),
        _str("group_id"),
        _str("status"),
        sa.Column("attended_minutes", sa.Integer(), nullable=False),
        sa.Column("camera_minutes", sa.Integer(), nullable=False),
        _ts("first_seen", True),
        _ts("last_seen", True),
        _ts("checked_in_at", True),
        sa.Column("flags", sa.JSON(), nullable=False),
        _str("verified_by", True),
        _str("makeup_for", True),
        _str("participation", True),
        sa.Column("in_room", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("session_id", "person_id"),
    )
    op.create_index("ix_attendance_records_group_id", "attendance_records", ["group_id"])
    op.create_index("ix_attendance_records_person_id", "attendance_records", ["person_id"])


    op.create_table(
        "outbox",
        _str("key"),
        _str("kind"),
        _ts("due_at"),
        sa.Column("text", sa.Text(), nullable=False),
        _str("person_id", True),
        _str("group_id", True),
        _str("session_id", True),
        _ts("expires_at", True),
        sa.Column("buttons", sa.JSON(), nullable=False),
        _str("status"),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _ts("next_attempt_at", True),
        _str("claimed_by", True),
        _ts("claimed_until", True),
        _str("channel_used", True),
        _ts("finished_at", True),
        _str("last_error", True),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_index("ix_outbox_status_due_at", "outbox", ["status", "due_at"])
    op.create_index("ix_outbox_person_id", "outbox", ["person_id"])

    op.create_table(
        "unreachable_channels",
        _str("person_id"),
        _str("channel"),
        _ts("at"),
        sa.PrimaryKeyConstraint("person_id", "channel"),
    )


def downgrade() -> None:
    for table in (
        "unreachable_channels",
        "outbox",
        "attendance_records",
        "chain_heads",
        "audit",
        "ledger_notes",
        "ledger",
        "sessions",
        "enrollments",
        "groups",
        "people",
    ):
        op.drop_table(table)
