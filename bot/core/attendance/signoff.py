"""Session sign-off: a facilitator attests a session's statuses and minutes as they stand.

A sign-off is one SIGNOFF ledger entry for the session (no person): who, when, the
optional note (kept apart from the chain, erasable), and in `data["attested"]` what was
attested, as `person=status:minutes` pairs joined by `;` (ids only). Records of a
signed-off session carry the flag `signed_off`; a verification stored after it (a
later ledger seq) is an amendment: it needs a reason, the record carries `amended`,
and the attested status stays readable (`SignOff.attested`).

Read models here: `signoff_of` (one session), `signoffs` (many), `unsigned_sessions`
(ended sessions without one, for the weekly summary), `signoff_reminders` (the one
private reminder to facilitators `signoff_reminder_hours` after the end).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.core.attendance.recorder import Recorder
from bot.core.domain import (
    AttendanceRecord,
    AuditEntry,
    EvidenceKind,
    LedgerEntry,
    Session,
    SessionState,
)
from bot.core.ports import Store

#: how long after it is due a sign-off reminder is still worth sending


@dataclass(frozen=True, slots=True, kw_only=True)
class SignOff:
    session_id: str
    by: str
    at: datetime
    seq: int
    #: person id -> (status, minutes) as attested
    attested: dict[str, tuple[str, int]]


def attest(records: Iterable[AttendanceRecord]) -> str:
    return ";".join(
        f"{r.person_id}={r.status.value}:{r.attended_minutes}"
        for r in sorted(records, key=lambda r: r.person_id)
    )


def _parse_attested(text: str) -> dict[str, tuple[str, int]]:
    out: dict[str, tuple[str, int]] = {}
    for part in text.split(";"):
        pid, _, rest = part.partition("=")
        status, _, minutes = rest.partition(":")
        if pid and status:
            out[pid] = (status, int(minutes) if minutes.isdigit() else 0)
    return out


def from_entry(e: LedgerEntry) -> SignOff:
    return SignOff(
        session_id=e.session_id or "",
        by=e.actor_id or "",
        at=e.at,
        seq=e.seq,
        attested=_parse_attested(str(e.data.get("attested") or "")),
    )


async def signoff_of(store: Store, session_id: str) -> SignOff | None:
    """The session's sign-off (the first, if a race stored two), or None."""
    found = await store.evidence(session_id=session_id, kinds=[EvidenceKind.SIGNOFF])
    return from_entry(found[0]) if found else None


async def signoffs(store: Store, session_ids: Iterable[str]) -> dict[str, SignOff]:
    """session -> its sign-off (the first), for those signed off: one read."""
    out: dict[str, SignOff] = {}
    for e in await store.sessions_evidence(sorted(set(session_ids)), kinds=[EvidenceKind.SIGNOFF]):
        if e.session_id and e.session_id not in out:  # by seq: the first wins
            out[e.session_id] = from_entry(e)
    return out


@dataclass(frozen=True, slots=True, kw_only=True)
class SignOffResult:
    signoff: SignOff
    new: bool  # False: it was signed off before (by `signoff.by`)
    records: tuple[AttendanceRecord, ...]


def summary(records: Sequence[AttendanceRecord]) -> str:
    """ "7 people: 4 present, 1 late, 2 absent" (ids never needed)."""
    counts = Counter(r.status.value for r in records)
    parts = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
    noun = "person" if len(records) == 1 else "people"
    return f"{len(records)} {noun}" + (f": {parts}" if parts else "")


async def sign_off(
    recorder: Recorder,
    session: Session,
    *,
    actor_id: str,
    source: str,
    at: datetime,
    request_id: str,
    note: str | None = None,
) -> SignOffResult:
    """Attest the session's records as they stand now (once; a second call returns the
    first sign-off with `new` False). Writes the ledger entry and an audit row."""
    store = recorder.store
    existing = await signoff_of(store, session.id)
    if existing is not None:
        records = await store.records(session_id=session.id)
        return SignOffResult(signoff=existing, new=False, records=tuple(records))
    records = await recorder.recompute(session)
    entry = LedgerEntry(
        key=f"signoff:{session.id}",  # one per session: a race stores only one
        kind=EvidenceKind.SIGNOFF,
        group_id=session.group_id,
        session_id=session.id,
        actor_id=actor_id,
        at=at,
        recorded_at=recorder.clock.now(),
        source=source,
        data={"attested": attest(records), "request_id": request_id},
    )
    (new,) = await recorder.append([entry], notes=[note])
    stored = await signoff_of(store, session.id)
    assert stored is not None
    if new:
        await store.append_audit(
            AuditEntry(
                at=recorder.clock.now(),
                actor_id=actor_id,
                action="session.signoff",
                target=session.id,
                detail={"records": len(records)},
            )
        )
    records = await recorder.recompute(session)
    return SignOffResult(signoff=stored, new=new, records=tuple(records))


async def unsigned_sessions(
    store: Store, *, start_from: datetime, start_to: datetime, now: datetime
) -> list[Session]:
    """Sessions that started in [start_from, start_to), have ended by `now` and have no
    sign-off, by start."""
    out = []
    for s in await store.list_sessions(
        start_from=start_from,
        start_to=start_to,
        states=[SessionState.SCHEDULED, SessionState.ENDED],
    ):
        if s.end <= now and await signoff_of(store, s.id) is None:
            out.append(s)
    return out
