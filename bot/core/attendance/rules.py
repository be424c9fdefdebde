"""The attendance rules of PRODUCT.md: one (session, participant) → one record.

`compute_record` is pure: it takes the ledger entries that concern the pair and
returns the record, whatever the order or duplication of those entries.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.core.attendance.alternatives import FLAGS as MAKEUP_FLAGS
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
    AttendanceRecord,
    EvidenceKind,
    Flag,
    Group,
    LedgerEntry,
    Participation,
    Policy,
    Session,
    SessionState,
    Status,
)

FLAG_ORDER = tuple(Flag)
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


def _sorted_flags(flags: Iterable[Flag]) -> tuple[Flag, ...]:
    chosen = set(flags)
    return tuple(f for f in FLAG_ORDER if f in chosen)


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


def _seen(p: _Stays, session: Session, policy: Policy, now: datetime) -> _Seen:
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
        else _seen(stays, session, policy, session.end),
    )


def compute_record(
    *,
    session: Session,
    group: Group,
    person_id: str,
    entries: Iterable[LedgerEntry],
    policy: Policy,
    now: datetime,
    made_up_by: str | None = None,
    makeup_for: str | None = None,
    dm_unreachable: bool = False,
    signed_off_seq: int | None = None,
) -> AttendanceRecord:
    """Apply the status rules in order (first that applies wins) and set the flags.

    `entries`: this person's evidence for the session (session-bound entries with
    `session_id == session.id`) and their presence entries for the group around
    it (any session_id). `made_up_by`: id of an attended make-up session for this
    one; `makeup_for`: the missed session this one makes up for the person (a
    booking), when the session itself is not a dedicated make-up. `now` bounds open
    stays; before the end no `partial` or `left_early` is decided yet.
    `signed_off_seq`: the ledger seq of the session's sign-off, if any; a verification
    stored after it is an amendment.
    """
    return record_at(
        prepare(
            session=session,
            group=group,
            person_id=person_id,
            entries=entries,
            policy=policy,
            made_up_by=made_up_by,
            makeup_for=makeup_for,
            dm_unreachable=dm_unreachable,
            signed_off_seq=signed_off_seq,
        ),
        now,
    )


def record_at(p: Prepared, now: datetime) -> AttendanceRecord:
    """The record of `p` at `now` (the rest of `compute_record`)."""
    session, group, policy = p.session, p.group, p.policy
    ended = now >= session.end or session.state is SessionState.ENDED
    view = p.settled or _seen(p.stays, session, policy, now)
    seen, camera_minutes = view.seen, view.camera_minutes
    first_seen, last_seen = view.first_seen, view.last_seen
    in_room = view.in_room and not ended

    checked_in_at, checked_out_at = p.checked_in_at, p.checked_out_at
    notice_in_time = p.notice_in_time
    verification = p.verification

    attended_evidence = seen or checked_in_at is not None or p.survey_confirms
    late_cutoff = session.start + timedelta(minutes=policy.late_after_minutes)
    early_cutoff = session.end - timedelta(minutes=policy.late_after_minutes)
    flags: set[Flag] = set()
    if p.dm_unreachable:
        flags.add(Flag.DM_UNREACHABLE)

    # minutes: presence when seen, else from check-in to checkout (check-in-only)
    if seen:
        attended_us = view.attended_us
        if view.uncertain:
            flags.add(Flag.UNCERTAIN)
        if p.imported:
            flags.add(Flag.IMPORTED)
        if checked_in_at is None:
            flags.add(Flag.SEEN_NOT_CHECKED_IN)
        if ended and last_seen is not None and last_seen < early_cutoff:
            flags.add(Flag.LEFT_EARLY)
    elif checked_in_at is not None and not group.has_presence_detection:
        stay_end = min(checked_out_at or min(now, session.end), session.end)
        stay_start = max(checked_in_at, session.start)
        attended_us = total_microseconds(
            [Interval(start=stay_start, end=stay_end)] if stay_end > stay_start else []
        )
        if ended and checked_out_at is not None and checked_out_at < early_cutoff:
            flags.add(Flag.LEFT_EARLY)
    else:
        attended_us = 0
    attended_minutes = minutes_half_up(attended_us)
    if group.has_presence_detection and not seen and checked_in_at is not None:
        flags.add(Flag.CHECKED_IN_NOT_SEEN)
    if p.noticed and not notice_in_time and not attended_evidence:
        flags.add(Flag.LATE_NOTICE)
    if p.signed_off_seq is not None:
        flags.add(Flag.SIGNED_OFF)
        if p.amended:
            flags.add(Flag.AMENDED)
    alternative, decided = p.alternative, p.decided

    status: Status
    verified_by: str | None = None
    participation: Participation | None = None
    if verification is not None:
        participation = verification.participation
    if decided and verification is not None and verification.status is not None:
        status = verification.status
        verified_by = verification.by
        flags.add(Flag.OVERRIDE)
        if verification.minutes is not None:
            attended_minutes = max(0, min(verification.minutes, session.minutes))
            flags.add(Flag.ATTESTED_MINUTES)
    elif alternative is not None:
        status = Status.MADE_UP
        flags.add(MAKEUP_FLAGS[alternative.kind])
        # a one-on-one is confirmed by the facilitator who held it: a verification
        # (PRODUCT.md: flag override, verified_by set)
        if alternative.kind == "one_on_one":
            verified_by = alternative.by
            flags.add(Flag.OVERRIDE)
    elif p.made_up_by is not None:
        status = Status.MADE_UP
    elif not attended_evidence and notice_in_time:
        status = Status.EXCUSED
    elif not attended_evidence:
        status = Status.ABSENT
    elif seen:
        if ended and attended_minutes < policy.min_attendance_ratio * session.minutes:
            status = Status.PARTIAL
        elif first_seen is not None and first_seen > late_cutoff:
            status = Status.LATE
        else:
            status = Status.PRESENT
    elif group.has_presence_detection:
        # checked in (or confirmed by survey) but never seen: a facilitator resolves it
        status = Status.UNVERIFIED
        flags.add(
            Flag.CHECKED_IN_NOT_SEEN if checked_in_at is not None else Flag.SELF_REPORTED_NOT_SEEN
        )
    elif checked_in_at is None:
        # only a survey says they came, and there is no time to count: resolve by hand
        status = Status.UNVERIFIED
    elif checked_in_at > late_cutoff:
        status = Status.LATE
    else:
        status = Status.PRESENT

    return AttendanceRecord(
        session_id=session.id,
        group_id=session.group_id,
        person_id=p.person_id,
        status=status,
        attended_minutes=attended_minutes,
        camera_minutes=camera_minutes,
        first_seen=first_seen,
        last_seen=last_seen,
        checked_in_at=checked_in_at,
        flags=_sorted_flags(flags),
        verified_by=verified_by,
        makeup_for=session.makeup_for or p.makeup_for,
        participation=participation,
        in_room=in_room,
    )
