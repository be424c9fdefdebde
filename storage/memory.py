"""An in-memory `Store`: the reference behaviour for the contract suite, and the
store of `rollcall demo`. Pure Python, no database."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Sequence
from datetime import datetime

from bot.core.domain import (
    AttendanceRecord,
    AuditEntry,
    Enrollment,
    EvidenceKind,
    Group,
    LedgerEntry,
    Person,
    ReportLine,
    Session,
    SessionState,
)
from bot.core.ledger import GENESIS, Append, audit_link, chain_append
from bot.core.outbox import FINISHED
from storage._calendar import MemoryCalendarTokens
from storage._memory_outbox import MemoryOutbox


class MemoryStore(MemoryCalendarTokens, MemoryOutbox):
    def __init__(self) -> None:
        super().__init__()
        self._people: dict[str, Person] = {}
        self._groups: dict[str, Group] = {}
        self._enrollments: dict[tuple[str, str], Enrollment] = {}
        self._sessions: dict[str, Session] = {}
        self._ledger: list[LedgerEntry] = []
        self._keys: set[str] = set()
        self._notes: dict[str, tuple[str | None, str]] = {}  # key -> (person_id, text)
        self._audit: list[AuditEntry] = []
        #: (seq, hash) of each chain's newest row, kept apart like the SQL stores' heads
        self._heads: dict[str, tuple[int, str]] = {"ledger": (0, GENESIS), "audit": (0, GENESIS)}
        self._records: dict[tuple[str, str], AttendanceRecord] = {}

    # -- lifecycle -------------------------------------------------------------
    async def ping(self) -> bool:
        return True

    async def close(self) -> None:
        return None

    # -- directory -------------------------------------------------------------
    async def upsert_person(self, person: Person) -> None:
        self._people[person.id] = person

    async def get_person(self, person_id: str) -> Person | None:
        return self._people.get(person_id)

    async def list_people(self) -> list[Person]:
        return sorted(self._people.values(), key=lambda p: p.id)

    async def find_person(self, *, platform: str, user_id: str) -> Person | None:
        for p in self._people.values():
            if p.platform_id(platform) == user_id:
                return p
        return None

    async def find_person_by_email(self, email: str) -> Person | None:
        want = email.strip().lower()
        for p in sorted(self._people.values(), key=lambda p: p.id):
            if (p.zoom_email and p.zoom_email.lower() == want) or (
                p.email and p.email.lower() == want
            ):
                return p
        return None

    async def upsert_group(self, group: Group) -> None:
        self._groups[group.id] = group

    async def get_group(self, group_id: str) -> Group | None:
        return self._groups.get(group_id)

    async def list_groups(self) -> list[Group]:
        return sorted(self._groups.values(), key=lambda g: g.id)

    async def find_group_by_channel(self, *, platform: str, channel_id: str) -> Group | None:
        for g in await self.list_groups():
            if channel_id in g.channels(platform):
                return g
        return None

    async def seed_enrollment(self, person_id: str, group_id: str, at: datetime) -> bool:
        if (person_id, group_id) in self._enrollments:
            return False
        self._enrollments[(person_id, group_id)] = Enrollment(
            person_id=person_id, group_id=group_id, active=True
        )
        return True

    async def seed_directory(
        self,
        *,
        people: Sequence[Person],
        groups: Sequence[Group],
        enrollments: Sequence[tuple[str, str]],
        at: datetime,
    ) -> None:
        for p in people:
            self._people[p.id] = p
        for g in groups:
            self._groups[g.id] = g
        for person_id, group_id in enrollments:
            await self.seed_enrollment(person_id, group_id, at)

    async def set_enrollment(
        self, person_id: str, group_id: str, *, active: bool, at: datetime, audit: AuditEntry
    ) -> bool:
        async with self._lock:
            current = self._enrollments.get((person_id, group_id))
            if current is not None and current.active == active:
                return False
            if current is None and not active:
                return False
            stored = self._chained(audit)
            self._enrollments[(person_id, group_id)] = Enrollment(
                person_id=person_id, group_id=group_id, active=active
            )
            self._push_audit(stored)
            return True

    async def enrollments(
        self, *, person_id: str | None = None, group_id: str | None = None, active_only: bool = True
    ) -> list[Enrollment]:
        out = [
            e
            for e in self._enrollments.values()
            if (person_id is None or e.person_id == person_id)
            and (group_id is None or e.group_id == group_id)
            and (e.active or not active_only)
        ]
        return sorted(out, key=lambda e: (e.group_id, e.person_id))

    # -- sessions --------------------------------------------------------------
    async def add_session(self, session: Session, *, audit: AuditEntry | None = None) -> bool:
        async with self._lock:
            if session.id in self._sessions:
                return False
            stored = self._chained(audit) if audit is not None else None
            self._sessions[session.id] = session
            if stored is not None:
                self._push_audit(stored)
            return True

    async def add_sessions(self, sessions: Sequence[Session]) -> int:
        added = 0
        for s in sessions:
            added += await self.add_session(s)
        return added

    async def get_session(self, session_id: str) -> Session | None:
        return self._sessions.get(session_id)

    async def list_sessions(
        self,
        *,
        group_id: str | None = None,
        start_from: datetime | None = None,
        start_to: datetime | None = None,
        states: Sequence[SessionState] | None = None,
    ) -> list[Session]:
        out = [
            s
            for s in self._sessions.values()
            if (group_id is None or s.group_id == group_id)
            and (start_from is None or s.start >= start_from)
            and (start_to is None or s.start < start_to)
            and (states is None or s.state in states)
        ]
        return sorted(out, key=lambda s: (s.start, s.id))

    async def set_session_state(
        self, session_id: str, state: SessionState, *, audit: AuditEntry | None = None
    ) -> None:
        async with self._lock:
            s = self._sessions.get(session_id)
            if s is None:
                raise KeyError(session_id)
            stored = self._chained(audit) if audit is not None else None
            self._sessions[session_id] = dataclasses.replace(s, state=state)
            if stored is not None:
                self._push_audit(stored)

    # -- ledger ----------------------------------------------------------------
    async def append_evidence(
        self,
        entries: Sequence[LedgerEntry],
        *,
        notes: Sequence[str | None] | None = None,
        unit: bool = False,
    ) -> list[bool]:
        request = Append(entries, notes, unit)
        async with self._lock:
            chained = chain_append(self._heads["ledger"], [request], self._keys)
            for link in chained.links:
                self._ledger.append(
                    dataclasses.replace(
                        link.entry, seq=link.seq, prev_hash=link.prev_hash, hash=link.hash
                    )
                )
                if link.note:
                    self._notes[link.entry.key] = (link.entry.person_id, link.note)
            self._heads["ledger"] = chained.head
            return chained.accepted[0]

    async def evidence(
        self,
        *,
        session_id: str | None = None,
        group_id: str | None = None,
        person_id: str | None = None,
        guest_key: str | None = None,
        kinds: Sequence[EvidenceKind] | None = None,
        at_from: datetime | None = None,
        at_to: datetime | None = None,
        unattributed: bool = False,
    ) -> list[LedgerEntry]:
        return [
            e
            for e in self._ledger
            if (not unattributed or (e.person_id is None and e.guest_key is None))
            and (session_id is None or e.session_id == session_id)
            and (group_id is None or e.group_id == group_id)
            and (person_id is None or e.person_id == person_id)
            and (guest_key is None or e.guest_key == guest_key)
            and (kinds is None or e.kind in kinds)
            and (at_from is None or e.at >= at_from)
            and (at_to is None or e.at < at_to)
        ]

    async def sessions_evidence(
        self, session_ids: Sequence[str], *, kinds: Sequence[EvidenceKind] | None = None
    ) -> list[LedgerEntry]:
        wanted = set(session_ids)
        return [
            e for e in self._ledger if e.session_id in wanted and (kinds is None or e.kind in kinds)
        ]

    async def makeup_bookings(
        self, makeup_for: str, person_ids: Sequence[str]
    ) -> list[LedgerEntry]:
        wanted = set(person_ids)
        return [
            e
            for e in self._ledger
            if e.kind is EvidenceKind.MAKEUP_BOOKING
            and e.person_id in wanted
            and e.data.get("makeup_for") == makeup_for
        ]

    async def ledger_page(self, *, after_seq: int = 0, limit: int = 1000) -> list[LedgerEntry]:
        return [e for e in self._ledger if e.seq > after_seq][:limit]

    async def chain_head(self, chain: str) -> tuple[int, str]:
        if chain not in self._heads:
            raise ValueError(f"no chain {chain!r}")
        return self._heads[chain]

    async def notes_for(self, person_id: str) -> list[tuple[str, str]]:
        return [(k, text) for k, (pid, text) in self._notes.items() if pid == person_id]

    async def notes_by_key(self, keys: Sequence[str]) -> dict[str, str]:
        return {k: self._notes[k][1] for k in keys if k in self._notes}

    # -- audit -----------------------------------------------------------------
    def _chained(self, entry: AuditEntry) -> AuditEntry:
        """The entry with its place in the chain (computed before any change is made)."""
        link = audit_link(self._heads["audit"], entry)
        return dataclasses.replace(entry, seq=link.seq, prev_hash=link.prev_hash, hash=link.hash)

    def _push_audit(self, stored: AuditEntry) -> None:
        self._audit.append(stored)
        self._heads["audit"] = (stored.seq, stored.hash)

    def _append_audit(self, entry: AuditEntry) -> None:
        self._push_audit(self._chained(entry))

    async def append_audit(self, entry: AuditEntry) -> None:
        async with self._lock:
            self._append_audit(entry)

    async def audit_page(
        self, *, after_seq: int = 0, limit: int = 1000, since: datetime | None = None
    ) -> list[AuditEntry]:
        return [a for a in self._audit if a.seq > after_seq and (since is None or a.at >= since)][
            :limit
        ]

    # -- records ---------------------------------------------------------------
    async def save_records(self, records: Sequence[AttendanceRecord]) -> None:
        for r in records:
            self._records[(r.session_id, r.person_id)] = r

    async def records(
        self,
        *,
        group_id: str | None = None,
        person_id: str | None = None,
        session_id: str | None = None,
        start_from: datetime | None = None,
        start_to: datetime | None = None,
    ) -> list[AttendanceRecord]:
        out = []
        for r in self._records.values():
            s = self._sessions.get(r.session_id)
            if s is None:
                continue
            if (
                (group_id is None or r.group_id == group_id)
                and (person_id is None or r.person_id == person_id)
                and (session_id is None or r.session_id == session_id)
                and (start_from is None or s.start >= start_from)
                and (start_to is None or s.start < start_to)
            ):
                out.append((s.start, s.id, r.person_id, r))
        return [t[3] for t in sorted(out, key=lambda t: t[:3])]

    async def report_lines(
        self,
        *,
        group_id: str | None = None,
        person_id: str | None = None,
        start_from: datetime | None = None,
        start_to: datetime | None = None,
        chunk: int = 5000,
    ) -> AsyncIterator[list[ReportLine]]:
        found = await self.records(
            group_id=group_id, person_id=person_id, start_from=start_from, start_to=start_to
        )
        lines = [
            ReportLine.of(s, r)
            for r in found
            if (s := self._sessions[r.session_id]).state is not SessionState.CANCELLED
        ]
        for i in range(0, len(lines), chunk):
            yield lines[i : i + chunk]

    # -- erasure ---------------------------------------------------------------
    async def forget_guest(self, guest_key: str, *, audit: AuditEntry) -> int:
        async with self._lock:
            stored = self._chained(audit)
            keys = {e.key for e in self._ledger if e.guest_key == guest_key} & set(self._notes)
            for k in keys:
                del self._notes[k]
            self._push_audit(stored)
            return len(keys)

    async def purge_notes(self, before: datetime, *, audit: AuditEntry) -> int:
        async with self._lock:
            old = {e.key for e in self._ledger if e.at < before} & set(self._notes)
            for k in old:
                del self._notes[k]
            for k, item in list(self._outbox.items()):
                if item.due_at < before and item.status in FINISHED and item.text:
                    self._outbox[k] = dataclasses.replace(item, text="", buttons=())
            if old:
                detail = {**audit.detail, "notes": len(old)}
                self._push_audit(self._chained(dataclasses.replace(audit, detail=detail)))
            return len(old)

    async def forget_person(self, person_id: str, *, audit: AuditEntry) -> bool:
        async with self._lock:
            p = self._people.get(person_id)
            if p is None:
                return False
            stored = self._chained(audit)
            self._people[person_id] = Person(
                id=p.id, display_name="forgotten", role=p.role, channels=(), forgotten=True
            )
            for k in [k for k, (pid, _) in self._notes.items() if pid == person_id]:
                del self._notes[k]
            for key in [key for key in self._hints if key[0] == person_id]:
                del self._hints[key]
            self._calendar.pop(person_id, None)
            for k in [
                k
                for k, i in self._outbox.items()
                if i.person_id == person_id or (k.startswith("alert:") and f":{person_id}:" in k)
            ]:
                self._outbox[k] = dataclasses.replace(self._outbox[k], text="", buttons=())
            self._push_audit(stored)
            return True
