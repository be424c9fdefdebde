"""The small contracts the core needs from the outside world.

Every store (in-memory, SQLite, PostgreSQL) implements `Store` (its parts:
bot.core.store_parts); one contract test suite runs over all of them (tests/contract/).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from bot.core.actions import ChannelPost, DirectMessage
from bot.core.domain import (
    AuditEntry,
    Group,
    Person,
)
from bot.core.store_parts import (
    Audit,
    CalendarTokens,
    Directory,
    Hints,
    Ledger,
    Outbox,
    Records,
    Sessions,
)


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...


class Store(Directory, Sessions, Ledger, Audit, Records, Outbox, Hints, CalendarTokens, Protocol):
    async def ping(self) -> bool:
        """True when storage answers (for /healthz)."""
        ...

    async def forget_person(self, person_id: str, *, audit: AuditEntry) -> bool:
        """Erase a person's personal data: the person row keeps only its id and role
        (display name becomes "forgotten", every contact and platform id cleared,
        `forgotten` set), their notes are deleted. Ledger, records and counts stay
        (they carry only the pseudonymous id). Writes `audit` in the same transaction."""
        ...

    async def forget_guest(self, guest_key: str, *, audit: AuditEntry) -> int:
        """Erase what a meeting platform called an unmatched guest (the notes of the
        entries with this `guest_key`); the entries themselves stay. Writes `audit` in
        the same transaction. Returns how many notes went."""
        ...

    async def purge_notes(self, before: datetime, *, audit: AuditEntry) -> int:
        """Retention: erase every note (free text beside the ledger) of entries whose
        `at` is before `before`, and the words of finished outbox messages due before
        it; entries, records and counts stay. When any note went, writes `audit` in
        the same transaction (its detail gets the count). Returns how many notes went."""
        ...

    async def close(self) -> None: ...


class Telemetry(Protocol):
    """Counts and timings for operators (never names, ids or text in a label).

    Metric names are the Prometheus names without labels; the shell maps them onto its
    registry. The core and the adapters only ever see this port."""

    def count(self, name: str, /, amount: float = 1.0, **labels: str) -> None: ...

    def observe(self, name: str, value: float, /, **labels: str) -> None: ...

    def set(self, name: str, value: float, /, **labels: str) -> None: ...


class Delivery(StrEnum):
    DELIVERED = "delivered"
    UNREACHABLE = "unreachable"  # this channel cannot reach the person (DMs closed, no id)
    RETRY = "retry"  # a passing failure (rate limit, 5xx, network): try again later


@dataclass(frozen=True, slots=True, kw_only=True)
class Retry:
    """`Delivery.RETRY` with more to say. `refused`: the platform answered that it did
    not take the message (a 429, another 4xx): nothing went out, so the next attempt
    need not look whether it did; `after`: how long the platform asked this whole
    channel to wait (its Retry-After), zero if it did not say."""

    refused: bool = False
    after: timedelta = timedelta(0)


class Notifier(Protocol):
    """Delivers a private message to one person on one channel ("chat", "email", "sms")."""

    channel: str

    async def deliver(self, person: Person, message: DirectMessage) -> Delivery | Retry:
        """Send it. Must not raise for platform errors: map them to a `Delivery` (or a
        `Retry` when the platform said it sent nothing, or how long to wait)."""
        ...


class ZoneSource(Protocol):
    """A platform that knows a person's time zone (Slack's `users.info` `tz`)."""

    async def zone_of(self, person: Person) -> str | None:
        """An IANA zone name, or None when unknown. Must not raise; may cache."""
        ...


class Poster(Protocol):
    """Posts in a group's shared channel (never naming anyone)."""

    platform: str

    async def post(self, group: Group, post: ChannelPost) -> Delivery:
        """Delivery.UNREACHABLE when the group has no channel on this platform."""
        ...
