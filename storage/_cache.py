"""A short-lived read cache for what changes rarely: people, groups, enrollments,
sessions. Hot paths (a check-in storm at the top of the hour) then cost one write and
almost no reads.

Any write through this store clears the whole cache at once; writes by another
process become visible within `ttl` seconds (0 turns caching off, the default for a
bare SqlStore; `open_store` uses a couple of seconds).

An entry is fresh for half of `ttl`; in the second half it is still answered while
one refill runs in the background (at the top of the hour, 12,000 people are not
re-read on some request's time); past `ttl`, or after a write through this store,
it is read afresh before answering.

A cached read that calls another one (an index built from `list_people`) reads the
inner one afresh while it fills: otherwise a refill would re-cache what the inner
entry held, half a `ttl` old, for another whole `ttl`.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import time
from collections.abc import Callable, Coroutine
from typing import Any, ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")


FRESH, STALE, MISS = "fresh", "stale", "miss"

#: set while a cached read fills its entry: the cached reads it makes go to the source
_filling: contextvars.ContextVar[bool] = contextvars.ContextVar("_filling", default=False)


async def _fill(read: Callable[[], Coroutine[Any, Any, R]]) -> R:
    token = _filling.set(True)
    try:
        return await read()
    finally:
        _filling.reset(token)


class ReadCache:
    def __init__(self, ttl: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self._clock = clock
        self._entries: dict[tuple[Any, ...], tuple[float, Any]] = {}
        #: reads in flight, by (generation, key): one query for concurrent misses
        self.flights: dict[tuple[int, tuple[Any, ...]], asyncio.Future[Any]] = {}
        #: bumped by every clear(): a read that started before a write never fills
        #: the cache with what it read
        self.generation = 0
        self._refills: set[asyncio.Task[None]] = set()

    def get(self, key: tuple[Any, ...]) -> tuple[bool, Any]:
        state, value = self.lookup(key)
        return (True, value) if state == FRESH else (False, None)

    def lookup(self, key: tuple[Any, ...]) -> tuple[str, Any]:
        """FRESH (first half of `ttl`), STALE (second half) or MISS, and the value kept."""
        if self.ttl <= 0:
            return MISS, None
        hit = self._entries.get(key)
        if hit is None:
            return MISS, None
        now = self._clock()
        if hit[0] >= now:
            return FRESH, hit[1]
        return (STALE, hit[1]) if hit[0] + self.ttl / 2 >= now else (MISS, None)

    def put(self, key: tuple[Any, ...], value: Any, generation: int | None = None) -> None:
        if self.ttl > 0 and (generation is None or generation == self.generation):
            if len(self._entries) > 10_000:
                self._entries.clear()
            self._entries[key] = (self._clock() + self.ttl / 2, value)

    def clear(self) -> None:
        self._entries.clear()
        self.generation += 1

    def refill(self, key: tuple[Any, ...], read: Callable[[], Coroutine[Any, Any, Any]]) -> None:
        """Read `key` again in the background (one refill per key at a time)."""
        generation = self.generation
        if (generation, key) in self.flights:
            return
        flight: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.flights[(generation, key)] = flight

        async def run() -> None:
            try:
                value = await _fill(read)
            except BaseException as e:  # the next read past the grace reads afresh
                flight.set_exception(e if isinstance(e, Exception) else RuntimeError("cancelled"))
                flight.exception()
                if not isinstance(e, Exception):
                    raise
                return
            finally:
                self.flights.pop((generation, key), None)
            self.put(key, _copy(value), generation)
            flight.set_result(_copy(value))

        task = asyncio.get_running_loop().create_task(run())
        self._refills.add(task)
        task.add_done_callback(self._refills.discard)

    async def close(self) -> None:
        """Stop the refills in flight (the store is closing)."""
        for task in list(self._refills):
            task.cancel()
        await asyncio.gather(*self._refills, return_exceptions=True)


def _copy(value: Any) -> Any:
    return list(value) if isinstance(value, list) else value


def _hashable(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return tuple(_hashable(v) for v in value)
    return value


def cached(method: Callable[P, Coroutine[Any, Any, R]]) -> Callable[P, Coroutine[Any, Any, R]]:
    """Cache a read method's result by its arguments (results are immutable domain
    objects, or lists of them, copied on the way out)."""

    name = method.__name__

    @functools.wraps(method)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        cache: ReadCache = args[0]._cache  # type: ignore[attr-defined]
        if cache.ttl <= 0 or _filling.get():  # off, or filling a derived entry
            return await method(*args, **kwargs)
        # a cheap key (this runs on every hot-path read); keyword order is the call
        # site's, so two orders are two entries, which is harmless
        key: tuple[Any, ...] = (
            (name, args[1:], tuple(kwargs.items())) if kwargs else (name, args[1:])
        )
        try:
            state, value = cache.lookup(key)
        except TypeError:  # a list among the arguments: tuples instead
            key = _hashable(key)
            state, value = cache.lookup(key)
        if state == FRESH:
            return _copy(value)  # type: ignore[no-any-return]
        if state == STALE:  # answer now; read it again meanwhile
            cache.refill(key, lambda: method(*args, **kwargs))
            return _copy(value)  # type: ignore[no-any-return]
        # single flight: concurrent misses of one key share one query (not one that
        # began before a write through this store: it may have read what came before)
        generation = cache.generation
        flight = cache.flights.get((generation, key))
        if flight is not None:
            return _copy(await asyncio.shield(flight))  # type: ignore[no-any-return]
        flight = asyncio.get_running_loop().create_future()
        cache.flights[(generation, key)] = flight
        try:
            result = await _fill(lambda: method(*args, **kwargs))
        except asyncio.CancelledError:
            flight.cancel()
            raise
        except Exception as e:
            flight.set_exception(e)
            flight.exception()  # retrieved: no "never retrieved" warning
            raise
        finally:
            cache.flights.pop((generation, key), None)
        cache.put(key, _copy(result), generation)
        flight.set_result(_copy(result))
        return result

    return wrapper


def invalidates(method: Callable[P, Coroutine[Any, Any, R]]) -> Callable[P, Coroutine[Any, Any, R]]:
    """Clear the cache after (and even if) a write method runs."""

    @functools.wraps(method)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return await method(*args, **kwargs)
        finally:
            args[0]._cache.clear()  # type: ignore[attr-defined]

    return wrapper
