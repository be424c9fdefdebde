"""The outreach log over every store: ledger evidence, its note kept apart and erasable."""

from __future__ import annotations

from bot.core.domain import AuditEntry, EvidenceKind, Group, Person, Role
from bot.core.outreach_log import outreach_log, record_outreach
from bot.core.ports import Store
from tests.contract.factories import T0


async def test_outreach_round_trips_and_its_note_is_erased(store: Store) -> None:
    await store.upsert_person(Person(id="p-1", display_name="J."))
    await store.upsert_person(Person(id="f-1", display_name="Dr. R.", role=Role.FACILITATOR))
    await store.upsert_group(Group(id="g-1", name="G", facilitators=("f-1",)))
    await store.seed_enrollment("p-1", "g-1", T0)
    entry = await record_outreach(
        store,
        person_id="p-1",
        how="in_session",
        outcome="declined",
        note="wants to talk next week",
        resolves=True,
        actor_id="f-1",
        at=T0,
        source="web",
    )
    (logged,) = await outreach_log(store, group_ids={"g-1"})
    assert logged == entry
    assert await outreach_log(store, group_ids={"g-2"}) == []
    (ledger,) = await store.evidence(person_id="p-1", kinds=[EvidenceKind.OUTREACH])
    assert dict(ledger.data) == {"how": "in_session", "outcome": "declined", "resolves": True}
    assert "wants" not in str(ledger.data)  # the note is not in the hash-chained entry
    audit = AuditEntry(at=T0, actor_id="cli", action="participant.forget", target="p-1")
    assert await store.forget_person("p-1", audit=audit)
    (after,) = await outreach_log(store, person_id="p-1")
    assert after.note is None and after.outcome == "declined"
