"""Make-ups: sessions with room where a missed session can be made up (the /makeup
command and its booking button are in bot.core.commands.makeup).

A booking is a ledger entry (kind MAKEUP_BOOKING) on the make-up session, naming the
missed session; attending the make-up turns the missed record into `made_up`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.core.domain import (
    EvidenceKind,
    LedgerEntry,
    Session,
    SessionState,
    Status,
)
from bot.core.ports import Store

LOOK_AHEAD = timedelta(days=14)
LOOK_BACK = timedelta(days=14)
MAX_OPTIONS = 5
MISSED = (Status.ABSENT, Status.EXCUSED)


async def seats_taken(store: Store, session: Session) -> int:
    enrolled = {e.person_id for e in await store.enrollments(group_id=session.group_id)}
    booked = {
        e.person_id
        for e in await store.evidence(session_id=session.id, kinds=[EvidenceKind.MAKEUP_BOOKING])
    }
    return len(enrolled | {p for p in booked if p})


async def options(store: Store, missed: Session, person_id: str, now: datetime) -> list[Session]:
    """Upcoming sessions of other groups with room, and make-up sessions made for it."""
    mine = {e.group_id for e in await store.enrollments(person_id=person_id)}
    out: list[Session] = []
    for s in await store.list_sessions(
        start_from=now, start_to=now + LOOK_AHEAD, states=[SessionState.SCHEDULED]
    ):
        if s.makeup_for == missed.id:
            out.append(s)
            continue
        if s.makeup_for is not None or s.group_id in mine or s.group_id == missed.group_id:
            continue
        group = await store.get_group(s.group_id)
        if group is None:
            continue
        if group.capacity is not None and await seats_taken(store, s) >= group.capacity:
            continue
        out.append(s)
    return out[:MAX_OPTIONS]


async def booking_for(store: Store, missed_id: str, person_id: str) -> LedgerEntry | None:
    for e in await store.evidence(person_id=person_id, kinds=[EvidenceKind.MAKEUP_BOOKING]):
        if e.data.get("makeup_for") == missed_id:
            return e
    return None
