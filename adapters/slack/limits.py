"""Small in-process guards: a bounded TTL set (redelivered events) and a per-channel pacer
(Slack allows about one message per second per channel)."""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Callable


class SeenRecently:
    """Keys seen within `ttl` seconds, at most `max_size` of them (oldest forgotten first).

    Slack redelivers an event up to three times within about an hour when an ack is
    slow or lost; the ledger's unique keys make a replay harmless anyway, this only
    saves the work.
    """

    def __init__(
        self,
        *,
        ttl: float = 3600.0,
        max_size: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl = ttl
        self.max_size = max_size
        self._clock = clock
        self._seen: OrderedDict[str, float] = OrderedDict()

    def __len__(self) -> int:
        return len(self._seen)

    def __contains__(self, key: object) -> bool:
        at = self._seen.get(key) if isinstance(key, str) else None
        return at is not None and self._clock() - at < self.ttl

    def check_and_add(self, key: str) -> bool:
        """True if `key` was already seen (and not expired); records it either way."""
        now = self._clock()
        self._expire(now)
        if key in self._seen:
            return True
        self._seen[key] = now
        while len(self._seen) > self.max_size:
            self._seen.popitem(last=False)
        return False

    def _expire(self, now: float) -> None:
        while self._seen:
            key, at = next(iter(self._seen.items()))
            if now - at < self.ttl:
                break
            del self._seen[key]


class ChannelPacer:
    """At most one send per `interval` seconds per channel; callers wait their turn."""

    def __init__(
        self, *, interval: float = 1.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.interval = interval
        self._clock = clock
        self._next: dict[str, float] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def wait(self, channel: str) -> None:
        lock = self._locks.setdefault(channel, asyncio.Lock())
        async with lock:
            now = self._clock()
            due = self._next.get(channel, now)
            if due > now:
                await asyncio.sleep(due - now)
                now = self._clock()
            self._next[channel] = max(now, due) + self.interval
        self._prune(now)

    def _prune(self, now: float) -> None:
        if len(self._next) < 1024:
            return
        for channel, due in list(self._next.items()):
            lock = self._locks.get(channel)
            if due <= now and (lock is None or not lock.locked()):
                self._next.pop(channel, None)
                self._locks.pop(channel, None)
