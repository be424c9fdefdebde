"""The clock-free half of the attendance rules: what a (session, participant)'s
evidence says before the clock is applied — the facilitator's marks, the stays paired and
merged, check-ins, notices, a completed make-up (`prepare`). `bot.core.attendance.rules`
applies the clock and the status rules to it (`record_at`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.core.attendance.alternatives import Done, done_of
from bot.core.attendance.intervals import (
    Interval,
    Pairing,
    clip,
    merge,
    minutes_half_up,
    overlapping,
    pairing_from,
    presence_from,
    total_microseconds,
)
from bot.core.domain import (
    EvidenceKind,
    Group,
    LedgerEntry,
    Participation,
    Policy,
    Session,
    Status,
)

_MISSED = (Status.ABSENT, Status.EXCUSED)
#: evidence that changes a signed-off record: an amendment
_CHANGES = (EvidenceKind.VERIFY, EvidenceKind.MAKEUP_ALTERNATIVE)


@dataclass(frozen=True, slots=True, kw_only=True)
class _Verification:
    #: the latest status a facilitator set; None when they only marked participation
    status: Status | None
    by: str | None
    #: when the latest status was set: (at, recorded_at, seq), to order it with make-ups
    at: tuple[datetime, datetime, int] | None
    #: the latest participation level a facilitator set (with a status or alone)
    participation: Participation | None
    #: minutes attested by a facilitator (`/verify ... minutes=N`), the latest that said so
    minutes: int | None = None


def _latest_verification(entries: Sequence[LedgerEntry]) -> _Verification | None:
    """The facilitator's marks: a status mark overrides the computed status, a
    participation mark (no status) records participation only."""
    verifications = sorted(
        (e for e in entries if e.kind is EvidenceKind.VERIFY),
        key=lambda e: (e.at, e.recorded_at, e.key),
    )
    if not verifications:
        return None
    # the latest decision wins; ties broken by the unique key for determinism
    decisions = [e for e in verifications if e.data.get("status")]
    levels = [str(raw) for e in verifications if (raw := e.data.get("participation"))]
    attested = [
        m
        for e in decisions
        if isinstance(m := e.data.get("minutes"), int) and not isinstance(m, bool)
    ]
    last = decisions[-1] if decisions else None
    return _Verification(
        status=Status(str(last.data["status"])) if last else None,
        by=last.actor_id if last else None,
        at=(last.at, last.recorded_at, last.seq) if last else None,
        participation=Participation(levels[-1]) if levels else None,
        minutes=attested[-1] if attested else None,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class _Seen:
    """What the presence shows at one instant (rule 1)."""

    seen: bool
    first_seen: datetime | None
    last_seen: datetime | None
    uncertain: bool
    in_room: bool
    attended_us: int
    camera_minutes: int


@dataclass(frozen=True, slots=True, kw_only=True)
class _Stays:
    """A person's presence before the clock applies: the closed stays and camera spans
    touching the widened window, merged once, and when the open ones began. Merging
    merged stays with the open ones gives the same spans as merging them all (a
    merge's spans depend only on the union of the intervals, widened by the gap)."""

    #: closed stays touching the window: any, earliest start, latest end, any uncertain
    closed: bool
    first: datetime | None
    last: datetime | None
    uncertain: bool
    merged: tuple[Interval, ...]
    cameras: tuple[Interval, ...]
    open_stays: tuple[datetime, ...]
    open_cameras: tuple[datetime, ...]


def _stays(pairing: Pairing, session: Session, policy: Policy) -> _Stays:
    window_start, window_end = session.window(policy)
    gap = policy.reconnect_merge_seconds
    closed = overlapping((i for p in pairing.streams for i in p.stays), window_start, window_end)
    cams = overlapping((i for p in pairing.streams for i in p.camera), window_start, window_end)
    return _Stays(
        closed=bool(closed),
        first=min((i.start for i in closed), default=None),
        last=max((i.end for i in closed), default=None),
        uncertain=any(i.uncertain for i in closed),
        merged=tuple(merge(closed, gap)),
        cameras=tuple(merge(cams, gap)),
        open_stays=tuple(p.stay_since for p in pairing.streams if p.stay_since is not None),
        open_cameras=tuple(p.cam_since for p in pairing.streams if p.cam_since is not None),
    )


def _open(
    since: Iterable[datetime], at: datetime, start: datetime, end: datetime
) -> list[Interval]:
    """Open spans running to `at`, those touching [start, end]."""
    return overlapping((Interval(start=s, end=max(at, s), open=True) for s in since), start, end)


def seen_at(p: _Stays, session: Session, policy: Policy, now: datetime) -> _Seen:
    # presence (rule 1): stays touching the widened window, merged, clipped
    window_start, window_end = session.window(policy)
    gap = policy.reconnect_merge_seconds
    # open stays run to "now", and no further than the end once it has passed
    at = min(now, session.end)
    opened = _open(p.open_stays, at, window_start, window_end)
    merged = merge([*p.merged, *opened], gap) if opened else p.merged
    clipped = clip(merged, session.start, session.end)
    cam_open = _open(p.open_cameras, at, window_start, window_end)
    cams = merge([*p.cameras, *cam_open], gap) if cam_open else p.cameras
    # camera time counts only while present (a camera span may bridge a gap the stays
    # do not), so camera minutes never exceed attended minutes
    camera_minutes = minutes_half_up(
        total_microseconds([c for stay in clipped for c in clip(cams, stay.start, stay.end)])
    )
    starts = [i.start for i in opened]
    ends = [i.end for i in opened]
    return _Seen(
        seen=p.closed or bool(opened),
        first_seen=min([*starts, p.first] if p.first is not None else starts, default=None),
        last_seen=max([*ends, p.last] if p.last is not None else ends, default=None),
        uncertain=p.uncertain,
        in_room=bool(opened),
        attended_us=total_microseconds(clipped),
        camera_minutes=camera_minutes,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class Prepared:
    """Everything a record depends on except the clock, worked out once from the
    entries (`prepare`); `record_at` gives the record at any instant. A live roster
    asked again keeps these and only applies the moving clock."""

    session: Session
    group: Group
    person_id: str
    policy: Policy
    made_up_by: str | None
    makeup_for: str | None
    dm_unreachable: bool
    signed_off_seq: int | None
    stays: _Stays
    imported: bool
    checked_in_at: datetime | None
    checked_out_at: datetime | None
    survey_confirms: bool
    noticed: bool
    notice_in_time: bool
    verification: _Verification | None
    amended: bool
    #: a completed make-up by recorded content or a one-on-one
    alternative: Done | None
    #: whether the facilitator's status mark decides the status
    decided: bool
    #: the presence when no stay or camera span is open (then the clock cannot change it)
    settled: _Seen | None


def prepare(
    *,
    session: Session,
    group: Group,
    person_id: str,
    entries: Iterable[LedgerEntry],
    policy: Policy,
    made_up_by: str | None = None,
    makeup_for: str | None = None,
    dm_unreachable: bool = False,
    signed_off_seq: int | None = None,
) -> Prepared:
    """The clock-free part of `compute_record` (same arguments, without `now`)."""
    all_entries = list(entries)
    own = [e for e in all_entries if e.session_id == session.id]
    window_start, window_end = session.window(policy)
    stays = _stays(pairing_from(all_entries), session, policy)
    # presence that came from a platform's participant report (bot.core.attendance.imported)
    imported = bool(
        overlapping(
            presence_from((e for e in all_entries if e.data.get("imported")), session.end).stays,
            window_start,
            window_end,
        )
    )
    checkins = sorted(e.at for e in own if e.kind is EvidenceKind.CHECKIN)
    checked_in_at = checkins[0] if checkins else None
    checkouts = sorted(
        e.at
        for e in own
        if e.kind is EvidenceKind.CHECKOUT and checked_in_at and e.at >= checked_in_at
    )
    notices = [e for e in own if e.kind is EvidenceKind.ABSENCE_NOTICE]
    deadline = session.start - timedelta(hours=policy.advance_notice_hours)
    verification = _latest_verification(own)
    # a make-up by recorded content or a one-on-one: it beats a facilitator's "absent" or
    # "excused" set before it (that is what made the session one to make up)
    alternative = done_of(own)
    decided = verification is not None and verification.status is not None
    if (
        alternative is not None
        and verification is not None
        and verification.status in _MISSED
        and verification.at is not None
        and verification.at < alternative.order
    ):
        decided = False
    return Prepared(
        session=session,
        group=group,
        person_id=person_id,
        policy=policy,
        made_up_by=made_up_by,
        makeup_for=makeup_for,
        dm_unreachable=dm_unreachable,
        signed_off_seq=signed_off_seq,
        stays=stays,
        imported=imported,
        checked_in_at=checked_in_at,
        checked_out_at=checkouts[-1] if checkouts else None,
        survey_confirms=any(
            e.kind is EvidenceKind.SURVEY and e.data.get("attended") is True for e in own
        ),
        noticed=bool(notices),
        notice_in_time=any(e.at <= deadline for e in notices),
        verification=verification,
        amended=signed_off_seq is not None
        and any(e.kind in _CHANGES and e.seq > signed_off_seq for e in own),
        alternative=alternative,
        decided=decided,
        settled=None
        if stays.open_stays or stays.open_cameras
        else seen_at(stays, session, policy, session.end),
    )
