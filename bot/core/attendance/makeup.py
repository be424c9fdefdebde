"""Make-ups: sessions with room where a missed session can be made up (the /makeup
command and its booking button are in bot.core.commands.makeup).

A booking is a ledger entry (kind MAKEUP_BOOKING) on the make-up session, naming the
missed session; attending the make-up turns the missed record into `made_up`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from bot.core.domain import (
    ATTENDED,
    AttendanceRecord,
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


async def made_up_by(
    store: Store,
    session: Session,
    person_ids: Sequence[str],
    bookings: Sequence[LedgerEntry] | None = None,
) -> dict[str, str]:
    """person -> the attended make-up of `session` (booked first, then a dedicated
    make-up session), for everyone in `person_ids` who has one (`bookings`: their
    bookings of a make-up for it, if already read)."""
    if bookings is None:
        bookings = await store.makeup_bookings(session.id, person_ids)
    booked: dict[str, list[str]] = {}
    for e in bookings:
        if e.person_id and e.session_id:
            booked.setdefault(e.person_id, []).append(e.session_id)
    later = await store.list_sessions(
        start_from=session.start, states=[SessionState.SCHEDULED, SessionState.ENDED]
    )
    dedicated = [s.id for s in later if s.makeup_for == session.id]
    if not booked and not dedicated:
        return {}
    records: dict[str, dict[str, AttendanceRecord]] = {}
    out: dict[str, str] = {}
    for pid in person_ids:
        for sid in [*booked.get(pid, []), *dedicated]:
            if sid not in records:
                one = len(person_ids) == 1
                found = await store.records(session_id=sid, person_id=pid if one else None)
                records[sid] = {r.person_id: r for r in found}
            r = records[sid].get(pid)
            if r is not None and r.status in ATTENDED:
                out[pid] = sid
                break
    return out
