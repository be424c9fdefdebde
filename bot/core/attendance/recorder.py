"""Evidence in, records out: appends to the ledger and recomputes what it touched."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from bot.core import limits
from bot.core.attendance.checked_in import CheckedIn
from bot.core.attendance.intervals import LEAVE, presence_from
from bot.core.attendance.links import linked_guest_keys
from bot.core.attendance.rules import compute_record
from bot.core.domain import (
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
from bot.core.ports import Clock, Store

#: how far around a session's window presence events are read to pair joins with leaves
PAIRING_MARGIN = timedelta(hours=12)


def _is_closure(e: LedgerEntry) -> bool:
    """A leave we wrote to close a stay (meeting or session end), not the platform's."""
    return e.data.get("action") == LEAVE and bool(e.data.get("closed_by"))


def without_stale_closures(presence: Sequence[LedgerEntry]) -> list[LedgerEntry]:
    """Drop each closing leave that closes nothing: the platform's own leave for that
    stream was delivered late, after the closure. Kept, it would read as a moment of
    presence at the closing time (a wrong last_seen, a lost left_early)."""
    closures = sorted((e for e in presence if _is_closure(e)), key=lambda e: (e.at, e.key))
    if not closures:
        return list(presence)
    kept = [e for e in presence if not _is_closure(e)]
    for c in closures:
        stream = (c.data.get("source") or c.source, c.data.get("stream") or "")
        before = [
            e
            for e in kept
            if e.at <= c.at
            and (e.data.get("source") or e.source, e.data.get("stream") or "") == stream
        ]
        if any(i.open for i in presence_from(before, c.at).stays):
            kept.append(c)
    return kept


class Recorder:
    def __init__(self, store: Store, clock: Clock, program: Program) -> None:
        self.store = store
        self.clock = clock
        self.program = program
        #: check-ins the ledger has confirmed, for the storm's repeats (no read)
        self.checked_in = CheckedIn()

    @property
    def policy(self) -> Policy:
        return self.program.policy

    async def append(
        self,
        entries: Sequence[LedgerEntry],
        notes: Sequence[str | None] | None = None,
        *,
        unit: bool = False,
    ) -> list[bool]:
        """Durably append evidence; per entry, True if new (False: a replay). With
        `unit`, all or nothing, keyed by the first (see Ledger.append_evidence)."""
        if notes is not None:
            limits.check_stored(list(notes))
        stored = await self.store.append_evidence(entries, notes=notes, unit=unit)
        for entry, new in zip(entries, stored, strict=True):
            if new and entry.kind is EvidenceKind.CHECKIN and entry.session_id and entry.person_id:
                self.checked_in.remember(entry.session_id, entry.person_id, entry.at)
        return stored

    async def checkin_time(self, session_id: str, person_id: str) -> datetime | None:
        """When the person checked in to the session: from memory, else from the ledger
        (then remembered); None if they have not."""
        at = self.checked_in.get(session_id, person_id)
        if at is not None:
            return at
        earlier = await self.store.evidence(
            session_id=session_id, person_id=person_id, kinds=[EvidenceKind.CHECKIN]
        )
        if not earlier:
            return None
        self.checked_in.remember(session_id, person_id, earlier[0].at)
        return earlier[0].at

    async def participants(self, session: Session) -> list[str]:
        """Who a record is kept for: active enrollees, plus anyone with evidence."""
        enrolled = {e.person_id for e in await self.store.enrollments(group_id=session.group_id)}
        with_evidence = {
            e.person_id
            for e in await self.store.evidence(session_id=session.id)
            if e.person_id is not None
        }
        return sorted(enrolled | with_evidence)

    async def compute(
        self,
        session: Session,
        group: Group,
        person_id: str,
        *,
        signed_off_seq: int | None = None,
    ) -> AttendanceRecord:
        """One record; `signed_off_seq`: the seq of the session's sign-off entry, if any
        (bot.core.attendance.signoff)."""
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
        # presence of guests linked to this person counts as theirs (bot.core.attendance.guests)
        for guest_key in await linked_guest_keys(self.store, session.group_id, person_id):
            presence += await self.store.evidence(
                group_id=session.group_id,
                guest_key=guest_key,
                kinds=[EvidenceKind.PRESENCE],
                at_from=start - PAIRING_MARGIN,
                at_to=end + PAIRING_MARGIN,
            )
        seen = {e.key for e in own}
        entries = without_stale_closures(own + [e for e in presence if e.key not in seen])
        booked_for = next(
            (
                str(e.data.get("makeup_for"))
                for e in own
                if e.kind is EvidenceKind.MAKEUP_BOOKING and e.data.get("makeup_for")
            ),
            None,
        )
        return compute_record(
            session=session,
            group=group,
            person_id=person_id,
            entries=entries,
            policy=policy,
            now=self.clock.now(),
            made_up_by=await self._made_up_by(session, person_id),
            makeup_for=booked_for,
            dm_unreachable="chat" in await self.store.unreachable_channels(person_id),
            signed_off_seq=signed_off_seq,
        )

    async def _made_up_by(self, session: Session, person_id: str) -> str | None:
        """An attended make-up for `session`: a booked one, or a dedicated make-up session."""
        candidates: list[str] = [
            e.session_id
            for e in await self.store.evidence(
                person_id=person_id, kinds=[EvidenceKind.MAKEUP_BOOKING]
            )
            if e.data.get("makeup_for") == session.id and e.session_id
        ]
        later = await self.store.list_sessions(
            start_from=session.start, states=[SessionState.SCHEDULED, SessionState.ENDED]
        )
        candidates += [s.id for s in later if s.makeup_for == session.id]
        for sid in candidates:
            recs = await self.store.records(session_id=sid, person_id=person_id)
            if recs and recs[0].status in ATTENDED:
                return sid
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
        signoff = await self.store.evidence(session_id=session.id, kinds=[EvidenceKind.SIGNOFF])
        seq = signoff[0].seq if signoff else None
        records = [await self.compute(session, group, pid, signed_off_seq=seq) for pid in ids]
        await self.store.save_records(records)
        # a make-up's attendance decides the missed session's record
        for r in records:
            if r.makeup_for and r.makeup_for != session.id:
                original = await self.store.get_session(r.makeup_for)
                if original is not None:
                    await self.recompute(original, [r.person_id])
        return records

    async def sessions_around(self, group_id: str, times: Iterable[datetime]) -> list[Session]:
        """The opened, non-cancelled sessions of a group whose records presence at any of
        `times` may change (one query, whatever the number of times): the one
        session-margin query, used for presence, guest links and session closures."""
        moments = sorted(set(times))
        if not moments:
            return []
        now = self.clock.now()
        policy = self.policy
        out: list[Session] = []
        for s in await self.store.list_sessions(
            group_id=group_id,
            start_from=moments[0] - PAIRING_MARGIN - timedelta(days=1),
            start_to=moments[-1] + PAIRING_MARGIN,
            states=[SessionState.SCHEDULED, SessionState.ENDED],
        ):
            if s.opens_at(policy) > now:
                continue
            w_start, w_end = s.window(policy)
            i = bisect_left(moments, w_start - PAIRING_MARGIN)
            if i < len(moments) and moments[i] <= w_end + PAIRING_MARGIN:
                out.append(s)
        return out
