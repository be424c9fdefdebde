"""Work that callers arriving together share: each caller waits until its own items
are handled, and the items that arrive while one run is going are handled together
in the next (one run for all of them).

The ledger's group commit does this for writes (storage._ledger); the engine uses it
to recompute the records presence events touch, so fifty joins arriving at once cost
a few recomputes of their session, not fifty.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")


class Together(Generic[T]):
    def __init__(self, work: Callable[[list[T]], Awaitable[object]]) -> None:
        self._work = work
        self._lock = asyncio.Lock()
        self._pending: list[tuple[Sequence[T], asyncio.Future[None]]] = []

    async def run(self, items: Sequence[T]) -> None:
        """Return once `items` have been handled (with whatever else was waiting); raise
        what the run that handled them raised."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        # a caller cancelled while it waited may never look at its run's failure
        done.add_done_callback(_looked_at)
        self._pending.append((items, done))
        async with self._lock:
            if not done.done():
                batch, self._pending = self._pending, []
                try:
                    await self._work([item for some, _ in batch for item in some])
                except Exception as e:
                    for _, future in batch:  # the run they were in failed
                        if future is not done and not future.done():
                            future.set_exception(e)
                    raise
                except BaseException:
                    # this caller was cancelled, not the others: the run's items (its
                    # own too: the work is still owed) go first in the next run, which
                    # whoever takes the lock next does
                    self._pending[:0] = batch
                    raise
                for _, future in batch:
                    if not future.done():
                        future.set_result(None)
        await done


def _looked_at(future: asyncio.Future[None]) -> None:
    if not future.cancelled():
        future.exception()
