"""Domain objects <-> table rows. Pure mapping; nothing here touches the database."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from bot.core.actions import Button
from bot.core.domain import (
    AttendanceRecord,
    AuditEntry,
    EvidenceKind,
    Flag,
    Group,
    LedgerEntry,
    Participation,
    Person,
    ReportLine,
    Role,
    Schedule,
    Session,
    SessionState,
    Status,
)
from bot.core.outbox import Kind, OutboxItem, OutboxStatus
from bot.core.reports.memo import Memo

Values = dict[str, Any]
RowMap = Mapping[Any, Any]


def _lower(value: str | None) -> str | None:
    return value.lower() if value is not None else None


def person_values(p: Person) -> Values:
    return {
        "id": p.id,
        "display_name": p.display_name,
        "role": str(p.role),
        "slack_user_id": p.slack_user_id,
        "discord_user_id": p.discord_user_id,
        "zoom_email": p.zoom_email,
        "email": p.email,
        "zoom_email_lc": _lower(p.zoom_email),
        "email_lc": _lower(p.email),
        "phone": p.phone,
        "timezone": p.timezone,
        "quiet_hours": p.quiet_hours,
        "channels": list(p.channels),
        "aliases": list(p.aliases),
        "zoom_registrant_id": p.zoom_registrant_id,
        "forgotten": p.forgotten,
    }


def to_person(m: RowMap) -> Person:
    return Person(
        id=m["id"],
        display_name=m["display_name"],
        role=Role(m["role"]),
        slack_user_id=m["slack_user_id"],
        discord_user_id=m["discord_user_id"],
        zoom_email=m["zoom_email"],
        email=m["email"],
        phone=m["phone"],
        timezone=m["timezone"],
        quiet_hours=m["quiet_hours"],
        channels=tuple(m["channels"]),
        aliases=tuple(m["aliases"]),
        zoom_registrant_id=m["zoom_registrant_id"],
        forgotten=bool(m["forgotten"]),
    )


def forgotten_values(p: Person) -> Values:
    """What remains of a person after erasure: id and role (see Store.forget_person)."""
    return person_values(
        Person(id=p.id, display_name="forgotten", role=p.role, channels=(), forgotten=True)
    )


def group_values(g: Group) -> Values:
    s = g.schedule
    return {
        "id": g.id,
        "name": g.name,
        "schedule_rrule": s.rrule if s else None,
        "schedule_start": s.start if s else None,
        "schedule_minutes": s.minutes if s else None,
        "facilitators": list(g.facilitators),
        "participants": list(g.participants),
        "slack_channel": g.slack_channel,
        "discord_guild_id": g.discord_guild_id,
        "discord_text_channel_id": g.discord_text_channel_id,
        "discord_voice_channel_id": g.discord_voice_channel_id,
        "zoom_meeting_id": g.zoom_meeting_id,
        "capacity": g.capacity,
    }


def to_group(m: RowMap) -> Group:
    schedule = None
    if m["schedule_rrule"] is not None:
        schedule = Schedule(
            rrule=m["schedule_rrule"], start=m["schedule_start"], minutes=m["schedule_minutes"]
        )
    return Group(
        id=m["id"],
        name=m["name"],
        schedule=schedule,
        facilitators=tuple(m["facilitators"]),
        participants=tuple(m["participants"]),
        slack_channel=m["slack_channel"],
        discord_guild_id=m["discord_guild_id"],
        discord_text_channel_id=m["discord_text_channel_id"],
        discord_voice_channel_id=m["discord_voice_channel_id"],
        zoom_meeting_id=m["zoom_meeting_id"],
        capacity=m["capacity"],
    )


def session_values(s: Session) -> Values:
    return {
        "id": s.id,
        "group_id": s.group_id,
        "start": s.start,
        "end": s.end,
        "state": str(s.state),
        "makeup_for": s.makeup_for,
    }


def to_session(m: RowMap) -> Session:
    return Session(
        id=m["id"],
        group_id=m["group_id"],
        start=m["start"],
        end=m["end"],
        state=SessionState(m["state"]),
        makeup_for=m["makeup_for"],
    )


#: the ledger table's columns in order (`ledger_values` gives one value for each)
LEDGER_COLUMNS = (
    "seq",
    "key",
    "kind",
    "group_id",
    "session_id",
    "person_id",
    "guest_key",
    "actor_id",
    "source",
    "at",
    "recorded_at",
    "data",
    "prev_hash",
    "hash",
)


def ledger_values(e: LedgerEntry, *, seq: int, prev_hash: str, hash: str) -> Values:
    return {
        "seq": seq,
        "key": e.key,
        "kind": str(e.kind),
        "group_id": e.group_id,
        "session_id": e.session_id,
        "person_id": e.person_id,
        "guest_key": e.guest_key,
        "actor_id": e.actor_id,
        "source": e.source,
        "at": e.at,
        "recorded_at": e.recorded_at,
        "data": dict(e.data),
        "prev_hash": prev_hash,
        "hash": hash,
    }


def to_ledger_entry(m: RowMap) -> LedgerEntry:
    return LedgerEntry(
        key=m["key"],
        kind=EvidenceKind(m["kind"]),
        group_id=m["group_id"],
        at=m["at"],
        recorded_at=m["recorded_at"],
        source=m["source"],
        session_id=m["session_id"],
        person_id=m["person_id"],
        guest_key=m["guest_key"],
        actor_id=m["actor_id"],
        data=dict(m["data"]),
        seq=m["seq"],
        prev_hash=m["prev_hash"],
        hash=m["hash"],
    )


def audit_values(a: AuditEntry, *, seq: int, prev_hash: str, hash: str) -> Values:
    return {
        "seq": seq,
        "at": a.at,
        "actor_id": a.actor_id,
        "action": a.action,
        "target": a.target,
        "detail": dict(a.detail),
        "prev_hash": prev_hash,
        "hash": hash,
    }


def to_audit_entry(m: RowMap) -> AuditEntry:
    return AuditEntry(
        at=m["at"],
        actor_id=m["actor_id"],
        action=m["action"],
        target=m["target"],
        detail=dict(m["detail"]),
        seq=m["seq"],
        prev_hash=m["prev_hash"],
        hash=m["hash"],
    )


def record_values(r: AttendanceRecord) -> Values:
    return {
        "session_id": r.session_id,
        "group_id": r.group_id,
        "person_id": r.person_id,
        "status": str(r.status),
        "attended_minutes": r.attended_minutes,
        "camera_minutes": r.camera_minutes,
        "first_seen": r.first_seen,
        "last_seen": r.last_seen,
        "checked_in_at": r.checked_in_at,
        "flags": [str(f) for f in r.flags],
        "verified_by": r.verified_by,
        "makeup_for": r.makeup_for,
        "participation": str(r.participation) if r.participation is not None else None,
        "in_room": r.in_room,
    }


def to_record(m: RowMap) -> AttendanceRecord:
    participation = m["participation"]
    return AttendanceRecord(
        session_id=m["session_id"],
        group_id=m["group_id"],
        person_id=m["person_id"],
        status=Status(m["status"]),
        attended_minutes=m["attended_minutes"],
        camera_minutes=m["camera_minutes"],
        first_seen=m["first_seen"],
        last_seen=m["last_seen"],
        checked_in_at=m["checked_in_at"],
        flags=tuple(Flag(f) for f in m["flags"]),
        verified_by=m["verified_by"],
        makeup_for=m["makeup_for"],
        participation=Participation(participation) if participation is not None else None,
        in_room=bool(m["in_room"]),
    )


def outbox_values(i: OutboxItem) -> Values:
    return {
        "key": i.key,
        "kind": str(i.kind),
        "due_at": i.due_at,
        "text": i.text,
        "person_id": i.person_id,
        "group_id": i.group_id,
        "session_id": i.session_id,
        "expires_at": i.expires_at,
        "buttons": [dataclasses.asdict(b) for b in i.buttons],
        "status": str(i.status),
        "attempts": i.attempts,
        "next_attempt_at": i.next_attempt_at,
        "claimed_by": i.claimed_by,
        "claimed_until": i.claimed_until,
        "channel_used": i.channel_used,
        "finished_at": i.finished_at,
        "last_error": i.last_error,
        # no sending_at: only new items are written, and a new item is not in flight
    }


def to_outbox_item(m: RowMap) -> OutboxItem:
    buttons: list[dict[str, Any]] = m["buttons"]
    return OutboxItem(
        key=m["key"],
        kind=Kind(m["kind"]),
        due_at=m["due_at"],
        text=m["text"],
        person_id=m["person_id"],
        group_id=m["group_id"],
        session_id=m["session_id"],
        expires_at=m["expires_at"],
        buttons=tuple(Button(**b) for b in buttons),
        status=OutboxStatus(m["status"]),
        attempts=m["attempts"],
        next_attempt_at=m["next_attempt_at"],
        claimed_by=m["claimed_by"],
        claimed_until=m["claimed_until"],
        channel_used=m["channel_used"],
        finished_at=m["finished_at"],
        last_error=m["last_error"],
        sending_at=m["sending_at"],
    )


def _utc(raw: Any) -> datetime:
    dt = raw if isinstance(raw, datetime) else datetime.fromisoformat(raw)
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def _flags(raw: Any) -> tuple[str, ...]:
    return tuple(str(f) for f in (json.loads(raw) if isinstance(raw, str) else raw))


class LineReader:
    """Raw driver rows of `SessionsSql.report_lines` (selected without SQLAlchemy's type
    processing) -> `ReportLine`, converting each distinct raw value once: SQLite's
    datetimes come back as text, PostgreSQL's as aware datetimes; flags as JSON text
    (or a list, whichever the driver gives). The same values `to_record` reads."""

    def __init__(self) -> None:
        self._at: Memo[datetime] = Memo(_utc)  # a session's start and end
        self._when: Memo[datetime | None] = Memo(lambda raw: None if raw is None else _utc(raw))
        self._flags: Memo[tuple[str, ...]] = Memo(lambda raw: () if raw is None else _flags(raw))

    def line(self, r: Sequence[Any]) -> ReportLine:
        when = self._when
        flags = r[11]
        # the tuple made directly: ReportLine(...) is a Python-level __new__ per row
        return _new_tuple(
            ReportLine,
            (
                r[0],
                r[1],
                self._at[r[2]],
                self._at[r[3]],
                r[4],
                r[5],
                r[6],
                r[7],
                when[r[8]],
                when[r[9]],
                when[r[10]],
                self._flags[flags if flags is None or isinstance(flags, str) else tuple(flags)],
                r[12],
                r[13],
                r[14],
            ),
        )


#: `tuple.__new__`: a ReportLine from its 15 values at C speed (ReportLine._make checks
#: the length again)
_new_tuple = tuple.__new__
