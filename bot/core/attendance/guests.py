"""Guests: people a meeting platform saw in a group's room whom nobody matched.

A guest is known by a `guest_key` (see `bot.core.attendance.presence.guest_key`). Their presence
entries stay in the ledger as they came; a facilitator or the coordinator links
the key to a person (a GUEST_LINK ledger entry plus an audit row), and from then
on the recorder counts that guest's presence in the group for the person. The
newest link of a key in a group wins, so a wrong link is corrected by linking
again. Guests never get attendance records of their own.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.core.attendance.links import links
from bot.core.attendance.recorder import Recorder
from bot.core.domain import (
    AuditEntry,
    EvidenceKind,
    Group,
    Guest,
    LedgerEntry,
    Session,
)
from bot.core.errors import UserError
from bot.core.escaping import chat
from bot.core.ports import Store

#: actions that put someone in a room (room markers and camera changes are not guests)
_ROOM_ACTIONS = frozenset({"join", "leave"})


def _guests_from(
    group_id: str,
    entries: Iterable[LedgerEntry],
    linked: Mapping[str, str],
    labels: dict[str, str],
) -> list[Guest]:
    """`labels`: ledger key -> what the platform called the guest (the entry's note;
    entries stored by earlier versions carry it in `data`)."""
    seen: dict[str, Guest] = {}
    named: dict[str, str] = {}
    for e in entries:
        if e.person_id is not None or not e.guest_key:
            continue
        if str(e.data.get("action")) not in _ROOM_ACTIONS:
            continue
        label = labels.get(e.key) or e.data.get("label")
        if label and e.guest_key not in named:
            named[e.guest_key] = str(label)
        g = seen.get(e.guest_key)
        if g is None or e.at < g.first_seen:
            seen[e.guest_key] = Guest(
                guest_key=e.guest_key,
                group_id=group_id,
                source=str(e.data.get("source") or e.source),
                label="guest",
                first_seen=e.at,
                linked_person_id=linked.get(e.guest_key),
            )
    return sorted(
        (dataclasses.replace(g, label=named.get(key, "guest")) for key, g in seen.items()),
        key=lambda g: (g.first_seen, g.guest_key),
    )


async def guests_of(
    store: Store,
    group_id: str,
    *,
    at_from: datetime | None = None,
    at_to: datetime | None = None,
    around: Sequence[LedgerEntry] | None = None,
    linked: Mapping[str, str] | None = None,
) -> list[Guest]:
    """Everyone seen in a group's room who matched nobody, linked or not, by first seen.
    `around`: the group's presence entries already read over a span that covers
    [at_from, at_to), at least those with a guest key (then no read of the
    ledger's presence); `linked`: the group's guest links, if already read."""
    if around is None:
        entries = await store.evidence(
            group_id=group_id, kinds=[EvidenceKind.PRESENCE], at_from=at_from, at_to=at_to
        )
    else:
        entries = [
            e
            for e in around
            if (at_from is None or e.at >= at_from) and (at_to is None or e.at < at_to)
        ]
    theirs = [e.key for e in entries if e.guest_key and e.person_id is None]
    labels = await store.notes_by_key(theirs) if theirs else {}
    if linked is None:
        linked = await links(store, group_id)
    return _guests_from(group_id, entries, linked, labels)


async def roster_guests(
    store: Store,
    session: Session,
    window: tuple[datetime, datetime],
    *,
    around: Sequence[LedgerEntry] | None = None,
    linked: Mapping[str, str] | None = None,
) -> tuple[str, ...]:
    """The roster's guest lines: "label (guest key)" of the unlinked guests seen in the
    session's presence window, so that a facilitator can `/link` them (`around`,
    `linked`: see `guests_of`)."""
    start, end = window
    guests = await guests_of(
        store,
        session.group_id,
        at_from=start,
        at_to=end + timedelta(microseconds=1),
        around=around,
        linked=linked,
    )
    # what a meeting platform called them is outside text: inert in any chat markup
    return tuple(f"{chat(g.label)} ({g.guest_key})" for g in guests if g.linked_person_id is None)


@dataclass(frozen=True, slots=True, kw_only=True)
class LinkResult:
    group: Group
    guest: Guest
    person_id: str
    changed: bool  # False: it was already linked to this person
    sessions: tuple[str, ...]  # the sessions whose records were recomputed


async def link_guest(
    recorder: Recorder,
    *,
    guest_key: str,
    person_id: str,
    groups: Iterable[Group],
    actor_id: str,
    source: str,
    request_id: str,
) -> LinkResult:
    """Link a guest seen in one of `groups` (those the actor may act on) to a person
    enrolled there, and recompute every session that guest's presence touches.

    Raises UserError when the guest is unknown there, the person is unknown or not
    enrolled, or the guest was seen in several of the groups (name one)."""
    store = recorder.store
    person = await store.get_person(person_id)
    if person is None or person.forgotten:
        raise UserError(f"unknown person: {person_id}")
    found: list[tuple[Group, Guest]] = []
    for group in groups:
        for g in _guests_from(
            group.id,
            await store.evidence(
                group_id=group.id, guest_key=guest_key, kinds=[EvidenceKind.PRESENCE]
            ),
            await links(store, group.id),
            {},  # the label is not needed to link
        ):
            found.append((group, g))
    if not found:
        raise UserError(f"No guest {guest_key} was seen in your groups.")
    if len(found) > 1:
        names = ", ".join(g.id for g, _ in found)
        raise UserError(f"Guest {guest_key} was seen in several groups ({names}); name one.")
    group, guest = found[0]
    enrolled = {e.person_id for e in await store.enrollments(group_id=group.id)}
    if person.id not in enrolled:
        raise UserError(f"{person.id} isn't enrolled in {group.id}; enroll them first.")
    previous = guest.linked_person_id
    if previous == person.id:
        return LinkResult(group=group, guest=guest, person_id=person.id, changed=False, sessions=())
    now = recorder.clock.now()
    entry = LedgerEntry(
        key=f"guest-link:{group.id}:{guest_key}:{request_id}",
        kind=EvidenceKind.GUEST_LINK,
        group_id=group.id,
        person_id=person.id,
        guest_key=guest_key,
        actor_id=actor_id,
        at=now,
        recorded_at=now,
        source=source,
        data={"guest_key": guest_key, "person_id": person.id, "previous": previous},
    )
    (new,) = await recorder.append([entry])
    if new:
        await store.append_audit(
            AuditEntry(
                at=now,
                actor_id=actor_id,
                action="guest.link",
                target=f"{group.id}/{guest_key}",
                detail={"person_id": person.id, "previous": previous},
            )
        )
    touched = await _recompute_guest(recorder, group.id, guest_key, [person.id, previous])
    return LinkResult(group=group, guest=guest, person_id=person.id, changed=new, sessions=touched)


async def _recompute_guest(
    recorder: Recorder, group_id: str, guest_key: str, people: Iterable[str | None]
) -> tuple[str, ...]:
    """Recompute, for `people`, every session a guest's presence entries touch."""
    ids = sorted({p for p in people if p})
    entries = await recorder.store.evidence(
        group_id=group_id, guest_key=guest_key, kinds=[EvidenceKind.PRESENCE]
    )
    sessions = await recorder.sessions_around(group_id, [e.at for e in entries])
    for s in sessions:
        await recorder.recompute(s, ids)
    return tuple(s.id for s in sessions)
