"""Retention: personal text older than `[privacy] retention_days` is purged on a schedule.

Notes (check-in notes, absence reasons, facilitators' notes), survey free text, the
names meeting platforms gave guests, and the words of finished outbox messages go;
the ledger entries, attendance records and counts stay (de-identified), and each
purge writes an audit row (`privacy.retention`: the cutoff and how many notes went).
The scheduler leader runs it at most once per `RUN_EVERY`; off when not configured.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from bot.core.domain import AuditEntry
from bot.core.ports import Clock, Store
from bot.core.settings import PrivacyConfig

log = logging.getLogger("rollcall.retention")

RUN_EVERY = timedelta(hours=1)
ACTOR = "retention"


class Retention:
    def __init__(self, store: Store, clock: Clock, config: PrivacyConfig) -> None:
        self.store = store
        self.clock = clock
        self.config = config
        self._last: datetime | None = None

    @property
    def enabled(self) -> bool:
        return self.config.retention_days is not None

    async def tick(self) -> int | None:
        """Purge if enabled and due; how many notes went (None: not run)."""
        days = self.config.retention_days
        if days is None:
            return None
        now = self.clock.now()
        if self._last is not None and now - self._last < RUN_EVERY:
            return None
        cutoff = now - timedelta(days=days)
        audit = AuditEntry(
            at=now,
            actor_id=ACTOR,
            action="privacy.retention",
            target=f"{days}d",
            detail={"before": cutoff.astimezone(UTC).isoformat(timespec="seconds")},
        )
        purged = await self.store.purge_notes(cutoff, audit=audit)
        self._last = now
        log.info("retention: %d note(s) older than %d days purged", purged, days)
        return purged
