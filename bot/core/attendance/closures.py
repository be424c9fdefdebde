"""Closing leaves that close nothing: a stay we closed (meeting or session end) whose
platform leave arrived late, after the closure."""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.attendance.intervals import LEAVE, presence_from
from bot.core.domain import LedgerEntry


def _is_closure(e: LedgerEntry) -> bool:
    """A leave we wrote to close a stay (meeting or session end), not the platform's."""
    return e.data.get("action") == LEAVE and bool(e.data.get("closed_by"))


def without_stale_closures(presence: Sequence[LedgerEntry]) -> list[LedgerEntry]:
    """Drop each closing leave that closes nothing: the platform's own leave for that
    stream was delivered late, after the closure. Kept, it would read as a moment of
    presence at the closing time (a wrong last_seen, a lost left_early)."""
    closures = sorted((e for e in presence if _is_closure(e)), key=lambda e: (e.at, e.key))
    if not closures:
        return list(presence)
    kept = [e for e in presence if not _is_closure(e)]
    for c in closures:
        stream = (c.data.get("source") or c.source, c.data.get("stream") or "")
        before = [
            e
            for e in kept
            if e.at <= c.at
            and (e.data.get("source") or e.source, e.data.get("stream") or "") == stream
        ]
        if any(i.open for i in presence_from(before, c.at).stays):
            kept.append(c)
    return kept
