"""Small builders of domain objects for the contract suite."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from bot.core.domain import (
    AttendanceRecord,
    AuditEntry,
    EvidenceKind,
    LedgerEntry,
    Person,
    Session,
    Status,
)

#: a Monday, 18:00 UTC, with microseconds so that their loss would show
T0 = datetime(2025, 3, 3, 18, 0, 0, 123456, tzinfo=UTC)


def at(minutes: float = 0) -> datetime:
    return T0 + timedelta(minutes=minutes)


def person(pid: str, **kw: Any) -> Person:
    kw.setdefault("display_name", f"P {pid}")
    return Person(id=pid, **kw)


def session(sid: str, group: str = "g1", start_min: float = 0, **kw: Any) -> Session:
    start = at(start_min)
    return Session(id=sid, group_id=group, start=start, end=start + timedelta(hours=3), **kw)


def entry(key: str, **kw: Any) -> LedgerEntry:
    kw.setdefault("kind", EvidenceKind.CHECKIN)
    kw.setdefault("group_id", "g1")
    kw.setdefault("at", T0)
    kw.setdefault("recorded_at", T0 + timedelta(seconds=1))
    kw.setdefault("source", "slack")
    return LedgerEntry(key=key, **kw)


def audit_entry(action: str = "roster.view", **kw: Any) -> AuditEntry:
    kw.setdefault("at", T0)
    kw.setdefault("actor_id", "f-1")
    return AuditEntry(action=action, **kw)


def record(sid: str, pid: str, group: str = "g1", **kw: Any) -> AttendanceRecord:
    kw.setdefault("status", Status.PRESENT)
    return AttendanceRecord(session_id=sid, group_id=group, person_id=pid, **kw)
