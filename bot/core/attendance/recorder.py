"""Evidence in, records out: appends to the ledger and recomputes what it touched."""

from __future__ import annotations

import asyncio
from bisect import bisect_left
from collections import OrderedDict
from collections.abc import Awaitable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.core import limits
from bot.core.attendance import makeup
from bot.core.attendance.checked_in import CheckedIn
from bot.core.attendance.closures import without_stale_closures
from bot.core.attendance.links import linked_guest_keys
from bot.core.attendance.prepared import Prepared, prepare
from bot.core.attendance.rules import record_at
from bot.core.attendance.saved import SavedRecords
from bot.core.attendance.tail import KEPT, SessionInputs, SessionTail
from bot.core.domain import (
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


#: up to this many people (a check-in), a recompute reads each person's inputs; past
#: it, the whole session's at once (SessionTail)
FEW = 3


@dataclass(frozen=True, slots=True, kw_only=True)
class _Memo:
    inputs: tuple[Any, ...]
    prepared: Prepared
    at: datetime
    record: AttendanceRecord


@dataclass(frozen=True, slots=True, kw_only=True)
class Recomputed:
    records: list[AttendanceRecord]
    #: when read whole (None: it was not): the session's evidence, by seq, and the
    #: group's presence entries that carry a guest key, within PAIRING_MARGIN of its
    #: window (by guest key, then seq)
    evidence: list[LedgerEntry] | None
    presence: list[LedgerEntry] | None
    #: when read whole: the group's guest links (guest key -> person)
    links: dict[str, str] | None = None


class Recorder:
    def __init__(self, store: Store, clock: Clock, program: Program) -> None:
        self.store = store
        self.clock = clock
        self.program = program
        #: check-ins the ledger has confirmed, for the storm's repeats (no read)
        self.checked_in = CheckedIn()
        #: whole sessions' evidence, kept up to date from the ledger's tail
        self.tail = SessionTail(store)
        #: session -> person -> (what their last record was computed from, its clock-free
        #: part, the instant and the record): a new instant only applies the clock
        self._memo: OrderedDict[str, dict[str, _Memo]] = OrderedDict()
        #: the records as last saved or read, per session (not read back while they hold)
        self.saved = SavedRecords(store, clock, few=FEW, kept=KEPT)

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
        (bot.core.attendance.signoff). Four small reads: for one person or a few
        (a check-in); `recompute` reads a whole session's inputs at once."""
        start, end = session.window(self.policy)
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
        prepared = self._prepare(
            session,
            group,
            person_id,
            own,
            presence,
            made_up_by=(await makeup.made_up_by(self.store, session, [person_id])).get(person_id),
            dm_unreachable="chat" in await self.store.unreachable_channels(person_id),
            signed_off_seq=signed_off_seq,
        )
        return record_at(prepared, self.clock.now())

    def _prepare(
        self,
        session: Session,
        group: Group,
        person_id: str,
        own: Sequence[LedgerEntry],
        presence: Sequence[LedgerEntry],
        *,
        made_up_by: str | None,
        dm_unreachable: bool,
        signed_off_seq: int | None,
    ) -> Prepared:
        """The record's clock-free inputs from what was read: `own`, the person's evidence
        of the session; `presence`, theirs and their linked guests' around its window
        (pure; kept by a roster between views)."""
        seen = {e.key for e in own}
        entries = without_stale_closures([*own, *(e for e in presence if e.key not in seen)])
        booked_for = next(
            (
                str(e.data.get("makeup_for"))
                for e in own
                if e.kind is EvidenceKind.MAKEUP_BOOKING and e.data.get("makeup_for")
            ),
            None,
        )
        return prepare(
            session=session,
            group=group,
            person_id=person_id,
            entries=entries,
            policy=self.policy,
            made_up_by=made_up_by,
            makeup_for=booked_for,
            dm_unreachable=dm_unreachable,
            signed_off_seq=signed_off_seq,
        )

    async def _compute_all(
        self,
        session: Session,
        group: Group,
        person_ids: Sequence[str],
        inputs: SessionInputs,
        signed_off_seq: int | None,
        bookings: Sequence[LedgerEntry],
        unreachable_read: Awaitable[set[str]],
    ) -> list[AttendanceRecord]:
        """Everyone's records from one read of each input (`inputs`: the session's
        evidence, presence and guest links, already read; `bookings`: the make-up
        bookings for it of `person_ids`; `unreachable_read`: who chat cannot reach, being
        read), however many people: the same records as `compute` gives."""
        own, by_person, by_guest = inputs.own, inputs.by_person, inputs.by_guest
        guests_of: dict[str, list[str]] = {}
        for key, pid in inputs.links.items():
            guests_of.setdefault(pid, []).append(key)
        made_up = await makeup.made_up_by(self.store, session, person_ids, bookings)
        unreachable = await unreachable_read
        memo = self._memo.pop(session.id, {})
        self._memo[session.id] = memo
        while len(self._memo) > KEPT:
            self._memo.popitem(last=False)
        now = self.clock.now()
        shared = (session, group, self.policy, signed_off_seq)
        # compared once here, not once a person (a group's equality walks its members):
        # equal to what the memo holds, its very object is used, which compares at once
        held = next(iter(memo.values()), None)
        if held is not None and held.inputs[0] == shared:
            shared = held.inputs[0]
        out: list[AttendanceRecord] = []
        for pid in person_ids:
            mine = own.get(pid, [])
            keys = sorted(guests_of.get(pid, []))
            lists = [by_person.get(pid, []), *(by_guest.get(k, []) for k in keys)]
            # the same inputs at the same instant give the same record: reuse it (the
            # lists only grow, by seq: their lengths and last seqs say what is in them)
            inputs_of = (
                shared,
                made_up.get(pid),
                pid in unreachable,
                tuple(keys),
                tuple((len(x), x[-1].seq if x else 0) for x in (mine, *lists)),
            )
            hit = memo.get(pid)
            if hit is not None and hit.inputs == inputs_of:
                if hit.at != now:
                    hit = _Memo(
                        inputs=inputs_of,
                        prepared=hit.prepared,
                        at=now,
                        record=record_at(hit.prepared, now),
                    )
                    memo[pid] = hit
                out.append(hit.record)
                continue
            prepared = self._prepare(
                session,
                group,
                pid,
                mine,
                [e for x in lists for e in x],
                made_up_by=made_up.get(pid),
                dm_unreachable=pid in unreachable,
                signed_off_seq=signed_off_seq,
            )
            record = record_at(prepared, now)
            memo[pid] = _Memo(inputs=inputs_of, prepared=prepared, at=now, record=record)
            out.append(record)
        return out

    async def recompute(
        self, session: Session, person_ids: Sequence[str] | None = None
    ) -> list[AttendanceRecord]:
        """Recompute and store the records of a session (all its people by default).

        A make-up session also refreshes the missed session's record. Before a
        session opens only the records asked for (say, an absence notice) exist.
        """
        return (await self.recompute_session(session, person_ids)).records

    async def recompute_session(
        self, session: Session, person_ids: Sequence[str] | None = None
    ) -> Recomputed:
        """`recompute`, with the session's evidence it read (for a roster)."""
        nothing = Recomputed(records=[], evidence=None, presence=None)
        if session.state is SessionState.CANCELLED:
            return nothing
        group = await self.store.get_group(session.group_id)
        if group is None:
            return nothing
        if person_ids is None and session.opens_at(self.policy) > self.clock.now():
            # nobody can have missed a session that has not opened yet
            return nothing
        evidence: list[LedgerEntry] | None = None
        presence: list[LedgerEntry] | None = None
        links_read: dict[str, str] | None = None
        head: tuple[int, str] | None = None
        start, end = session.window(self.policy)
        around = (start - PAIRING_MARGIN, end + PAIRING_MARGIN)
        if person_ids is not None and len(person_ids) <= FEW:
            signoff = await self.store.evidence(session_id=session.id, kinds=[EvidenceKind.SIGNOFF])
            seq = signoff[0].seq if signoff else None
            records = [
                await self.compute(session, group, pid, signed_off_seq=seq) for pid in person_ids
            ]
        else:
            # read alongside the evidence's (one wait, not two)
            unreachable = asyncio.ensure_future(self.store.unreachable_on("chat"))
            try:
                inputs = await self.tail.read(session, *around)
                evidence = inputs.evidence
                presence = [e for x in inputs.by_guest.values() for e in x]
                signoffs = [e.seq for e in evidence if e.kind is EvidenceKind.SIGNOFF]
                if person_ids is None:
                    enrolled = {
                        e.person_id for e in await self.store.enrollments(group_id=group.id)
                    }
                    seen = {e.person_id for e in evidence if e.person_id is not None}
                    ids = sorted(enrolled | seen)
                else:
                    ids = list(person_ids)
                bookings = await self.tail.makeup_bookings(session, *around, ids)
                signed_off = signoffs[0] if signoffs else None
                records = await self._compute_all(
                    session, group, ids, inputs, signed_off, bookings, unreachable
                )
            finally:  # never left running past the recompute (its failure is raised)
                await asyncio.gather(unreachable, return_exceptions=True)
            links_read = inputs.links
            head = inputs.head
        await self.saved.save_changed(session.id, records, head)
        # a make-up's attendance decides the missed session's record
        for r in records:
            if r.makeup_for and r.makeup_for != session.id:
                original = await self.store.get_session(r.makeup_for)
                if original is not None:
                    await self.recompute(original, [r.person_id])
        return Recomputed(records=records, evidence=evidence, presence=presence, links=links_read)

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
