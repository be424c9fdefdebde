"""Presence from meeting rooms: who is in a group's voice/video room, by the platform's clock.

Every event is resolved and appended by `record` (a batch in one transaction) and
its records brought up to date by `refresh` (closures and recomputation): at once
for a voice event (Discord, the console), later and off the request path for
webhook sources that must answer fast (bot.core.attendance.batch).

Who someone is (`PeopleIndex.match`): the platform's own user id where it has one
(console, Discord, Slack), else `zoom_email`, then the Zoom registrant id, then the
contact `email`, then a configured display-name alias. Matching is exact after
trimming and case folding; a key two people share matches nobody. The unmatched
are guests (`guest_key`; see bot.core.attendance.guests).

A meeting that ends leaves a room marker in the ledger: a PRESENCE entry with
action "room_closed" and neither person nor guest. Every stay still open in that
room at the marker is closed there, including stays whose join is delivered late,
after the marker.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TypeVar

from bot.core import limits
from bot.core.attendance.intervals import JOIN, LEAVE, presence_from
from bot.core.attendance.links import links
from bot.core.attendance.recorder import PAIRING_MARGIN, Recorder
from bot.core.domain import EvidenceKind, Group, LedgerEntry, Person
from bot.core.events import Identity, PresenceObserved
from bot.core.ports import Clock, Store

ROOM_CLOSED = "room_closed"
#: the sources whose rooms are bound to groups (see _room_of)
SOURCES = ("discord", "zoom", "console")
K = TypeVar("K", str, tuple[str, str])
_TICK = timedelta(microseconds=1)


def _room_of(group: Group, source: str) -> str | None:
    if source == "discord":
        return group.discord_voice_channel_id
    if source == "zoom":
        return group.zoom_meeting_id
    if source == "console":
        return group.id
    return None


def room_index(groups: Iterable[Group]) -> dict[tuple[str, str], Group]:
    """(source, room id) -> the group bound to it (the config binds a room to one group)."""
    out: dict[tuple[str, str], Group] = {}
    for g in groups:
        for source in SOURCES:
            room = _room_of(g, source)
            if room:
                out.setdefault((source, room), g)
    return out


async def rooms(store: Store, source: str) -> dict[str, Group]:
    """room id -> group, for every group bound to a room of `source`."""
    index = room_index(await store.list_groups())
    return {room: g for (src, room), g in index.items() if src == source}


async def group_for_room(store: Store, source: str, room_id: str) -> Group | None:
    return (await rooms(store, source)).get(room_id)


def _fold(text: str | None) -> str:
    return " ".join((text or "").split()).casefold()


def _unique(pairs: Iterable[tuple[K, Person]]) -> dict[K, Person | None]:
    """key -> person; None where two people share the key (ambiguous: matches nobody)."""
    out: dict[K, Person | None] = {}
    for key, person in pairs:
        if not key:
            continue
        if key not in out:
            out[key] = person
        elif out[key] is not None and out[key] != person:
            out[key] = None
    return out


@dataclass(frozen=True, slots=True)
class PeopleIndex:
    """Everyone who can be matched, indexed once for a batch of events."""

    by_id: dict[str, Person]
    by_platform: dict[tuple[str, str], Person | None]
    by_zoom_email: dict[str, Person | None]
    by_registrant: dict[str, Person | None]
    by_email: dict[str, Person | None]
    by_alias: dict[str, Person | None]

    @classmethod
    def of(cls, people: Iterable[Person]) -> PeopleIndex:
        live = [p for p in people if not p.forgotten]
        return cls(
            by_id={p.id: p for p in live},
            by_platform=_unique(
                ((platform, p.platform_id(platform) or ""), p)
                for p in live
                for platform in ("slack", "discord")
                if p.platform_id(platform)
            ),
            by_zoom_email=_unique((_fold(p.zoom_email), p) for p in live),
            by_registrant=_unique(((p.zoom_registrant_id or "").strip(), p) for p in live),
            by_email=_unique((_fold(p.email), p) for p in live),
            by_alias=_unique((_fold(a), p) for p in live for a in p.aliases),
        )

    def match(self, source: str, who: Identity) -> Person | None:
        if who.platform_user_id:
            if source in ("console", "cli"):
                found = self.by_id.get(who.platform_user_id)
            else:
                found = self.by_platform.get((source, who.platform_user_id))
            if found is not None:
                return found
        # in this order, each key folded only when the ones before matched nobody
        email = _fold(who.email)
        if email and (found := self.by_zoom_email.get(email)) is not None:
            return found
        registrant = (who.registrant_id or "").strip()
        if registrant and (found := self.by_registrant.get(registrant)) is not None:
            return found
        if email and (found := self.by_email.get(email)) is not None:
            return found
        alias = _fold(who.display_name)
        return self.by_alias.get(alias) if alias else None


async def match_person(store: Store, source: str, who: Identity) -> Person | None:
    """The configured person a platform identity is (see the module docstring)."""
    return PeopleIndex.of(await store.list_people()).match(source, who)


def guest_key(source: str, who: Identity) -> str:
    """A stable, non-identifying key for someone nobody matched."""
    basis = who.email or who.registrant_id or who.platform_user_id or who.display_name or "?"
    return f"{source}:" + hashlib.sha256(_fold(basis).encode()).hexdigest()[:12]


def presence_entry(
    ev: PresenceObserved, group: Group, person: Person | None, now: datetime
) -> LedgerEntry:
    return LedgerEntry(
        key=f"{ev.source}:{ev.key}",
        kind=EvidenceKind.PRESENCE,
        group_id=group.id,
        person_id=person.id if person else None,
        guest_key=None if person else guest_key(ev.source, ev.identity),
        at=ev.at,
        recorded_at=now,
        source=ev.source,
        data={
            "action": ev.action,
            "source": ev.source,
            "stream": ev.stream,
            "reconciled": ev.reconciled,
        },
    )


def guest_label(ev: PresenceObserved) -> str:
    """What the roster calls an unmatched guest: the platform's display name. Kept as
    the entry's note, outside the hash chain, so it can be erased
    (bot.core.attendance.guests); never logged."""
    return limits.label(ev.identity.display_name or "guest")


@dataclass(frozen=True, slots=True)
class Snapshot:
    """What matching needs, read once: the rooms of every group and everyone's identities.

    Reused for a few seconds across batches and events (a burst of joins then costs no
    directory reads; see bot.core.attendance.batch)."""

    groups: tuple[Group, ...]
    people: PeopleIndex
    #: (source, room id) -> the group bound to it (room_index)
    by_room: dict[tuple[str, str], Group] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_room", room_index(self.groups))

    def group_for(self, source: str, room_id: str) -> Group | None:
        return self.by_room.get((source, room_id))


async def snapshot(store: Store) -> Snapshot:
    return Snapshot(
        groups=tuple(await store.list_groups()), people=PeopleIndex.of(await store.list_people())
    )


async def resolve(
    store: Store,
    clock: Clock,
    events: Sequence[PresenceObserved],
    directory: Snapshot | None = None,
) -> list[LedgerEntry | None]:
    """The ledger entry of each event (None: its room is bound to no group)."""
    if directory is None:
        groups = tuple(await store.list_groups())
        if not any(_room_of(g, ev.source) == ev.room_id for g in groups for ev in events):
            return [None] * len(events)
        directory = Snapshot(groups=groups, people=PeopleIndex.of(await store.list_people()))
    now = clock.now()
    out: list[LedgerEntry | None] = []
    for ev in events:
        group = directory.group_for(ev.source, ev.room_id)
        out.append(
            None
            if group is None
            else presence_entry(ev, group, directory.people.match(ev.source, ev.identity), now)
        )
    return out


async def record(
    recorder: Recorder, events: Sequence[PresenceObserved], directory: Snapshot | None = None
) -> list[LedgerEntry | None]:
    """Resolve a batch and append it durably in one transaction. Per event, the stored
    entry, or None when it was a replay or its room is bound to no group."""
    entries = await resolve(recorder.store, recorder.clock, events, directory)
    wanted = [(e, ev) for e, ev in zip(entries, events, strict=True) if e is not None]
    notes = [guest_label(ev) if e.guest_key else None for e, ev in wanted]
    appended = await recorder.append([e for e, _ in wanted], notes) if wanted else []
    stored = iter(appended)
    return [e if e is not None and next(stored) else None for e in entries]


async def record_room_closed(
    recorder: Recorder, *, source: str, room_id: str, key: str, at: datetime
) -> LedgerEntry | None:
    """Durably note that a room's meeting ended at `at` (the marker; `refresh` closes
    the stays). None: replay, or the room is bound to no group."""
    group = await group_for_room(recorder.store, source, room_id)
    if group is None:
        return None
    marker = LedgerEntry(
        key=f"{source}:{key}",
        kind=EvidenceKind.PRESENCE,
        group_id=group.id,
        at=at,
        recorded_at=recorder.clock.now(),
        source=source,
        data={"action": ROOM_CLOSED, "source": source, "stream": ""},
    )
    (new,) = await recorder.append([marker])
    return marker if new else None


async def close_open_stays(
    recorder: Recorder,
    *,
    group_id: str,
    at: datetime,
    key_prefix: str,
    source: str | None = None,
    closed_by: str = ROOM_CLOSED,
    seen_until: datetime | None = None,
) -> list[LedgerEntry]:
    """Append a leave at `at` for every stay (of `source`, or any) still open then in a
    group's room. Keys derive from `key_prefix`, so running it again is a no-op.

    `seen_until`: also count events up to then (a session's end looks past `at` to the
    end of its window, so a leave a moment later already closes the stay)."""
    entries = await recorder.store.evidence(
        group_id=group_id,
        kinds=[EvidenceKind.PRESENCE],
        at_from=at - PAIRING_MARGIN,
        at_to=max(seen_until or at, at) + _TICK,
    )
    streams: dict[tuple[str, str, str], list[LedgerEntry]] = {}
    for e in entries:
        if e.person_id is None and e.guest_key is None:
            continue  # a room marker
        src = str(e.data.get("source") or e.source)
        if source is not None and src != source:
            continue
        who = e.person_id or f"guest:{e.guest_key}"
        streams.setdefault((who, src, str(e.data.get("stream") or "")), []).append(e)
    closing: list[LedgerEntry] = []
    now = recorder.clock.now()
    for (who, src, stream), evs in sorted(streams.items()):
        if not any(i.open for i in presence_from(evs, at).stays):
            continue
        first = evs[0]
        closing.append(
            LedgerEntry(
                key=f"{key_prefix}:{who}:{src}:{stream}",
                kind=EvidenceKind.PRESENCE,
                group_id=group_id,
                person_id=first.person_id,
                guest_key=first.guest_key,
                at=at,
                recorded_at=now,
                source=src,
                data={
                    "action": LEAVE,
                    "source": src,
                    "stream": stream,
                    "closed_by": closed_by,
                },
            )
        )
    if not closing:
        return []
    stored = await recorder.append(closing)
    return [e for e, new in zip(closing, stored, strict=True) if new]


def _is_marker(e: LedgerEntry) -> bool:
    return e.data.get("action") == ROOM_CLOSED


async def _closures(recorder: Recorder, group_id: str, new: list[LedgerEntry]) -> list[LedgerEntry]:
    """Close stays at room markers: those just stored, and those that already came
    after a join delivered late."""
    markers = {e.key: e for e in new if _is_marker(e)}
    joins = [e for e in new if e.data.get("action") == JOIN]
    if joins:
        earliest = min(e.at for e in joins)
        for e in await recorder.store.evidence(
            group_id=group_id,
            kinds=[EvidenceKind.PRESENCE],
            at_from=earliest,
            at_to=max(e.at for e in joins) + PAIRING_MARGIN,
            unattributed=True,
        ):
            if _is_marker(e) and any(
                j.at <= e.at and str(j.data.get("source") or j.source) == e.source for j in joins
            ):
                markers[e.key] = e
    closed: list[LedgerEntry] = []
    for m in sorted(markers.values(), key=lambda m: (m.at, m.key)):
        closed += await close_open_stays(
            recorder, group_id=group_id, at=m.at, key_prefix=m.key, source=m.source
        )
    return closed


async def refresh(recorder: Recorder, entries: Sequence[LedgerEntry]) -> int:
    """After new presence entries: close stays at room markers, then recompute the
    records of the people concerned (linked guests count for their person) in every
    opened session the entries touch. Returns the number of records recomputed."""
    by_group: dict[str, list[LedgerEntry]] = {}
    for e in entries:
        by_group.setdefault(e.group_id, []).append(e)
    done = 0
    for group_id, new in sorted(by_group.items()):
        new = new + await _closures(recorder, group_id, new)
        linked = await links(recorder.store, group_id)
        people = {e.person_id for e in new if e.person_id}
        people |= {linked[e.guest_key] for e in new if e.guest_key and e.guest_key in linked}
        if not people:
            continue
        for s in await recorder.sessions_around(group_id, [e.at for e in new]):
            done += len(await recorder.recompute(s, sorted(people)))
    return done


async def catch_up(recorder: Recorder, *, source: str, since: datetime) -> int:
    """Catch up after a restart: close stays at the room markers of `source` stored
    since `since`, and recompute the opened sessions of its groups that started then
    or later. Returns the number of records recomputed."""
    store, now = recorder.store, recorder.clock.now()
    done = 0
    for group in (await rooms(store, source)).values():
        for e in await store.evidence(
            group_id=group.id,
            kinds=[EvidenceKind.PRESENCE],
            at_from=since,
            at_to=now + _TICK,
            unattributed=True,
        ):
            if _is_marker(e) and e.source == source:
                await close_open_stays(
                    recorder, group_id=group.id, at=e.at, key_prefix=e.key, source=source
                )
        for s in await recorder.sessions_around(group.id, [since, now]):
            if s.end >= since:
                done += len(await recorder.recompute(s))
    return done
