"""Enrollment changes, always with their audit row (chat and CLI share this)."""

from __future__ import annotations

from datetime import datetime

from bot.core.domain import AuditEntry
from bot.core.ports import Store


async def set_enrollment(
    store: Store, actor_id: str, person_id: str, group_id: str, *, active: bool, at: datetime
) -> bool:
    """Enroll or unenroll; True if it changed anything (then an audit row was written)."""
    audit = AuditEntry(
        at=at,
        actor_id=actor_id,
        action="enrollment.add" if active else "enrollment.remove",
        target=person_id,
        detail={"group_id": group_id},
    )
    return await store.set_enrollment(person_id, group_id, active=active, at=at, audit=audit)
