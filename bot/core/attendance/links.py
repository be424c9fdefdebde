"""Who a guest counts as: the current GUEST_LINK of each guest key in a group.

Read by the recorder (a person's presence includes their linked guests') and by
bot.core.attendance.guests, which writes the links."""

from __future__ import annotations

from bot.core.domain import EvidenceKind
from bot.core.ports import Store


async def links(store: Store, group_id: str) -> dict[str, str]:
    """guest_key -> person_id of the current link of every linked guest of a group."""
    out: dict[str, str] = {}
    for e in await store.evidence(group_id=group_id, kinds=[EvidenceKind.GUEST_LINK]):
        if e.guest_key and e.person_id:
            out[e.guest_key] = e.person_id  # ordered by seq: the newest link wins
    return out


async def linked_guest_keys(store: Store, group_id: str, person_id: str) -> list[str]:
    """The guest keys of a group whose current link is this person."""
    mine = {
        e.guest_key
        for e in await store.evidence(
            group_id=group_id, person_id=person_id, kinds=[EvidenceKind.GUEST_LINK]
        )
        if e.guest_key
    }
    if not mine:
        return []
    current = await links(store, group_id)
    return sorted(k for k in mine if current.get(k) == person_id)
