"""Presence intervals: pairing join/leave events, merging across sources, clipping.

Pure functions over the ledger's presence entries (PRODUCT.md, attendance rule 1).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.core.domain import EvidenceKind, LedgerEntry

JOIN = "join"
LEAVE = "leave"
CAMERA_ON = "camera_on"
CAMERA_OFF = "camera_off"
ACTIONS = frozenset({JOIN, LEAVE, CAMERA_ON, CAMERA_OFF})


@dataclass(frozen=True, slots=True, kw_only=True)
class Interval:
    start: datetime
    end: datetime
    #: closed by reconciliation after a gap in the platform's events
    uncertain: bool = False
    #: still open (no leave yet); `end` is then "now"
    open: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class Presence:
    stays: tuple[Interval, ...]
    camera: tuple[Interval, ...]


def _stream(entry: LedgerEntry) -> tuple[str, str]:
    return (str(entry.data.get("source") or entry.source), str(entry.data.get("stream") or ""))


@dataclass(frozen=True, slots=True, kw_only=True)
class _Paired:
    """One stream's closed intervals, and when its stay and camera still open began."""

    stays: tuple[Interval, ...]
    camera: tuple[Interval, ...]
    stay_since: datetime | None
    cam_since: datetime | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Pairing:
    """Presence before the clock is applied (open stays have no end yet): worked out
    once from the entries, then `at(now)` for any instant without pairing again."""

    streams: tuple[_Paired, ...]

    def at(self, now: datetime) -> Presence:
        """The stays and camera intervals, open ones running to `now`."""
        stays: list[Interval] = []
        camera: list[Interval] = []
        for p in self.streams:
            stays.extend(p.stays)
            if p.stay_since is not None:
                stays.append(Interval(start=p.stay_since, end=max(now, p.stay_since), open=True))
            camera.extend(p.camera)
            if p.cam_since is not None:
                camera.append(Interval(start=p.cam_since, end=max(now, p.cam_since), open=True))
        return Presence(stays=tuple(stays), camera=tuple(camera))


def _pair(events: Sequence[LedgerEntry]) -> _Paired:
    """Pair one stream's events into stays and camera-on intervals.

    Events are grouped by timestamp; within one instant, an open stay closes
    before a new one opens (a reconnect), and a closed stream opens before it
    closes (a join and leave in the same second). Duplicates are no-ops, so the
    result depends only on the set of events, not their order of arrival.
    """
    by_time: dict[datetime, set[tuple[str, bool]]] = defaultdict(set)
    for e in events:
        action = str(e.data.get("action"))
        if action in ACTIONS:
            by_time[e.at].add((action, bool(e.data.get("reconciled"))))

    stays: list[Interval] = []
    camera: list[Interval] = []
    stay_since: datetime | None = None
    cam_since: datetime | None = None

    def close_stay(at: datetime, uncertain: bool) -> None:
        nonlocal stay_since, cam_since
        if stay_since is not None:
            stays.append(Interval(start=stay_since, end=at, uncertain=uncertain))
            stay_since = None
        close_camera(at)

    def close_camera(at: datetime) -> None:
        nonlocal cam_since
        if cam_since is not None:
            camera.append(Interval(start=cam_since, end=at))
            cam_since = None

    for at in sorted(by_time):
        acts = by_time[at]
        leave = [r for a, r in acts if a == LEAVE]
        join = any(a == JOIN for a, _ in acts)
        cam_on = any(a == CAMERA_ON for a, _ in acts)
        cam_off = any(a == CAMERA_OFF for a, _ in acts)
        # an unreconciled leave wins over a reconciled one at the same instant
        leave_uncertain = bool(leave) and all(leave)
        if stay_since is not None:
            if cam_off:
                close_camera(at)
            if leave:
                close_stay(at, leave_uncertain)
            if join and stay_since is None:
                stay_since = at
            if cam_on and cam_since is None:
                cam_since = at
        else:
            if join:
                stay_since = at
            if cam_on and cam_since is None:
                cam_since = at
            if cam_off:
                close_camera(at)
            if leave:
                if stay_since is None:
                    # a leave with no join: seen at that instant only
                    stays.append(Interval(start=at, end=at, uncertain=leave_uncertain))
                    close_camera(at)
                else:
                    close_stay(at, leave_uncertain)
    return _Paired(
        stays=tuple(stays), camera=tuple(camera), stay_since=stay_since, cam_since=cam_since
    )


def pairing_from(entries: Iterable[LedgerEntry]) -> Pairing:
    """One person's presence from every source and stream, before the clock applies.
    Each entry is looked at once: grouped by stream, then each stream paired."""
    streams: dict[tuple[str, str], list[LedgerEntry]] = defaultdict(list)
    for e in entries:
        if e.kind is EvidenceKind.PRESENCE:
            streams[_stream(e)].append(e)
    return Pairing(streams=tuple(_pair(streams[key]) for key in sorted(streams)))


def presence_from(entries: Iterable[LedgerEntry], now: datetime) -> Presence:
    """All stays and camera intervals of one person, from every source and stream."""
    return pairing_from(entries).at(now)


def overlapping(intervals: Iterable[Interval], start: datetime, end: datetime) -> list[Interval]:
    """Intervals that touch [start, end]."""
    return [i for i in intervals if i.end >= start and i.start <= end]


def merge(intervals: Iterable[Interval], gap_seconds: int) -> list[Interval]:
    """Union of intervals; gaps of at most `gap_seconds` count as continuous."""
    gap = timedelta(seconds=gap_seconds)
    out: list[Interval] = []
    for i in sorted(intervals, key=lambda i: (i.start, i.end)):
        if out and i.start - out[-1].end <= gap:
            last = out[-1]
            if i.end > last.end:
                out[-1] = Interval(
                    start=last.start,
                    end=i.end,
                    uncertain=last.uncertain or i.uncertain,
                    open=i.open,
                )
            else:
                out[-1] = Interval(
                    start=last.start,
                    end=last.end,
                    uncertain=last.uncertain or i.uncertain,
                    open=last.open or (i.open and i.end == last.end),
                )
        else:
            out.append(i)
    return out


def clip(intervals: Iterable[Interval], start: datetime, end: datetime) -> list[Interval]:
    out = []
    for i in intervals:
        s, e = max(i.start, start), min(i.end, end)
        if e > s:
            out.append(Interval(start=s, end=e, uncertain=i.uncertain, open=i.open))
    return out


def total_microseconds(intervals: Iterable[Interval]) -> int:
    total = timedelta()
    for i in intervals:
        total += i.end - i.start
    return (total.days * 86_400 + total.seconds) * 1_000_000 + total.microseconds


def minutes_half_up(microseconds: int) -> int:
    """Whole minutes, rounded half up (exact integer arithmetic)."""
    return (microseconds + 30_000_000) // 60_000_000
