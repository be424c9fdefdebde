"""Reconciliation after a gap in a platform's presence events.

A chat platform's gateway can drop (a network blip, a restart of the bot). When it
comes back, the platform says who is in a room *now*; the ledger says whose stays
are still open. The difference becomes presence evidence:

- an open stay of someone no longer in the room is closed with a reconciled leave
  (its interval is flagged `uncertain`, PRODUCT.md rule 3), at `left_at` — the last
  moment we know they were there (when the gap began), or now if unknown;
- someone in the room without an open stay gets a join now (and camera_on if their
  camera is on);
- someone whose stay is open but whose camera state differs gets camera_on/off now.

`plan` is pure; `reconcile_room` reads the ledger through the Store port. Running
it twice changes nothing the second time: the keys depend only on the room, the
person and the instant, and a room that matches the ledger yields no events.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.core.attendance.intervals import CAMERA_OFF, CAMERA_ON, JOIN, LEAVE, presence_from
from bot.core.attendance.presence import group_for_room, guest_key, match_person
from bot.core.domain import EvidenceKind, LedgerEntry
from bot.core.events import Identity, PresenceObserved
from bot.core.ports import Store

#: how far back the ledger is read for stays that are still open
LOOKBACK = timedelta(hours=24)


@dataclass(frozen=True, slots=True, kw_only=True)
class RoomSnapshot:
    """Who a platform says is in one room now."""

    source: str  # "discord", ...
    room_id: str
    #: platform user id -> camera on, for everyone in the room now
    present: Mapping[str, bool]
    #: the presence stream the adapter writes (pairs joins with leaves)
    stream: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class OpenState:
    """What the ledger believes about one subject (a person id or a guest key)."""

    subject: str
    stay_open: bool
    camera_open: bool
    last_event_at: datetime


def open_states(entries: Iterable[LedgerEntry], at: datetime) -> dict[str, OpenState]:
    """Per subject (person id, else guest key), whether their stay and camera are open."""
    by_subject: dict[str, list[LedgerEntry]] = defaultdict(list)
    for e in entries:
        subject = e.person_id or e.guest_key
        if subject and e.kind is EvidenceKind.PRESENCE:
            by_subject[subject].append(e)
    out: dict[str, OpenState] = {}
    for subject, own in by_subject.items():
        p = presence_from(own, at)
        out[subject] = OpenState(
            subject=subject,
            stay_open=any(i.open for i in p.stays),
            camera_open=any(i.open for i in p.camera),
            last_event_at=max(e.at for e in own),
        )
    return out


def _event(
    snap: RoomSnapshot, user_id: str, action: str, at: datetime, key_at: datetime
) -> PresenceObserved:
    return PresenceObserved(
        source=snap.source,
        room_id=snap.room_id,
        identity=Identity(platform_user_id=user_id),
        action=action,
        at=at,
        stream=snap.stream,
        key=f"reconcile:{snap.room_id}:{user_id}:{action}:{key_at.isoformat()}",
        reconciled=True,
    )


def plan(
    *,
    snapshot: RoomSnapshot,
    believed: Mapping[str, OpenState],
    subject_of: Mapping[str, str],
    user_of: Mapping[str, str],
    at: datetime,
    left_at: datetime | None = None,
) -> list[PresenceObserved]:
    """The events that make the ledger agree with the snapshot. Pure.

    `believed`: the ledger's state per subject; `subject_of`: platform user id ->
    subject, for everyone in the snapshot; `user_of`: subject -> platform user id,
    for subjects whose stays may need closing (a subject without one is skipped:
    nobody can be named to close it). Closes come first, then opens.
    """
    closes: list[PresenceObserved] = []
    opens: list[PresenceObserved] = []
    here = {subject_of[u] for u in snapshot.present if u in subject_of}
    for subject in sorted(believed):
        state = believed[subject]
        user_id = user_of.get(subject)
        if not state.stay_open or subject in here or user_id is None:
            continue
        when = max(left_at or at, state.last_event_at)
        closes.append(_event(snapshot, user_id, LEAVE, when, at))
    for user_id in sorted(snapshot.present):
        camera = snapshot.present[user_id]
        who = subject_of.get(user_id)
        known = believed.get(who) if who else None
        if known is None or not known.stay_open:
            opens.append(_event(snapshot, user_id, JOIN, at, at))
            if camera:
                opens.append(_event(snapshot, user_id, CAMERA_ON, at, at))
        elif camera != known.camera_open:
            opens.append(_event(snapshot, user_id, CAMERA_ON if camera else CAMERA_OFF, at, at))
    return closes + opens


async def reconcile_room(
    store: Store,
    snapshot: RoomSnapshot,
    *,
    at: datetime,
    left_at: datetime | None = None,
    known_users: Sequence[str] = (),
) -> list[PresenceObserved]:
    """The events to hand to the engine so the ledger matches the room.

    `known_users`: platform ids the adapter saw in the room before the gap; they
    let it close the stays of guests (people matched to nobody, whose ledger
    entries carry only a hashed key). A room bound to no group yields nothing.
    """
    group = await group_for_room(store, snapshot.source, snapshot.room_id)
    if group is None:
        return []
    entries = [
        e
        for e in await store.evidence(
            group_id=group.id, kinds=[EvidenceKind.PRESENCE], at_from=at - LOOKBACK
        )
        if str(e.data.get("source") or e.source) == snapshot.source
        and str(e.data.get("stream") or "") == snapshot.stream
    ]
    believed = open_states(entries, at)
    subject_of: dict[str, str] = {}
    user_of: dict[str, str] = {}
    for user_id in {*snapshot.present, *known_users}:
        who = Identity(platform_user_id=user_id)
        person = await match_person(store, snapshot.source, who)
        subject = person.id if person else guest_key(snapshot.source, who)
        subject_of[user_id] = subject
        user_of[subject] = user_id
    for subject, state in believed.items():
        if state.stay_open and subject not in user_of:
            person = await store.get_person(subject)
            platform_id = person.platform_id(snapshot.source) if person else None
            if platform_id:
                user_of[subject] = platform_id
    present_subjects = {k: v for k, v in subject_of.items() if k in snapshot.present}
    return plan(
        snapshot=snapshot,
        believed=believed,
        subject_of=present_subjects,
        user_of=user_of,
        at=at,
        left_at=left_at,
    )
