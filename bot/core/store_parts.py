"""What a store does, in parts: people and groups, sessions, the evidence ledger, the
audit log, attendance records, the outbox, presence hints and calendar tokens.
`bot.core.ports.Store` is all of them together (with health and erasure); the core
only ever asks for a `Store`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import datetime, timedelta
from typing import Protocol

from bot.core.domain import (
    AttendanceRecord,
    AuditEntry,
    Enrollment,
    EvidenceKind,
    Group,
    Hint,
    LedgerEntry,
    Person,
    ReportLine,
    Session,
    SessionState,
)
from bot.core.outbox import OutboxItem, OutboxStatus


class Directory(Protocol):
    """People, groups and who is enrolled where."""

    async def upsert_person(self, person: Person) -> None: ...
    async def get_person(self, person_id: str) -> Person | None: ...
    async def list_people(self) -> list[Person]: ...
    async def find_person(self, *, platform: str, user_id: str) -> Person | None:
        """By chat identity; platform is "slack" or "discord"."""
        ...

    async def find_person_by_email(self, email: str) -> Person | None:
        """Case-insensitive match on `zoom_email` or `email`."""
        ...

    async def upsert_group(self, group: Group) -> None: ...
    async def get_group(self, group_id: str) -> Group | None: ...
    async def list_groups(self) -> list[Group]: ...
    async def find_group_by_channel(self, *, platform: str, channel_id: str) -> Group | None:
        """The group (first by id) whose `Group.channels(platform)` include `channel_id`."""
        ...

    async def seed_enrollment(self, person_id: str, group_id: str, at: datetime) -> bool:
        """Enroll unless an enrollment row (active or not) already exists. True if added."""
        ...

    async def seed_directory(
        self,
        *,
        people: Sequence[Person],
        groups: Sequence[Group],
        enrollments: Sequence[tuple[str, str]],
        at: datetime,
    ) -> None:
        """Upsert `people` and `groups` and seed each (person_id, group_id) enrollment as
        `seed_enrollment` does (an existing row, active or not, is left alone), all in one
        transaction: a first start with 12,000 people is one write, not 24,000."""
        ...

    async def set_enrollment(
        self, person_id: str, group_id: str, *, active: bool, at: datetime, audit: AuditEntry
    ) -> bool:
        """Enroll or unenroll, writing `audit` in the same transaction. True if it changed."""
        ...

    async def enrollments(
        self, *, person_id: str | None = None, group_id: str | None = None, active_only: bool = True
    ) -> list[Enrollment]: ...


class Sessions(Protocol):
    async def add_session(self, session: Session, *, audit: AuditEntry | None = None) -> bool:
        """Store a new session; False (and nothing written) if the id exists."""
        ...

    async def add_sessions(self, sessions: Sequence[Session]) -> int:
        """Add those whose id is new, in one transaction (no audit: materialized from
        the schedule). The number added."""
        ...

    async def get_session(self, session_id: str) -> Session | None: ...
    async def list_sessions(
        self,
        *,
        group_id: str | None = None,
        start_from: datetime | None = None,
        start_to: datetime | None = None,
        states: Sequence[SessionState] | None = None,
    ) -> list[Session]:
        """Ordered by start, then id. `start_from` inclusive, `start_to` exclusive."""
        ...

    async def set_session_state(
        self, session_id: str, state: SessionState, *, audit: AuditEntry | None = None
    ) -> None: ...


class Ledger(Protocol):
    """Append-only evidence, hash-chained (see bot.core.ledger)."""

    async def append_evidence(
        self,
        entries: Sequence[LedgerEntry],
        *,
        notes: Sequence[str | None] | None = None,
        unit: bool = False,
    ) -> list[bool]:
        """Append each entry whose key is new, in order, assigning seq/prev_hash/hash,
        in one transaction.

        Returns, per entry, True if it was stored and False if its key was already
        there (a replay). `notes` (free text, parallel to `entries`) are kept apart
        from the chain so that `forget` can erase them. With `unit`, the entries stand
        or fall with the first: when its key is already stored, nothing is written
        (a survey's "submitted" marker guards its answers, whose keys may be random).
        """
        ...

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
        """Matching entries ordered by seq. `at_from` inclusive, `at_to` exclusive;
        `unattributed`: only those with neither a person nor a guest key (a room's
        markers), found without reading everyone's."""
        ...

    async def sessions_evidence(
        self, session_ids: Sequence[str], *, kinds: Sequence[EvidenceKind] | None = None
    ) -> list[LedgerEntry]:
        """The entries of any of these sessions (of `kinds`), ordered by seq: one read
        for many sessions (a report's sign-offs)."""
        ...

    async def makeup_bookings(
        self, makeup_for: str, person_ids: Sequence[str]
    ) -> list[LedgerEntry]:
        """The make-up bookings (MAKEUP_BOOKING entries) of any of these people for the
        missed session `makeup_for` (`data["makeup_for"]`), ordered by seq: read by
        person and filtered in the store, not the whole ledger's bookings."""
        ...

    async def ledger_page(self, *, after_seq: int = 0, limit: int = 1000) -> list[LedgerEntry]:
        """Entries with seq > after_seq, ordered by seq (for chain verification)."""
        ...

    async def chain_head(self, chain: str) -> tuple[int, str]:
        """(seq, hash) of the newest row of "ledger" or "audit"; (0, GENESIS) when empty."""
        ...

    async def notes_for(self, person_id: str) -> list[tuple[str, str]]:
        """(ledger key, note text) of a person's notes."""
        ...

    async def notes_by_key(self, keys: Sequence[str]) -> dict[str, str]:
        """The notes of these ledger entries (entries without one are left out)."""
        ...


class Audit(Protocol):
    async def append_audit(self, entry: AuditEntry) -> None:
        """Append, assigning seq/prev_hash/hash."""
        ...

    async def audit_page(
        self, *, after_seq: int = 0, limit: int = 1000, since: datetime | None = None
    ) -> list[AuditEntry]: ...


class Records(Protocol):
    """Attendance records, derived from the ledger (recomputable at any time)."""

    async def save_records(self, records: Sequence[AttendanceRecord]) -> None:
        """Insert or replace by (session_id, person_id)."""
        ...

    async def records(
        self,
        *,
        group_id: str | None = None,
        person_id: str | None = None,
        session_id: str | None = None,
        start_from: datetime | None = None,
        start_to: datetime | None = None,
    ) -> list[AttendanceRecord]:
        """Ordered by session start, session id, person id; filters on the session's start."""
        ...

    def report_lines(
        self,
        *,
        group_id: str | None = None,
        person_id: str | None = None,
        start_from: datetime | None = None,
        start_to: datetime | None = None,
        chunk: int = 5000,
    ) -> AsyncIterator[list[ReportLine]]:
        """The records of sessions not cancelled, each with its session's start and end,
        in `records`' order and filters, `chunk` at a time, streamed from the database
        (an export of a year never holds its domain objects)."""
        ...


class Outbox(Protocol):
    """Notifications to send. See bot.core.outbox."""

    async def enqueue(self, items: Sequence[OutboxItem]) -> int:
        """Insert the items whose key is new; returns how many were added."""
        ...

    async def claim_due(
        self, now: datetime, *, worker: str, limit: int, lease: timedelta
    ) -> list[OutboxItem]:
        """Claim up to `limit` items that are due: pending with next attempt (or due_at)
        <= now, or claimed by someone whose lease ran out. Ordered by due_at, key.
        On PostgreSQL, rows are locked with FOR UPDATE SKIP LOCKED so that several
        processes never claim the same item."""
        ...

    async def renew_claim(
        self, key: str, *, worker: str, until: datetime, sending_at: datetime | None = None
    ) -> bool:
        """Extend `worker`'s claim on an item; False if it no longer holds it (its lease
        ran out and another worker claimed it, or it was finished). With `sending_at`,
        the same write marks the send as begun: the item's `sending_at` becomes this
        unless an earlier unfinished attempt already set it (the earliest is kept).
        `until` = now gives the item back (claimable again; no attempt counted)."""
        ...

    async def finish(
        self,
        key: str,
        status: OutboxStatus,
        *,
        at: datetime,
        channel: str | None = None,
        error: str | None = None,
        next_attempt_at: datetime | None = None,
        unsent_since: datetime | None = None,
    ) -> None:
        """Record an outcome. PENDING with `next_attempt_at` = retry later (attempts + 1);
        it keeps `sending_at`, unless `unsent_since` says this attempt (the one whose
        `renew_claim` marked it begun at that time) surely sent nothing: then a mark it
        set is cleared (an earlier unfinished attempt's stays). Any other status clears
        it."""
        ...

    async def outbox_items(
        self,
        *,
        person_id: str | None = None,
        kind: str | None = None,
        status: OutboxStatus | None = None,
    ) -> list[OutboxItem]:
        """Ordered by due_at, key."""
        ...

    async def outbox_backlog(self, now: datetime) -> tuple[int, datetime | None]:
        """For operators: how many items wait (pending or claimed), and the earliest
        time a pending item that is due now became due (None when none is due)."""
        ...

    async def mark_unreachable(self, person_id: str, channel: str, at: datetime) -> bool:
        """Remember that `channel` cannot reach the person; True if this is new."""
        ...

    async def unreachable_channels(self, person_id: str) -> set[str]: ...
    async def unreachable_on(self, channel: str) -> set[str]:
        """Everyone `channel` cannot reach (one read, for a whole session's records)."""
        ...

    async def clear_unreachable(self, person_id: str, channel: str) -> bool:
        """Forget that mark (the channel reached them again); True if there was one."""
        ...


class Hints(Protocol):
    """Live presence hints: operational state, not evidence (no chain, no history)."""

    async def set_hint(self, hint: Hint) -> None:
        """Replace the person's hint from `hint.source`."""
        ...

    async def clear_hint(self, person_id: str, source: str) -> None: ...
    async def hints(self, person_ids: Sequence[str]) -> list[Hint]:
        """Their hints, ordered by person id and source."""
        ...


class CalendarTokens(Protocol):
    """Private calendar feed links: one live token per person, kept only as its sha256
    (a database reader cannot use the links)."""

    async def set_calendar_token(self, person_id: str, token_hash: str, at: datetime) -> None:
        """The person's live token from now on; any earlier one stops working."""
        ...

    async def calendar_token_owner(self, token_hash: str) -> str | None:
        """Whose live token has this hash; None when none does (unknown or revoked)."""
        ...

    async def revoke_calendar_token(self, person_id: str) -> bool:
        """The person's link stops working; True if they had one."""
        ...
