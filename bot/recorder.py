"""Evidence in, records out: appends to the ledger and recomputes what it touched."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from bot.domain import (
    ATTENDED,
    AttendanceRecord,
    EvidenceKind,
    Group,
    LedgerEntry,
    Policy,
    Program,
    Session,
    SessionState,
)
from bot.ports import Clock, Store
from bot.rules.attendance import compute_record

#: how far around a session's window presence events are read to pair joins with leaves
PAIRING_MARGIN = timedelta(hours=12)


class Recorder:
    def __init__(self, store: Store, clock: Clock, program: Program) -> None:
        self.store = store
        self.clock = clock
        self.program = program

    @property
    def policy(self) -> Policy:
        return self.program.policy

    async def append(
        self, entries: Sequence[LedgerEntry], notes: Sequence[str | None] | None = None
    ) -> list[bool]:
        """Durably append evidence; per entry, True if new (False: a replay)."""
        return await self.store.append_evidence(entries, notes=notes)

    async def participants(self, session: Session) -> list[str]:
        """Who a record is kept for: active enrollees, plus anyone with evidence."""
        enrolled = {e.person_id for e in await self.store.enrollments(group_id=session.group_id)}
        with_evidence = {
            e.person_id
            for e in await self.store.evidence(session_id=session.id)
            if e.person_id is not None
        }
        return sorted(enrolled | with_evidence)

    async def compute(self, session: Session, group: Group, person_id: str) -> AttendanceRecord:
        policy = self.program.policy
        start, end = session.window(policy)
        own = await self.store.evidence(session_id=session.id, person_id=person_id)
        presence = await self.store.evidence(
            group_id=session.group_id,
            person_id=person_id,
            kinds=[EvidenceKind.PRESENCE],
            at_from=start - PAIRING_MARGIN,
            at_to=end + PAIRING_MARGIN,
        )
        seen = {e.key for e in own}
        entries = own + [e for e in presence if e.key not in seen]
        made_up_by = await self._made_up_by(session, person_id)
        return compute_record(
            session=session,
            group=group,
            person_id=person_id,
            entries=entries,
            policy=policy,
            now=self.clock.now(),
            made_up_by=made_up_by,
        )

    async def _made_up_by(self, session: Session, person_id: str) -> str | None:
        later = await self.store.list_sessions(
            start_from=session.start, states=[SessionState.SCHEDULED, SessionState.ENDED]
        )
        for s in later:
            if s.makeup_for != session.id:
                continue
            recs = await self.store.records(session_id=s.id, person_id=person_id)
            if recs and recs[0].status in ATTENDED:
                return s.id
        return None

    async def recompute(
        self, session: Session, person_ids: Sequence[str] | None = None
    ) -> list[AttendanceRecord]:
        """Recompute and store the records of a session (all its people by default).

        A make-up session also refreshes the missed session's record. Before a
        session opens only the records asked for (say, an absence notice) exist.
        """
        if session.state is SessionState.CANCELLED:
            return []
        group = await self.store.get_group(session.group_id)
        if group is None:
            return []
        if person_ids is None and session.opens_at(self.policy) > self.clock.now():
            # nobody can have missed a session that has not opened yet
            return []
        ids = list(person_ids) if person_ids is not None else await self.participants(session)
        records = [await self.compute(session, group, pid) for pid in ids]
        await self.store.save_records(records)
        if session.makeup_for:
            original = await self.store.get_session(session.makeup_for)
            if original is not None:
                await self.recompute(original, ids)
        return records

    async def sessions_touched(self, group_id: str, entry: LedgerEntry) -> list[Session]:
        """Sessions whose records a presence entry may change."""
        policy = self.program.policy
        around = await self.store.list_sessions(
            group_id=group_id,
            start_from=entry.at - PAIRING_MARGIN - timedelta(days=1),
            start_to=entry.at + PAIRING_MARGIN,
            states=[SessionState.SCHEDULED, SessionState.ENDED],
        )
        out = []
        for s in around:
            w_start, w_end = s.window(policy)
            if w_start - PAIRING_MARGIN <= entry.at <= w_end + PAIRING_MARGIN:
                out.append(s)
        return out
