"""Where a claimed outbox item goes: whose items go in order, on which channels, and when
again after a passing failure."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta

from bot.core.domain import Person
from bot.core.outbox import Kind, OutboxItem
from bot.core.ports import Delivery, Notifier, Retry


def recipient_of(item: OutboxItem) -> str:
    """Whose items must go in order: a person's, or a group's channel posts."""
    if item.kind is Kind.SESSION_OPEN or item.person_id is None:
        return f"group:{item.group_id}"
    return f"person:{item.person_id}"


def as_retry(result: Delivery | Retry) -> Retry:
    """A plain RETRY: the outcome is unknown, no wait asked."""
    return result if isinstance(result, Retry) else Retry()


def channel_order(person: Person, notifiers: Mapping[str, Sequence[Notifier]]) -> list[str]:
    """The person's own channels, in their order of preference."""
    return [c for c in person.channels if c in notifiers]


def backoff(attempts: int) -> timedelta:
    """30 s, 1, 2, 4, 8 min … capped at 30 min."""
    return min(timedelta(seconds=30 * 2**attempts), timedelta(minutes=30))
