"""Store.purge_notes (retention) on every backend: old notes go, entries and counts stay,
one audit row per purge that erased something."""

from __future__ import annotations

from bot.core.domain import EvidenceKind
from bot.core.ledger import verify_chain
from bot.core.ports import Store
from tests.contract.factories import at, audit_entry, entry


async def test_purge_notes_before_a_cutoff(store: Store) -> None:
    await store.append_evidence(
        [
            entry("old-checkin", person_id="p-1", at=at(0)),
            entry("old-guest", guest_key="zoom:g", kind=EvidenceKind.PRESENCE, at=at(10)),
            entry("new-absence", person_id="p-1", kind=EvidenceKind.ABSENCE_NOTICE, at=at(600)),
        ],
        notes=["old note", "Guest Name", "new reason"],
    )
    purged = await store.purge_notes(at(60), audit=audit_entry("privacy.retention", target="7d"))
    assert purged == 2
    assert await store.notes_by_key(["old-checkin", "old-guest", "new-absence"]) == {
        "new-absence": "new reason"
    }
    assert len(await store.ledger_page()) == 3  # the evidence stays
    (row,) = [a for a in await store.audit_page() if a.action == "privacy.retention"]
    assert row.target == "7d" and row.detail["notes"] == 2
    # nothing more to purge: no new audit row
    assert await store.purge_notes(at(60), audit=audit_entry("privacy.retention")) == 0
    assert [a.action for a in await store.audit_page()].count("privacy.retention") == 1

    async def audit_rows(after: int):  # type: ignore[no-untyped-def]
        return await store.audit_page(after_seq=after)

    assert await verify_chain("audit", audit_rows, await store.chain_head("audit")) is None
