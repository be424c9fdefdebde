"""Data requests: a participant's export, and erasure that keeps de-identified counts."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bot.core.domain import AuditEntry, EvidenceKind
from bot.core.errors import UserError
from bot.core.outreach_log import outreach_log
from bot.core.ports import Store


def _ts(dt: datetime | None) -> str | None:
    return dt.astimezone(UTC).isoformat() if dt else None


async def export_person(
    store: Store, person_id: str, at: datetime, actor_id: str
) -> dict[str, Any]:
    """Everything rollcall holds about one person, as JSON-ready data (audited)."""
    person = await store.get_person(person_id)
    if person is None:
        raise UserError(f"unknown participant: {person_id}")
    notes = dict(await store.notes_for(person_id))
    evidence = [
        {
            "key": e.key,
            "kind": e.kind.value,
            "session_id": e.session_id,
            "group_id": e.group_id,
            "at": _ts(e.at),
            "source": e.source,
            "data": {k: v for k, v in e.data.items() if k != "label"},
            "note": notes.get(e.key),
        }
        for e in await store.evidence(person_id=person_id)
    ]
    records = [
        {
            "session_id": r.session_id,
            "group_id": r.group_id,
            "status": r.status.value,
            "attended_minutes": r.attended_minutes,
            "camera_minutes": r.camera_minutes,
            "first_seen": _ts(r.first_seen),
            "last_seen": _ts(r.last_seen),
            "checked_in_at": _ts(r.checked_in_at),
            "flags": [f.value for f in r.flags],
            "verified_by": r.verified_by,
            "makeup_for": r.makeup_for,
            "participation": r.participation.value if r.participation else None,
        }
        for r in await store.records(person_id=person_id)
    ]
    enrollments = [
        {"group_id": e.group_id, "active": e.active}
        for e in await store.enrollments(person_id=person_id, active_only=False)
    ]
    await store.append_audit(
        AuditEntry(at=at, actor_id=actor_id, action="participant.export", target=person_id)
    )
    return {
        "person": {
            "id": person.id,
            "display_name": person.display_name,
            "role": person.role.value,
            "slack_user_id": person.slack_user_id,
            "discord_user_id": person.discord_user_id,
            "zoom_email": person.zoom_email,
            "email": person.email,
            "phone": person.phone,
            "timezone": person.timezone,
            "channels": list(person.channels),
            "forgotten": person.forgotten,
        },
        "enrollments": enrollments,
        "records": records,
        "evidence": evidence,
        "outreach": [
            {
                "at": _ts(o.at),
                "group_id": o.group_id,
                "by": o.by,
                "how": o.how,
                "outcome": o.outcome,
                "resolves": o.resolves,
                "note": o.note,
            }
            for o in await outreach_log(store, person_id=person_id)
        ],
        "presence_hints": [
            {"source": h.source, "since": _ts(h.since)} for h in await store.hints([person_id])
        ],
        "exported_at": _ts(at),
    }


async def forget_person(store: Store, person_id: str, at: datetime, actor_id: str) -> None:
    """Erase a person, and what meeting platforms called the guests linked to them."""
    audit = AuditEntry(at=at, actor_id=actor_id, action="participant.forget", target=person_id)
    if not await store.forget_person(person_id, audit=audit):
        raise UserError(f"unknown participant: {person_id}")
    for link in await store.evidence(person_id=person_id, kinds=[EvidenceKind.GUEST_LINK]):
        if link.guest_key:
            await forget_guest(store, link.guest_key, at, actor_id)


async def forget_guest(store: Store, guest_key: str, at: datetime, actor_id: str) -> int:
    """Erase what a meeting platform called a guest; their presence stays, unnamed."""
    audit = AuditEntry(at=at, actor_id=actor_id, action="guest.forget", target=guest_key)
    return await store.forget_guest(guest_key, audit=audit)
