"""Group commit of one-row writes (the outbox's marks: a send begun, its result).

The statements that arrive while a transaction is being written go together in the
next one: one transaction (one fsync) for all of them, instead of one each. Every
caller still returns only once its own statement is committed, with its own row
count, so a mark is as durable when its call returns as it was written alone. The
batching is bot.core.together's (as the records' recompute); a batch that fails is
written again statement by statement, each in its own transaction, so one bad mark
never fails another (as the ledger's group commit does). A batch once taken is written
to its end even if the caller writing it is cancelled, and never twice.
"""

from __future__ import annotations

import asyncio
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
    #: the task writing it (once its batch is taken)
    writing: asyncio.Future[None] | None = None


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
        # Each mark is written once, by a task of its own batch that its callers'
        # cancellation does not stop: a commit cut off halfway could have landed, and a
        # batch handed back (bot.core.together) must not be written twice (a result
        # twice counts its attempt twice). A batch handed back is only waited for.
        fresh = [m for m in marks if m.writing is None]
        if fresh:
            # in key order (stable: one key's marks keep theirs), so that two processes'
            # batches take their row locks in the same order (PostgreSQL)
            writing = asyncio.ensure_future(self._write(sorted(fresh, key=lambda m: m.key)))
            for mark in fresh:
                mark.writing = writing
        for task in {id(m.writing): m.writing for m in marks}.values():
            if task is not None:
                await asyncio.shield(task)

    async def _write(self, marks: list[Mark]) -> None:
        """Never raises: what keeps a mark from being written is kept as its `error`."""
        try:
            await self._commit(marks)
        except Exception as e:
            if len(marks) == 1:
                marks[0].error = e
                return
            for mark in marks:  # isolate the failing one
                try:
                    await self._commit([mark])
                except Exception as again:
                    mark.error = again

    async def _commit(self, marks: list[Mark]) -> None:
        async with self._transaction() as conn:
            counts = [(await conn.execute(m.statement, dict(m.params))).rowcount for m in marks]
        for mark, count in zip(marks, counts, strict=True):
            mark.rowcount = count  # committed
