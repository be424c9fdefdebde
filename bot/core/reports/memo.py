"""A memo for the exports' conversions: ≈ 80,000 records a year repeat a few thousand
distinct ids, times and flag sets, each converted once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

_T = TypeVar("_T")

#: distinct values remembered (a session's start and end repeat on each of its rows)
SIZE = 4096


class Memo(dict[Any, _T]):
    """value -> its conversion, each distinct one made once (a hit is one dict lookup);
    forgets everything past `SIZE` entries."""

    def __init__(self, convert: Callable[[Any], _T]) -> None:
        super().__init__()
        self._convert = convert

    def __missing__(self, key: Any) -> _T:
        if len(self) >= SIZE:
            self.clear()
        got = self[key] = self._convert(key)
        return got
