"""The evidence ledger and the audit log (the `Ledger` and `Audit` ports) on SQL."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, delete, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.core.domain import AuditEntry, EvidenceKind, LedgerEntry
from bot.core.ledger import Append, chain_append
from storage import rows
from storage._base import Head, SqlBase
from storage.tables import audit, ledger, ledger_notes

#: keys per `IN (...)` probe: well under every driver's bind-parameter limit
_KEY_CHUNK = 500


_Request = tuple[Append, "asyncio.Future[list[bool]]"]


def evidence_query(
    *,
    session_id: str | None = None,
    group_id: str | None = None,
    person_id: str | None = None,
    guest_key: str | None = None,
    kinds: Sequence[EvidenceKind] | None = None,
    at_from: datetime | None = None,
    at_to: datetime | None = None,
    unattributed: bool = False,
) -> Select[Any]:
    """`evidence`'s statement: what it filters on, oldest first (the query plans are
    checked in tests/contract/test_ledger_plans.py)."""
    stmt = select(ledger)
    if unattributed:
        stmt = stmt.where(ledger.c.person_id.is_(None), ledger.c.guest_key.is_(None))
    for column, value in (
        (ledger.c.session_id, session_id),
        (ledger.c.group_id, group_id),
        (ledger.c.person_id, person_id),
        (ledger.c.guest_key, guest_key),
    ):
        if value is not None:
            stmt = stmt.where(column == value)
    if kinds is not None:
        stmt = stmt.where(ledger.c.kind.in_([str(k) for k in kinds]))
    if at_from is not None:
        stmt = stmt.where(ledger.c.at >= at_from)
    if at_to is not None:
        stmt = stmt.where(ledger.c.at < at_to)
    return stmt.order_by(ledger.c.seq)


class LedgerSql(SqlBase):
    async def append_evidence(
        self,
        entries: Sequence[LedgerEntry],
        *,
        notes: Sequence[str | None] | None = None,
        unit: bool = False,
    ) -> list[bool]:
        """Group commit: appends that arrive while another is being written wait for
        the lock, and the next holder writes all of them in one transaction (one
        fsync). A batch that fails is retried request by request, so one bad
        request never fails another."""
        append = Append(list(entries), list(notes) if notes is not None else None, unit)
        if not entries:
            return []
        done: asyncio.Future[list[bool]] = asyncio.get_running_loop().create_future()
        self._pending.append((append, done))
        async with self._lock:
            if not done.done():
                batch, self._pending = self._pending, []
                try:
                    await self._write_batch(batch)
                except BaseException as e:
                    # cancelled or failed mid-batch: nobody in it may wait forever
                    for request in batch:
                        if request[1] is not done and not request[1].done():
                            request[1].set_exception(
                                e if isinstance(e, Exception) else RuntimeError("cancelled")
                            )
                    raise
        return await done

    async def _write_batch(self, batch: list[_Request]) -> None:
        try:
            results = await self._append(batch)
        except Exception:
            if len(batch) == 1:
                raise
            for request in batch:  # isolate the failing request
                try:
                    (result,) = await self._append([request])
                except Exception as e:
                    request[1].set_exception(e)
                else:
                    request[1].set_result(result)
            return
        self._count(batch, results)
        for request, result in zip(batch, results, strict=True):
            request[1].set_result(result)

    def _count(self, batch: list[_Request], results: list[list[bool]]) -> None:
        self.telemetry.observe("rollcall_ledger_batch_size", len(batch))
        written = sum(sum(r) for r in results)
        if written:
            self.telemetry.count("rollcall_ledger_appends_total", written)

    async def _append(self, batch: list[_Request]) -> list[list[bool]]:
        if self._writer is not None:  # a SQLite file: its own writer thread
            return await self._writer.append([a for a, _ in batch])
        requests = [a for a, _ in batch]
        async with self._write() as conn:
            head = await self._lock_head(conn, "ledger")
            # read after the head is locked: no other appender can add a key meanwhile
            seen = await self._existing_keys(conn, {e.key for a in requests for e in a.entries})
            chained = chain_append(head, requests, seen)
            if chained.links:
                await conn.execute(
                    ledger.insert(),
                    [
                        rows.ledger_values(
                            link.entry, seq=link.seq, prev_hash=link.prev_hash, hash=link.hash
                        )
                        for link in chained.links
                    ],
                )
                new_notes = [
                    {"key": k.entry.key, "person_id": k.entry.person_id, "text": k.note}
                    for k in chained.links
                    if k.note
                ]
                if new_notes:
                    await conn.execute(ledger_notes.insert(), new_notes)
                await self._set_head(conn, "ledger", chained.head)
        return chained.accepted

    @staticmethod
    async def _existing_keys(conn: AsyncConnection, keys: Iterable[str]) -> set[str]:
        wanted = sorted(keys)
        found: set[str] = set()
        for i in range(0, len(wanted), _KEY_CHUNK):
            chunk = wanted[i : i + _KEY_CHUNK]
            result = await conn.execute(select(ledger.c.key).where(ledger.c.key.in_(chunk)))
            found.update(result.scalars())
        return found

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
        stmt = evidence_query(
            session_id=session_id,
            group_id=group_id,
            person_id=person_id,
            guest_key=guest_key,
            kinds=kinds,
            at_from=at_from,
            at_to=at_to,
            unattributed=unattributed,
        )
        async with self._read() as conn:
            result = await conn.execute(stmt)
            return [rows.to_ledger_entry(r._mapping) for r in result]

    async def sessions_evidence(
        self, session_ids: Sequence[str], *, kinds: Sequence[EvidenceKind] | None = None
    ) -> list[LedgerEntry]:
        wanted = sorted(set(session_ids))
        found: list[LedgerEntry] = []
        async with self._read() as conn:
            for i in range(0, len(wanted), _KEY_CHUNK):
                stmt = select(ledger).where(ledger.c.session_id.in_(wanted[i : i + _KEY_CHUNK]))
                if kinds is not None:
                    stmt = stmt.where(ledger.c.kind.in_([str(k) for k in kinds]))
                result = await conn.execute(stmt)
                found += (rows.to_ledger_entry(r._mapping) for r in result)
        return sorted(found, key=lambda e: e.seq)

    async def makeup_bookings(
        self, makeup_for: str, person_ids: Sequence[str]
    ) -> list[LedgerEntry]:
        # by person (indexed), the session it makes up filtered in SQL (JSON path)
        wanted = sorted(set(person_ids))
        found: list[LedgerEntry] = []
        async with self._read() as conn:
            for i in range(0, len(wanted), _KEY_CHUNK):
                stmt = select(ledger).where(
                    ledger.c.person_id.in_(wanted[i : i + _KEY_CHUNK]),
                    ledger.c.kind == str(EvidenceKind.MAKEUP_BOOKING),
                    ledger.c.data["makeup_for"].as_string() == makeup_for,
                )
                result = await conn.execute(stmt)
                found += (rows.to_ledger_entry(r._mapping) for r in result)
        return sorted(found, key=lambda e: e.seq)

    async def ledger_page(self, *, after_seq: int = 0, limit: int = 1000) -> list[LedgerEntry]:
        stmt = select(ledger).where(ledger.c.seq > after_seq).order_by(ledger.c.seq).limit(limit)
        async with self._read() as conn:
            result = await conn.execute(stmt)
            return [rows.to_ledger_entry(r._mapping) for r in result]

    async def chain_head(self, chain: str) -> Head:
        # as the memory store: any name other than "ledger" means the audit chain
        return await self._chain_head("ledger" if chain == "ledger" else "audit")

    async def notes_for(self, person_id: str) -> list[tuple[str, str]]:
        stmt = (
            select(ledger_notes.c.key, ledger_notes.c.text)
            .join(ledger, ledger.c.key == ledger_notes.c.key)
            .where(ledger_notes.c.person_id == person_id)
            .order_by(ledger.c.seq)
        )
        async with self._read() as conn:
            result = await conn.execute(stmt)
            return [(r.key, r.text) for r in result]

    async def notes_by_key(self, keys: Sequence[str]) -> dict[str, str]:
        wanted = sorted(set(keys))
        found: dict[str, str] = {}
        async with self._read() as conn:
            for i in range(0, len(wanted), _KEY_CHUNK):
                stmt = select(ledger_notes.c.key, ledger_notes.c.text).where(
                    ledger_notes.c.key.in_(wanted[i : i + _KEY_CHUNK])
                )
                found.update((r.key, r.text) for r in await conn.execute(stmt))
        return found

    async def forget_guest(self, guest_key: str, *, audit: AuditEntry) -> int:
        theirs = select(ledger.c.key).where(ledger.c.guest_key == guest_key)
        async with self._lock, self._write() as conn:
            head = await self._lock_head(conn, "audit")
            result = await conn.execute(
                delete(ledger_notes).where(ledger_notes.c.key.in_(theirs.scalar_subquery()))
            )
            await self._append_audit_locked(conn, audit, head)
        await self._reach_disk()
        return int(result.rowcount or 0)

    # -- audit -----------------------------------------------------------------------
    async def append_audit(self, entry: AuditEntry) -> None:
        if self._writer is not None:  # a SQLite file: one hand-off to the writer thread
            async with self._lock:
                await self._writer.append_audit(entry)
            return
        async with self._lock, self._write() as conn:
            head = await self._lock_head(conn, "audit")
            await self._append_audit_locked(conn, entry, head)

    async def audit_page(
        self, *, after_seq: int = 0, limit: int = 1000, since: datetime | None = None
    ) -> list[AuditEntry]:
        stmt = select(audit).where(audit.c.seq > after_seq)
        if since is not None:
            stmt = stmt.where(audit.c.at >= since)
        async with self._read() as conn:
            result = await conn.execute(stmt.order_by(audit.c.seq).limit(limit))
            return [rows.to_audit_entry(r._mapping) for r in result]
