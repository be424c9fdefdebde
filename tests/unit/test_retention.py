"""`[privacy] retention_days`: off by default, validated, and the purge's schedule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.config import ConfigError, parse_config
from bot.core.clock import FakeClock
from bot.core.domain import EvidenceKind, LedgerEntry
from bot.core.retention import RUN_EVERY, Retention
from bot.core.settings import PrivacyConfig
from storage.memory import MemoryStore


def test_retention_is_off_by_default_and_validated() -> None:
    assert parse_config("", {}).privacy.retention_days is None
    assert parse_config("[privacy]\nretention_days = 30\n", {}).privacy.retention_days == 30
    for bad in ("0", "-1", '"30"', "99999"):
        with pytest.raises(ConfigError) as info:
            parse_config(f"[privacy]\nretention_days = {bad}\n", {}, source="c.toml")
        assert "privacy.retention_days" in str(info.value.errors)
    with pytest.raises(ConfigError) as info:
        parse_config("[privacy]\nretain_days = 3\n", {}, source="c.toml")
    assert "unknown key" in str(info.value.errors)


async def test_the_purge_runs_at_most_hourly_and_only_when_enabled() -> None:
    t0 = datetime(2026, 3, 2, 12, tzinfo=UTC)
    store, clock = MemoryStore(), FakeClock(t0)

    def note(key: str, days_ago: float) -> LedgerEntry:
        at = t0 - timedelta(days=days_ago)
        return LedgerEntry(
            key=key, kind=EvidenceKind.CHECKIN, group_id="g", person_id="p-1",
            source="slack", at=at, recorded_at=at,
        )  # fmt: skip

    await store.append_evidence([note("a", 40), note("b", 10)], notes=["forty", "ten"])
    assert await Retention(store, clock, PrivacyConfig()).tick() is None
    retention = Retention(store, clock, PrivacyConfig(retention_days=30))
    assert await retention.tick() == 1
    assert await store.notes_by_key(["a", "b"]) == {"b": "ten"}
    clock.set(t0 + RUN_EVERY - timedelta(seconds=1))
    assert await retention.tick() is None  # ran less than an hour ago
    clock.set(t0 + timedelta(days=21))
    assert await retention.tick() == 1
    assert await store.notes_by_key(["a", "b"]) == {}
    (first, second) = [a for a in await store.audit_page() if a.action == "privacy.retention"]
    assert first.actor_id == "retention" and first.detail["notes"] == 1
    assert second.detail["before"] == "2026-02-21T12:00:00+00:00"
