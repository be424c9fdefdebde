"""What this process knows is checked in: (session, person) -> when, for the check-in
storm's repeats ("You already checked in at 5:50 PM") without a read of the ledger.

Only what the ledger has confirmed is remembered — a check-in this process appended,
or one it read back after the ledger refused a duplicate key — and the ledger is
append-only, so a remembered check-in stays true whatever other processes do. What is
not remembered (another process's check-in, a restart) is found the safe way: the
append, whose unique key in the ledger stays the truth, then one read. Bounded: the
oldest are forgotten first (they belong to sessions long over).
"""

from __future__ import annotations

from datetime import datetime

#: (session_id, person_id) pairs kept: a few evenings of a large program
MAX_KEPT = 50_000


class CheckedIn:
    def __init__(self, max_kept: int = MAX_KEPT) -> None:
        self._at: dict[tuple[str, str], datetime] = {}
        self._max_kept = max_kept

    def __len__(self) -> int:
        return len(self._at)

    def get(self, session_id: str, person_id: str) -> datetime | None:
        return self._at.get((session_id, person_id))

    def remember(self, session_id: str, person_id: str, at: datetime) -> None:
        key = (session_id, person_id)
        if key in self._at:
            return
        self._at[key] = at
        while len(self._at) > self._max_kept:  # dicts keep insertion order: oldest first
            del self._at[next(iter(self._at))]

    def forget_person(self, person_id: str) -> None:
        """After an erasure: nothing of theirs is answered from memory any more."""
        for key in [k for k in self._at if k[1] == person_id]:
            del self._at[key]
