"""The outbox of notifications (the `Outbox` port) on SQL.

`claim_due` locks the rows it takes with FOR UPDATE SKIP LOCKED on PostgreSQL, so
several processes never claim the same item; on SQLite the write transaction's
BEGIN IMMEDIATE does the same job.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, case, delete, func, literal, or_, select, update

from bot.core.outbox import OutboxItem, OutboxStatus
from storage._base import SqlBase
from storage.rows import outbox_values, to_outbox_item
from storage.tables import outbox, unreachable


class OutboxSql(SqlBase):
    async def enqueue(self, items: Sequence[OutboxItem]) -> int:
        fresh: dict[str, OutboxItem] = {}
        for item in items:
            fresh.setdefault(item.key, item)  # the first of a repeated key wins
        if not fresh:
            return 0
        insert = self._insert_new(outbox, ["key"])
        added = 0
        async with self._write() as conn:
            for item in fresh.values():
                result = await conn.execute(insert, outbox_values(item))
                added += result.rowcount
        return added

    async def claim_due(
        self, now: datetime, *, worker: str, limit: int, lease: timedelta
    ) -> list[OutboxItem]:
        if limit <= 0:
            return []
        pending = str(OutboxStatus.PENDING)
        claimed = str(OutboxStatus.CLAIMED)
        due = or_(
            and_(
                outbox.c.status == pending,
                func.coalesce(outbox.c.next_attempt_at, outbox.c.due_at) <= now,
            ),
            and_(
                outbox.c.status == claimed,
                outbox.c.claimed_until.is_not(None),
                outbox.c.claimed_until < now,
            ),
        )
        stmt = (
            select(outbox)
            .where(due)
            .order_by(outbox.c.due_at, self._by(outbox.c.key))
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        until = now + lease
        async with self._write() as conn:
            taken = [to_outbox_item(r._mapping) for r in await conn.execute(stmt)]
            if not taken:
                return []
            await conn.execute(
                update(outbox)
                .where(outbox.c.key.in_([i.key for i in taken]))
                .values(status=claimed, claimed_by=worker, claimed_until=until)
            )
        return [
            dataclasses.replace(
                i, status=OutboxStatus.CLAIMED, claimed_by=worker, claimed_until=until
            )
            for i in taken
        ]

    async def outbox_backlog(self, now: datetime) -> tuple[int, datetime | None]:
        waiting = outbox.c.status.in_([str(OutboxStatus.PENDING), str(OutboxStatus.CLAIMED)])
        due_at = func.coalesce(outbox.c.next_attempt_at, outbox.c.due_at)
        due = and_(outbox.c.status == str(OutboxStatus.PENDING), due_at <= now)
        async with self._read() as conn:
            depth = (await conn.execute(select(func.count()).where(waiting))).scalar_one()
            oldest = (await conn.execute(select(func.min(due_at)).where(due))).scalar_one()
        return int(depth), _aware(oldest)

    async def renew_claim(
        self, key: str, *, worker: str, until: datetime, sending_at: datetime | None = None
    ) -> bool:
        values: dict[str, object] = {"claimed_until": until}
        if sending_at is not None:  # the earliest unfinished attempt's is kept
            begun = literal(sending_at, type_=outbox.c.sending_at.type)
            values["sending_at"] = func.coalesce(outbox.c.sending_at, begun)
        stmt = (
            update(outbox)
            .where(
                (outbox.c.key == key)
                & (outbox.c.status == str(OutboxStatus.CLAIMED))
                & (outbox.c.claimed_by == worker)
            )
            .values(values)
        )
        async with self._write() as conn:
            return (await conn.execute(stmt)).rowcount == 1

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
        retry = status is OutboxStatus.PENDING
        sending: object = outbox.c.sending_at if retry else None
        if retry and unsent_since is not None:  # this attempt's own mark: it sent nothing
            mine = outbox.c.sending_at == literal(unsent_since, type_=outbox.c.sending_at.type)
            sending = case((mine, None), else_=outbox.c.sending_at)
        stmt = (
            update(outbox)
            .where(outbox.c.key == key)
            .values(
                status=str(status),
                attempts=outbox.c.attempts + 1,
                next_attempt_at=next_attempt_at if retry else None,
                claimed_by=None,
                claimed_until=None,
                channel_used=channel,
                finished_at=None if retry else at,
                last_error=error,
                sending_at=sending,
            )
        )
        async with self._write() as conn:
            result = await conn.execute(stmt)
            if result.rowcount != 1:
                raise KeyError(key)

    async def outbox_items(
        self,
        *,
        person_id: str | None = None,
        kind: str | None = None,
        status: OutboxStatus | None = None,
    ) -> list[OutboxItem]:
        stmt = select(outbox)
        if person_id is not None:
            stmt = stmt.where(outbox.c.person_id == person_id)
        if kind is not None:
            stmt = stmt.where(outbox.c.kind == str(kind))
        if status is not None:
            stmt = stmt.where(outbox.c.status == str(status))
        async with self._read() as conn:
            result = await conn.execute(stmt.order_by(outbox.c.due_at, self._by(outbox.c.key)))
            return [to_outbox_item(r._mapping) for r in result]

    async def mark_unreachable(self, person_id: str, channel: str, at: datetime) -> bool:
        values = {"person_id": person_id, "channel": channel, "at": at}
        async with self._write() as conn:
            result = await conn.execute(
                self._insert_new(unreachable, ["person_id", "channel"]), values
            )
            return result.rowcount == 1

    async def unreachable_channels(self, person_id: str) -> set[str]:
        stmt = select(unreachable.c.channel).where(unreachable.c.person_id == person_id)
        async with self._read() as conn:
            return set((await conn.execute(stmt)).scalars())

    async def unreachable_on(self, channel: str) -> set[str]:
        if self._reader is not None:  # a SQLite file: one hand-off (a roster's every view)
            found = await self._reader.fetch(
                "SELECT person_id FROM unreachable_channels WHERE channel = ?", (channel,)
            )
            return {str(r[0]) for r in found}
        stmt = select(unreachable.c.person_id).where(unreachable.c.channel == channel)
        async with self._read() as conn:
            return set((await conn.execute(stmt)).scalars())

    async def clear_unreachable(self, person_id: str, channel: str) -> bool:
        stmt = delete(unreachable).where(
            (unreachable.c.person_id == person_id) & (unreachable.c.channel == channel)
        )
        async with self._write() as conn:
            return (await conn.execute(stmt)).rowcount == 1


def _aware(value: datetime | None) -> datetime | None:
    """MIN() over a timestamp comes back as the driver gives it: naive UTC on SQLite."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)
