"""A session's records as a recorder last saved or read them, so that an unchanged
roster writes nothing and reads nothing back.

The stored records are taken to be those remembered while the ledger's head stands
(any evidence, from any process, moves it, and only the recorder writes records) and
for at most RECHECK; otherwise they are read. A few records (a check-in's) are
written without reading first.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.core.domain import AttendanceRecord
from bot.core.ports import Clock, Store

#: how long the records a recorder saved are taken for what is stored, unread (another
#: process recomputing the same ledger at its own instant may have written since)
RECHECK = timedelta(seconds=30)


@dataclass(frozen=True, slots=True, kw_only=True)
class _Saved:
    """A session's records as last written or read: what is stored, while the
    ledger's head is `head` and for RECHECK after `checked`."""

    head: tuple[int, str]
    checked: datetime
    records: dict[str, AttendanceRecord]


class SavedRecords:
    def __init__(self, store: Store, clock: Clock, *, few: int, kept: int) -> None:
        self.store = store
        self.clock = clock
        self._few = few
        self._kept = kept
        self._saved: OrderedDict[str, _Saved] = OrderedDict()

    async def save_changed(
        self,
        session_id: str,
        records: Sequence[AttendanceRecord],
        head: tuple[int, str] | None = None,
    ) -> None:
        """Store the records that differ from the stored ones (a roster asked twice
        writes nothing the second time); a few are written without reading first.

        `head`: the ledger's chain head the records were computed at (a whole
        session's). The stored ones are then those last saved or read for the session
        if the head has not moved since (no evidence anywhere, so no other process had
        anything new to write) and it was less than RECHECK ago; otherwise they are
        read."""
        saved = self._saved.pop(session_id, None)
        if len(records) <= self._few:
            if records:
                await self.store.save_records(records)
            return
        now = self.clock.now()
        if (
            saved is None
            or head is None
            or saved.head != head
            or not saved.checked <= now < saved.checked + RECHECK
        ):
            stored = {r.person_id: r for r in await self.store.records(session_id=session_id)}
            saved = None if head is None else _Saved(head=head, checked=now, records=stored)
        else:
            stored = saved.records
        changed = [r for r in records if stored.get(r.person_id) != r]
        if changed:
            await self.store.save_records(changed)
            stored.update((r.person_id, r) for r in changed)
        if saved is not None:  # written (or nothing to write): remembered
            self._saved[session_id] = saved
            while len(self._saved) > self._kept:
                self._saved.popitem(last=False)
