"""A short-lived read cache for what changes rarely: people, groups, enrollments,
sessions. Hot paths (a check-in storm at the top of the hour) then cost one write and
almost no reads.

Any write through this store clears the whole cache at once; writes by another
process become visible within `ttl` seconds (0 turns caching off, the default for a
bare SqlStore; `open_store` uses a couple of seconds).
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Callable, Coroutine
from typing import Any, ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")


class ReadCache:
    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self._entries: dict[tuple[Any, ...], tuple[float, Any]] = {}
        self.flights: dict[tuple[Any, ...], asyncio.Future[Any]] = {}

    def get(self, key: tuple[Any, ...]) -> tuple[bool, Any]:
        if self.ttl <= 0:
            return False, None
        hit = self._entries.get(key)
        if hit is None or hit[0] < time.monotonic():
            return False, None
        return True, hit[1]

    def put(self, key: tuple[Any, ...], value: Any) -> None:
        if self.ttl > 0:
            if len(self._entries) > 10_000:
                self._entries.clear()
            self._entries[key] = (time.monotonic() + self.ttl, value)

    def clear(self) -> None:
        self._entries.clear()


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
        if cache.ttl <= 0:
            return await method(*args, **kwargs)
        # a cheap key (this runs on every hot-path read); keyword order is the call
        # site's, so two orders are two entries, which is harmless
        key: tuple[Any, ...] = (
            (name, args[1:], tuple(kwargs.items())) if kwargs else (name, args[1:])
        )
        try:
            found, value = cache.get(key)
        except TypeError:  # a list among the arguments: tuples instead
            key = _hashable(key)
            found, value = cache.get(key)
        if found:
            return _copy(value)  # type: ignore[no-any-return]
        # single flight: concurrent misses of one key share one query
        flight = cache.flights.get(key)
        if flight is not None:
            return _copy(await asyncio.shield(flight))  # type: ignore[no-any-return]
        flight = asyncio.get_running_loop().create_future()
        cache.flights[key] = flight
        try:
            result = await method(*args, **kwargs)
        except asyncio.CancelledError:
            flight.cancel()
            raise
        except Exception as e:
            flight.set_exception(e)
            flight.exception()  # retrieved: no "never retrieved" warning
            raise
        finally:
            cache.flights.pop(key, None)
        cache.put(key, _copy(result))
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
