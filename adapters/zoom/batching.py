"""Two small pieces of background machinery for a webhook that must answer fast.

`GroupCommit` turns many concurrent writes into few transactions: every request
waits for its own item to be durable, but the items that arrive while one batch is
being committed go together in the next (one commit, one fsync, for all of them).

`Coalescer` runs follow-up work (recomputing records) after the durable write, off
the request path: items added while it works are gathered and handled together.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")

log = logging.getLogger("rollcall.zoom")


class Stopped(RuntimeError):
    """The adapter is shutting down; nothing more is accepted."""


class GroupCommit(Generic[T, R]):
    def __init__(
        self,
        flush: Callable[[list[T]], Awaitable[Sequence[R]]],
        *,
        max_batch: int = 500,
        linger_seconds: float = 0.0,
    ) -> None:
        self._flush = flush
        self._max = max_batch
        self._linger = linger_seconds
        self._pending: list[tuple[T, asyncio.Future[R]]] = []
        self._task: asyncio.Task[None] | None = None
        self._closed = False
        self._last_active = 0.0

    async def submit(self, item: T) -> R:
        """Wait until `item` is written (with whatever else is waiting) and return its result."""
        if self._closed:
            raise Stopped
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._pending.append((item, future))
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="zoom-group-commit")
        return await future

    async def _run(self) -> None:
        while self._pending:
            if self._linger and len(self._pending) < self._max:
                await asyncio.sleep(self._linger)  # let more requests join this transaction
            batch, self._pending = self._pending[: self._max], self._pending[self._max :]
            try:
                results = await self._flush([item for item, _ in batch])
                if len(results) != len(batch):
                    raise RuntimeError(f"{len(results)} results for {len(batch)} items")
            except Exception as exc:
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
            else:
                for (_, future), result in zip(batch, results, strict=True):
                    if not future.done():
                        future.set_result(result)
            self._last_active = asyncio.get_running_loop().time()

    def quiet_for(self) -> float:
        """Seconds since the last item was submitted or written (0 while busy)."""
        if self._pending or (self._task is not None and not self._task.done()):
            return 0.0
        return asyncio.get_running_loop().time() - self._last_active

    async def close(self) -> None:
        """Accept nothing more; wait for what was accepted to be written."""
        self._closed = True
        if self._task is not None:
            await asyncio.gather(self._task, return_exceptions=True)


class Coalescer(Generic[T]):
    """Work starts once the requests have been quiet for `settle_seconds` (`quiet_for()`
    says how long they have been), so that it never slows the answers down during a
    burst; it waits at most `max_defer_seconds` for that."""

    def __init__(
        self,
        work: Callable[[list[T]], Awaitable[object]],
        *,
        settle_seconds: float = 0.0,
        quiet_for: Callable[[], float] = lambda: float("inf"),
        max_defer_seconds: float = 10.0,
    ) -> None:
        self._work = work
        self._settle = settle_seconds
        self._quiet_for = quiet_for
        self._max_defer = max_defer_seconds
        self._pending: list[T] = []
        self._task: asyncio.Task[None] | None = None
        self._hurry = asyncio.Event()

    def add(self, items: Sequence[T]) -> None:
        if not items:
            return
        self._pending.extend(items)
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="zoom-refresh")

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while self._pending:
            deadline = loop.time() + self._max_defer
            # let a burst gather, and finish (polled: a signal per request would cost
            # the hot path more than it saves); `idle()` cuts the wait short
            while (
                not self._hurry.is_set()
                and (quiet := self._quiet_for()) < self._settle
                and loop.time() < deadline
            ):
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._hurry.wait(), self._settle - quiet)
            batch, self._pending = self._pending, []
            try:
                await self._work(batch)
            except Exception as exc:
                # the evidence is stored; records are recomputed on the next touch
                log.error(
                    "recomputing after %d zoom events failed (%s)", len(batch), type(exc).__name__
                )

    async def idle(self) -> None:
        """Work through everything added so far, now, and wait until it is done."""
        self._hurry.set()
        try:
            while self._task is not None and not self._task.done():
                await asyncio.gather(self._task, return_exceptions=True)
        finally:
            self._hurry.clear()
