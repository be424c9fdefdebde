"""Presence from meeting rooms: who is in a group's voice/video room, by the platform's clock."""

from __future__ import annotations

import hashlib

from bot.domain import EvidenceKind, Group, LedgerEntry, Person
from bot.events import Identity, PresenceObserved
from bot.ports import Store
from bot.recorder import Recorder


def _room_of(group: Group, source: str) -> str | None:
    if source == "discord":
        return group.discord_voice_channel_id
    if source == "zoom":
        return group.zoom_meeting_id
    if source == "console":
        return group.id
    return None


async def group_for_room(store: Store, source: str, room_id: str) -> Group | None:
    for g in await store.list_groups():
        if _room_of(g, source) == room_id:
            return g
    return None


async def match_person(store: Store, source: str, who: Identity) -> Person | None:
    """By platform id, then e-mail, then registrant id, then display name or alias."""
    if who.platform_user_id:
        if source in ("console", "cli"):
            p = await store.get_person(who.platform_user_id)
        else:
            p = await store.find_person(platform=source, user_id=who.platform_user_id)
        if p is not None:
            return p
    if who.email:
        p = await store.find_person_by_email(who.email)
        if p is not None:
            return p
    if who.registrant_id or who.display_name:
        name = (who.display_name or "").strip().lower()
        for p in await store.list_people():
            if who.registrant_id and p.zoom_registrant_id == who.registrant_id:
                return p
            if name and name in {a.strip().lower() for a in p.aliases}:
                return p
    return None


def guest_key(source: str, who: Identity) -> str:
    """A stable, non-identifying key for someone nobody matched."""
    basis = who.email or who.registrant_id or who.platform_user_id or who.display_name or "?"
    return f"{source}:" + hashlib.sha256(basis.strip().lower().encode()).hexdigest()[:12]


async def observe(recorder: Recorder, ev: PresenceObserved) -> bool:
    """Store one presence event and refresh the records it touches. False: replay or no room."""
    store = recorder.store
    group = await group_for_room(store, ev.source, ev.room_id)
    if group is None:
        return False
    person = await match_person(store, ev.source, ev.identity)
    entry = LedgerEntry(
        key=f"{ev.source}:{ev.key}",
        kind=EvidenceKind.PRESENCE,
        group_id=group.id,
        person_id=person.id if person else None,
        guest_key=None if person else guest_key(ev.source, ev.identity),
        at=ev.at,
        recorded_at=recorder.clock.now(),
        source=ev.source,
        data={
            "action": ev.action,
            "source": ev.source,
            "stream": ev.stream,
            "reconciled": ev.reconciled,
            # the label is what the roster shows for an unlinked guest; never logged
            "label": None if person else (ev.identity.display_name or "guest"),
        },
    )
    (new,) = await recorder.append([entry])
    if new and person is not None:
        now = recorder.clock.now()
        for s in await recorder.sessions_touched(group.id, entry):
            if s.opens_at(recorder.policy) <= now:
                await recorder.recompute(s, [person.id])
    return new
