"""Where a claimed outbox item goes: whose items go in order, and on which channels."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

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
