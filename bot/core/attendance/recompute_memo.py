"""What a recorder remembers of its last recompute of a session, to skip the work that
would give the same records (see Recorder._compute_all)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.core.attendance.prepared import Prepared
from bot.core.domain import AttendanceRecord


@dataclass(frozen=True, slots=True, kw_only=True)
class PersonMemo:
    inputs: tuple[Any, ...]
    prepared: Prepared
    at: datetime
    record: AttendanceRecord


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionMemo:
    """What a whole session's records were computed from: the ledger head the kept
    evidence was read at and the kept maps themselves (the same objects: what they hold
    is what that head holds), the session-wide inputs (the very object, see
    `_compute_all`), who, their make-ups, who chat cannot reach, and the instant."""

    head: tuple[int, str]
    kept: tuple[object, ...]
    shared: tuple[Any, ...]
    person_ids: tuple[str, ...]
    made_up: dict[str, str]
    unreachable: frozenset[str]
    at: datetime

    def same(self, other: SessionMemo) -> bool:
        return (
            self.head == other.head
            and all(a is b for a, b in zip(self.kept, other.kept, strict=True))
            and self.shared is other.shared
            and self.at == other.at
            and self.person_ids == other.person_ids
            and self.made_up == other.made_up
            and self.unreachable == other.unreachable
        )
