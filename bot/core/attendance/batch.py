"""Presence in bursts. A meeting platform's webhooks come as batches: resolved
against a directory read at most every DIRECTORY_TTL seconds and written in one
transaction, their records recomputed later, once per settled burst
(PresenceSettled). A voice channel's events come one at a time (`observe`): matched
the same way, written through the ledger's group commit, and their records
recomputed together with those of the events stored meanwhile, before each returns.
Reached only through Engine.handle."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence

from bot.core.attendance.presence import Snapshot, record, refresh, snapshot
from bot.core.attendance.recorder import Recorder
from bot.core.domain import LedgerEntry
from bot.core.events import PresenceObserved
from bot.core.together import Together

#: how long the groups and people events are matched against may be reused (a room
#: unbound, or an identity changed, less than this ago may still match the old way;
#: a single event that matches nobody is matched again against a fresh read)
DIRECTORY_TTL = 5.0


class PresenceBatches:
    def __init__(self, recorder: Recorder) -> None:
        self._recorder = recorder
        self._directory: tuple[float, Snapshot] | None = None
        self._reading = asyncio.Lock()
        self._refreshes: Together[LedgerEntry] = Together(self._refresh)

    async def _snapshot(self, *, fresh: bool = False) -> Snapshot:
        """The directory, read again when older than DIRECTORY_TTL (or when `fresh`)."""
        async with self._reading:  # the first events of a burst wait for one read
            now = time.monotonic()
            if fresh or self._directory is None or now - self._directory[0] > DIRECTORY_TTL:
                self._directory = (now, await snapshot(self._recorder.store))
            return self._directory[1]

    async def _refresh(self, entries: list[LedgerEntry]) -> None:
        await refresh(self._recorder, entries)

    async def record(self, events: Sequence[PresenceObserved]) -> list[LedgerEntry | None]:
        return await record(self._recorder, events, await self._snapshot())

    async def settle(self, entries: Sequence[LedgerEntry]) -> None:
        """Recompute the records that stored presence entries change (shared with the
        settles and single events that arrive meanwhile)."""
        await self._refreshes.run(entries)

    async def observe(self, ev: PresenceObserved) -> bool:
        """Store one event and refresh the records it touches. False: a replay, or its
        room is bound to no group. An event the reused directory matches to no group or
        no person is matched again against a fresh one, so a room bound or a person
        added a moment ago is never missed."""
        directory = await self._snapshot()
        group = directory.group_for(ev.source, ev.room_id)
        if group is None or directory.people.match(ev.source, ev.identity) is None:
            directory = await self._snapshot(fresh=True)  # and kept for the next ones
        (entry,) = await record(self._recorder, [ev], directory)
        if entry is None:
            return False
        await self._refreshes.run([entry])
        return True
