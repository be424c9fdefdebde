"""Group commit of one-row writes (the outbox's marks: a send begun, its result).

The statements that arrive while a transaction is being written go together in the
next one: one transaction (one fsync) for all of them, instead of one each. Every
caller still returns only once its own statement is committed, with its own row
count, so a mark is as durable when its call returns as it was written alone. The
batching is bot.core.together's (as the records' recompute); a batch that fails is
written again statement by statement, each in its own transaction, so one bad mark
never fails another (as the ledger's group commit does).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass

from sqlalchemy import Executable
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.core.together import Together

Transaction = Callable[[], AbstractAsyncContextManager[AsyncConnection]]


@dataclass(slots=True, eq=False)
class Mark:
    """One statement (with its parameters) that touches the row of `key`, and, once
    committed, its row count (or the error that kept it from being written)."""

    key: str
    statement: Executable
    params: Mapping[str, object]
    rowcount: int = -1
    error: Exception | None = None


class Marks:
    def __init__(self, transaction: Transaction) -> None:
        """`transaction`: a write transaction (committed on a clean exit)."""
        self._transaction = transaction
        self._together: Together[Mark] = Together(self._run)

    async def write(self, mark: Mark) -> int:
        """Write `mark` (with any others waiting) and return its row count once it is
        committed; raise what kept it from being written."""
        await self._together.run([mark])
        if mark.error is not None:
            raise mark.error
        return mark.rowcount

    async def _run(self, marks: list[Mark]) -> None:
        # in key order (stable: one key's marks keep theirs), so that two processes'
        # batches take their row locks in the same order (PostgreSQL)
        ordered = sorted(marks, key=lambda m: m.key)
        try:
            await self._commit(ordered)
        except Exception:
            if len(ordered) == 1:
                raise
            for mark in ordered:  # isolate the failing one
                try:
                    await self._commit([mark])
                except Exception as e:
                    mark.error = e

    async def _commit(self, marks: list[Mark]) -> None:
        async with self._transaction() as conn:
            counts = [(await conn.execute(m.statement, dict(m.params))).rowcount for m in marks]
        for mark, count in zip(marks, counts, strict=True):
            mark.rowcount = count  # committed
