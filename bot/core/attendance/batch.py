"""Presence in bursts (a meeting platform's webhooks): resolve a batch against a
directory read at most every DIRECTORY_TTL seconds and write it in one transaction
(the records are recomputed later, once per settled burst: PresenceSettled).
Reached only through Engine.handle(PresenceBatch)."""

from __future__ import annotations

import time
from collections.abc import Sequence

from bot.core.attendance.presence import Snapshot, record, snapshot
from bot.core.attendance.recorder import Recorder
from bot.core.domain import LedgerEntry
from bot.core.events import PresenceObserved

#: how long the groups and people a batch is matched against may be reused
DIRECTORY_TTL = 5.0


class PresenceBatches:
    def __init__(self, recorder: Recorder) -> None:
        self._recorder = recorder
        self._directory: tuple[float, Snapshot] | None = None

    async def _snapshot(self) -> Snapshot:
        now = time.monotonic()
        if self._directory is None or now - self._directory[0] > DIRECTORY_TTL:
            self._directory = (now, await snapshot(self._recorder.store))
        return self._directory[1]

    async def record(self, events: Sequence[PresenceObserved]) -> list[LedgerEntry | None]:
        return await record(self._recorder, events, await self._snapshot())
