"""The outbox of notifications (the `Outbox` port) on SQL.

`claim_due` locks the rows it takes with FOR UPDATE SKIP LOCKED on PostgreSQL, so
several processes never claim the same item; on SQLite the write transaction's
BEGIN IMMEDIATE does the same job.

A delivery writes two marks an item: its send begun (`renew_claim`), then its result
(`finish`). Those that arrive together share one transaction (group commit, see
storage._marks): each call still returns only once its own mark is committed. Its
read of the person's unreachable channels is shared the same way: the calls that
arrive while one read runs are answered by the next, one query for all of them (each
still reads after it was called).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import (
    ColumnElement,
    Executable,
    and_,
    bindparam,
    case,
    delete,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.core.outbox import OutboxItem, OutboxStatus
from bot.core.together import Together
from storage._base import SqlBase
from storage._marks import Mark, Marks
from storage.rows import outbox_values, to_outbox_item
from storage.tables import outbox, unreachable


def _renew(*, begun: bool) -> Executable:
    """`renew_claim`'s UPDATE: params m_key, m_worker, m_until (and m_begun)."""
    at = outbox.c.sending_at.type
    values: dict[str, object] = {
        "claimed_until": bindparam("m_until", type_=outbox.c.claimed_until.type)
    }
    if begun:
        values["sending_at"] = func.coalesce(outbox.c.sending_at, bindparam("m_begun", type_=at))
    return (
        update(outbox)
        .where(
            (outbox.c.key == bindparam("m_key"))
            & (outbox.c.status == str(OutboxStatus.CLAIMED))
            & (outbox.c.claimed_by == bindparam("m_worker"))
        )
        .values(values)
    )


def _finish(sending: object) -> Executable:
    """`finish`'s UPDATE, setting `sending_at` to `sending`: params m_key, m_status,
    m_next, m_channel, m_finished, m_error (and any `sending` takes)."""
    at = outbox.c.finished_at.type
    return (
        update(outbox)
        .where(outbox.c.key == bindparam("m_key"))
        .values(
            status=bindparam("m_status", type_=outbox.c.status.type),
            attempts=outbox.c.attempts + 1,
            next_attempt_at=bindparam("m_next", type_=at),
            claimed_by=None,
            claimed_until=None,
            channel_used=bindparam("m_channel", type_=outbox.c.channel_used.type),
            finished_at=bindparam("m_finished", type_=at),
            last_error=bindparam("m_error", type_=outbox.c.last_error.type),
            sending_at=sending,
        )
    )


# built once (and compiled once, by SQLAlchemy's cache): every mark binds its values
_RENEW = _renew(begun=False)
_RENEW_BEGUN = _renew(begun=True)
#: a retry keeps the mark of a send begun; any other outcome clears it
_FINISH_KEEP = _finish(outbox.c.sending_at)
_FINISH_CLEAR = _finish(None)
#: a retry whose attempt surely sent nothing clears its own mark (m_unsent), not another's
_FINISH_UNLESS_MINE = _finish(
    case(
        (outbox.c.sending_at == bindparam("m_unsent", type_=outbox.c.sending_at.type), None),
        else_=outbox.c.sending_at,
    )
)

#: person ids per `IN (...)` of a shared read: well under every driver's parameter limit
_ID_CHUNK = 500


@dataclass(slots=True, eq=False)
class _Unreachable:
    """One call's question (whom) and, once read, its answer."""

    person_id: str
    channels: set[str] = field(default_factory=set)


class OutboxSql(SqlBase):
    def __init__(self, engine: AsyncEngine) -> None:
        super().__init__(engine)
        #: the marks of deliveries, written together (group commit)
        self._marks = Marks(self._write)
        #: reads of unreachable channels, made together
        self._unreachable_reads: Together[_Unreachable] = Together(self._read_unreachable)

    async def _lock_in_key_order(self, conn: AsyncConnection, where: ColumnElement[bool]) -> None:
        """Before an UPDATE of several outbox rows (an erasure, retention): on PostgreSQL,
        lock them in key order, the order a batch of marks takes its rows in
        (storage._marks), so that the two never wait on each other in a cycle (a
        deadlock, which PostgreSQL ends by failing one). SQLite's write lock is one for
        the whole file: nothing to order."""
        if not self._sqlite:
            stmt = select(outbox.c.key).where(where).order_by(self._by(outbox.c.key))
            await conn.execute(stmt.with_for_update())

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
        params = {"m_key": key, "m_worker": worker, "m_until": until}
        if sending_at is None:
            return await self._marks.write(Mark(key, _RENEW, params)) == 1
        params["m_begun"] = sending_at  # the earliest unfinished attempt's is kept
        return await self._marks.write(Mark(key, _RENEW_BEGUN, params)) == 1

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
        params: dict[str, object] = {
            "m_key": key,
            "m_status": str(status),
            "m_next": next_attempt_at if retry else None,
            "m_channel": channel,
            "m_finished": None if retry else at,
            "m_error": error,
        }
        stmt = _FINISH_KEEP if retry else _FINISH_CLEAR
        if retry and unsent_since is not None:  # this attempt's own mark: it sent nothing
            stmt, params["m_unsent"] = _FINISH_UNLESS_MINE, unsent_since
        if await self._marks.write(Mark(key, stmt, params)) != 1:
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
        ask = _Unreachable(person_id)
        await self._unreachable_reads.run([ask])
        return ask.channels

    async def _read_unreachable(self, asks: list[_Unreachable]) -> None:
        wanted = sorted({a.person_id for a in asks})
        found: dict[str, set[str]] = {}
        async with self._read() as conn:
            for i in range(0, len(wanted), _ID_CHUNK):
                stmt = select(unreachable.c.person_id, unreachable.c.channel).where(
                    unreachable.c.person_id.in_(wanted[i : i + _ID_CHUNK])
                )
                for person_id, channel in await conn.execute(stmt):
                    found.setdefault(person_id, set()).add(channel)
        for ask in asks:
            ask.channels = set(found.get(ask.person_id, ()))

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
