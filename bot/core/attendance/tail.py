"""What a whole session's records are computed from, kept between recomputes.

A roster asked again and again (a facilitator watching a live session) would read
the session's evidence and its group's presence around the window every time:
tens of thousands of rows. The ledger is append-only and its `seq` follows commit
order (every append holds the chain head), so what was read stays true and only
entries past the last seen `seq` can be new: each use reads the chain head, and the
ledger's tail past it only when the head moved — once for every session kept (at
the top of the hour, every group's), each new entry handed to the sessions it
belongs to. A head that went back or changed under the same `seq` (a restored
backup) drops everything kept.

Kept the same way, for the same views: the group's guest links (whose presence
counts as whose, as bot.core.attendance.links reads them) and the make-up bookings
made for the session (read per person, the first time a person is asked about).
The head read by a use is in what it returns: what the records were computed from
(see Recorder's saved records).
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from bot.core.domain import EvidenceKind, LedgerEntry, Session
from bot.core.ports import Store

#: sessions kept (the ones live now: a program's every group at the top of the hour;
#: a report's sweep reads through), and the entries they may hold together
KEPT = 48
KEPT_ENTRIES = 100_000
#: past this many new entries since the last use (or, when more is kept, past as many
#: as the kept sessions hold: reading those afresh would cost as much), read afresh
TAIL_LIMIT = 5000
_PAGE = 1000


@dataclass(slots=True, kw_only=True)
class _Kept:
    session_id: str
    group_id: str
    at_from: datetime
    at_to: datetime
    evidence: list[LedgerEntry] = field(default_factory=list)
    presence: list[LedgerEntry] = field(default_factory=list)
    own: dict[str | None, list[LedgerEntry]] = field(default_factory=dict)
    by_person: dict[str | None, list[LedgerEntry]] = field(default_factory=dict)
    by_guest: dict[str, list[LedgerEntry]] = field(default_factory=dict)
    #: guest key -> the person of its current link (bot.core.attendance.links)
    links: dict[str, str] = field(default_factory=dict)
    last_link: int = 0
    #: person -> their bookings of a make-up for the session; whose were read; keys
    bookings: dict[str, list[LedgerEntry]] = field(default_factory=dict)
    bookings_read: set[str] = field(default_factory=set)
    booking_keys: set[str] = field(default_factory=set)

    def add_evidence(self, e: LedgerEntry) -> None:
        self.evidence.append(e)
        self.own.setdefault(e.person_id, []).append(e)

    def add_presence(self, e: LedgerEntry) -> None:
        self.presence.append(e)
        self.by_person.setdefault(e.person_id, []).append(e)
        if e.guest_key:
            self.by_guest.setdefault(e.guest_key, []).append(e)

    def add_link(self, e: LedgerEntry) -> None:
        """As `links`: by seq, the newest link wins (one not past the last is a replay)."""
        if e.seq <= self.last_link:
            return
        self.last_link = e.seq
        if e.guest_key and e.person_id:
            self.links[e.guest_key] = e.person_id

    def add_booking(self, e: LedgerEntry) -> None:
        if e.person_id and e.key not in self.booking_keys:
            self.booking_keys.add(e.key)
            self.bookings.setdefault(e.person_id, []).append(e)

    def add_new(self, e: LedgerEntry) -> None:
        """An entry of the ledger's tail, wherever it belongs here; what a fresh read
        already saw (it may have run past the head it was paired with) is skipped."""
        if e.session_id == self.session_id and e.seq > (
            self.evidence[-1].seq if self.evidence else 0
        ):
            self.add_evidence(e)
        if (
            e.kind is EvidenceKind.PRESENCE
            and e.group_id == self.group_id
            and self.at_from <= e.at < self.at_to
            and e.seq > (self.presence[-1].seq if self.presence else 0)
        ):
            self.add_presence(e)
        if e.kind is EvidenceKind.GUEST_LINK and e.group_id == self.group_id:
            self.add_link(e)
        if _books(e, self.session_id):
            self.add_booking(e)  # by key: once, whoever it is for

    @property
    def size(self) -> int:
        return len(self.evidence) + len(self.presence)


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionInputs:
    """What was read, by seq, and grouped. The lists and maps are shared with the
    kept copy: read them, never change them."""

    #: the session's evidence
    evidence: list[LedgerEntry]
    #: the group's presence (guests' too) in [at_from, at_to)
    presence: list[LedgerEntry]
    #: the session's evidence by person; the presence by person and by guest key
    own: dict[str | None, list[LedgerEntry]]
    by_person: dict[str | None, list[LedgerEntry]]
    by_guest: dict[str, list[LedgerEntry]]
    #: the group's guest links: guest key -> person
    links: dict[str, str]
    #: the ledger's chain head this was read at (everything up to it is in)
    head: tuple[int, str]


def _books(e: LedgerEntry, session_id: str) -> bool:
    """A booking of a make-up for the session (as `Store.makeup_bookings` filters)."""
    return e.kind is EvidenceKind.MAKEUP_BOOKING and e.data.get("makeup_for") == session_id


class SessionTail:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._kept: OrderedDict[tuple[str, datetime, datetime], _Kept] = OrderedDict()
        #: the ledger head every kept copy is up to date with
        self._head: tuple[int, str] | None = None
        #: reads take turns: a copy read fresh while another read caught the others up
        #: past entries it had not seen would miss them (and a head read before a
        #: catch-up would look like one that went back)
        self._lock = asyncio.Lock()

    async def read(self, session: Session, at_from: datetime, at_to: datetime) -> SessionInputs:
        """The session's evidence and its group's presence in [at_from, at_to), as
        they are in the ledger now (at least up to the returned `head`)."""
        async with self._lock:  # one catch-up or fresh read at a time (see _catch_up)
            return await self._read(session, at_from, at_to)

    async def _read(self, session: Session, at_from: datetime, at_to: datetime) -> SessionInputs:
        key = (session.id, at_from, at_to)
        head = await self.store.chain_head("ledger")
        if not await self._catch_up(head):
            self._kept.clear()
        kept = self._kept.get(key)
        if kept is None:
            # read at `head` or later: what a later catch-up brings again is skipped by seq
            kept = _Kept(
                session_id=session.id, group_id=session.group_id, at_from=at_from, at_to=at_to
            )
            for e in await self.store.evidence(session_id=session.id):
                kept.add_evidence(e)
            for e in await self.store.evidence(
                group_id=session.group_id,
                kinds=[EvidenceKind.PRESENCE],
                at_from=at_from,
                at_to=at_to,
            ):
                kept.add_presence(e)
            for e in await self.store.evidence(
                group_id=session.group_id, kinds=[EvidenceKind.GUEST_LINK]
            ):
                kept.add_link(e)
            self._kept[key] = kept
        self._kept.move_to_end(key)
        total = sum(k.size for k in self._kept.values())
        while len(self._kept) > 1 and (len(self._kept) > KEPT or total > KEPT_ENTRIES):
            total -= self._kept.popitem(last=False)[1].size
        return SessionInputs(
            evidence=kept.evidence,
            presence=kept.presence,
            own=kept.own,
            by_person=kept.by_person,
            by_guest=kept.by_guest,
            links=kept.links,
            head=head,
        )

    async def makeup_bookings(
        self, session: Session, at_from: datetime, at_to: datetime, person_ids: Sequence[str]
    ) -> list[LedgerEntry]:
        """`Store.makeup_bookings(session.id, person_ids)`, by seq, from what is kept for
        a `read` with the same arguments (read from the store for the people not asked
        about before; new ones come with the ledger's tail)."""
        async with self._lock:
            kept = self._kept.get((session.id, at_from, at_to))
            if kept is None:
                return await self.store.makeup_bookings(session.id, person_ids)
            missing = sorted(set(person_ids) - kept.bookings_read)
            if missing:
                for e in await self.store.makeup_bookings(session.id, missing):
                    kept.add_booking(e)
                kept.bookings_read.update(missing)
            found = [e for pid in dict.fromkeys(person_ids) for e in kept.bookings.get(pid, [])]
            return sorted(found, key=lambda e: e.seq)

    async def _catch_up(self, head: tuple[int, str]) -> bool:
        """Hand what was appended since the last read to every kept session; False
        when the kept copies cannot be trusted (the ledger went back, or too much is
        new). With nothing kept, the new head is simply taken."""
        last = self._head
        if not self._kept or last is None:
            self._head = head
            return True
        if head == last:
            return True
        limit = max(TAIL_LIMIT, sum(k.size for k in self._kept.values()))
        if head[0] <= last[0] or head[0] - last[0] > limit:
            self._head = head
            return False
        after = last[0]
        new: list[LedgerEntry] = []
        while after < head[0]:
            page = await self.store.ledger_page(after_seq=after, limit=_PAGE)
            if not page:
                break
            new += page
            after = page[-1].seq
        by_group: dict[str, list[_Kept]] = {}
        by_session: dict[str, list[_Kept]] = {}
        for kept in self._kept.values():
            by_group.setdefault(kept.group_id, []).append(kept)
            by_session.setdefault(kept.session_id, []).append(kept)
        for e in new:
            # a make-up booking belongs to the session it makes up, in whatever group
            made_up = e.data.get("makeup_for") if e.kind is EvidenceKind.MAKEUP_BOOKING else None
            for kept in (
                *by_group.get(e.group_id, ()),
                *by_session.get(e.session_id or "", ()),
                *by_session.get(str(made_up or ""), ()),
            ):
                kept.add_new(e)  # more than once is harmless: what is kept is skipped
        self._head = (after, new[-1].hash) if new else head
        return True
