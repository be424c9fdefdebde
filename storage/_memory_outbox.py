"""The in-memory store's operational state (see storage.memory): the outbox, the
channels known not to reach someone, and live presence hints."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Sequence
from datetime import datetime, timedelta

from bot.core.domain import Hint
from bot.core.outbox import OutboxItem, OutboxStatus


class MemoryOutbox:
    def __init__(self) -> None:
        self._outbox: dict[str, OutboxItem] = {}
        self._unreachable: dict[str, set[str]] = {}
        self._hints: dict[tuple[str, str], Hint] = {}
        #: one lock for the whole store (MemoryStore's chains use it too)
        self._lock = asyncio.Lock()

    # -- outbox ----------------------------------------------------------------
    async def enqueue(self, items: Sequence[OutboxItem]) -> int:
        async with self._lock:
            added = 0
            for item in items:
                if item.key not in self._outbox:
                    self._outbox[item.key] = item
                    added += 1
            return added

    async def claim_due(
        self, now: datetime, *, worker: str, limit: int, lease: timedelta
    ) -> list[OutboxItem]:
        async with self._lock:
            due = [
                i
                for i in self._outbox.values()
                if (i.status is OutboxStatus.PENDING and (i.next_attempt_at or i.due_at) <= now)
                or (
                    i.status is OutboxStatus.CLAIMED
                    and i.claimed_until is not None
                    and i.claimed_until < now
                )
            ]
            due.sort(key=lambda i: (i.due_at, i.key))
            claimed = []
            for i in due[:limit]:
                c = dataclasses.replace(
                    i, status=OutboxStatus.CLAIMED, claimed_by=worker, claimed_until=now + lease
                )
                self._outbox[i.key] = c
                claimed.append(c)
            return claimed

    async def outbox_backlog(self, now: datetime) -> tuple[int, datetime | None]:
        async with self._lock:
            waiting = [
                i
                for i in self._outbox.values()
                if i.status in (OutboxStatus.PENDING, OutboxStatus.CLAIMED)
            ]
            due = [
                i.next_attempt_at or i.due_at
                for i in waiting
                if i.status is OutboxStatus.PENDING and (i.next_attempt_at or i.due_at) <= now
            ]
            return len(waiting), min(due, default=None)

    async def renew_claim(
        self, key: str, *, worker: str, until: datetime, sending_at: datetime | None = None
    ) -> bool:
        async with self._lock:
            i = self._outbox.get(key)
            if i is None or i.status is not OutboxStatus.CLAIMED or i.claimed_by != worker:
                return False
            sending = i.sending_at or sending_at  # the earliest unfinished attempt's
            self._outbox[key] = dataclasses.replace(i, claimed_until=until, sending_at=sending)
            return True

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
        async with self._lock:
            i = self._outbox[key]
            sending = i.sending_at if status is OutboxStatus.PENDING else None
            if unsent_since is not None and sending == unsent_since:
                sending = None  # this attempt's own mark, and it sent nothing
            self._outbox[key] = dataclasses.replace(
                i,
                status=status,
                attempts=i.attempts + 1,
                next_attempt_at=next_attempt_at if status is OutboxStatus.PENDING else None,
                claimed_by=None,
                claimed_until=None,
                channel_used=channel,
                finished_at=None if status is OutboxStatus.PENDING else at,
                last_error=error,
                sending_at=sending,
            )

    async def outbox_items(
        self,
        *,
        person_id: str | None = None,
        kind: str | None = None,
        status: OutboxStatus | None = None,
    ) -> list[OutboxItem]:
        out = [
            i
            for i in self._outbox.values()
            if (person_id is None or i.person_id == person_id)
            and (kind is None or i.kind == kind)
            and (status is None or i.status is status)
        ]
        return sorted(out, key=lambda i: (i.due_at, i.key))

    async def mark_unreachable(self, person_id: str, channel: str, at: datetime) -> bool:
        known = self._unreachable.setdefault(person_id, set())
        if channel in known:
            return False
        known.add(channel)
        return True

    async def unreachable_channels(self, person_id: str) -> set[str]:
        return set(self._unreachable.get(person_id, set()))

    async def unreachable_on(self, channel: str) -> set[str]:
        return {p for p, known in self._unreachable.items() if channel in known}

    async def clear_unreachable(self, person_id: str, channel: str) -> bool:
        known = self._unreachable.get(person_id, set())
        if channel not in known:
            return False
        known.discard(channel)
        return True

    # -- presence hints --------------------------------------------------------
    async def set_hint(self, hint: Hint) -> None:
        self._hints[(hint.person_id, hint.source)] = hint

    async def clear_hint(self, person_id: str, source: str) -> None:
        self._hints.pop((person_id, source), None)

    async def hints(self, person_ids: Sequence[str]) -> list[Hint]:
        wanted = set(person_ids)
        return [h for key, h in sorted(self._hints.items()) if key[0] in wanted]
