"""The attendance rules of PRODUCT.md: one (session, participant) → one record.

`compute_record` is pure: it takes the ledger entries that concern the pair and
returns the record, whatever the order or duplication of those entries.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from bot.core.attendance.alternatives import FLAGS as MAKEUP_FLAGS
from bot.core.attendance.intervals import (
    Interval,
    minutes_half_up,
    total_microseconds,
)
from bot.core.attendance.prepared import Prepared, prepare, seen_at
from bot.core.domain import (
    AttendanceRecord,
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


def _sorted_flags(flags: Iterable[Flag]) -> tuple[Flag, ...]:
    chosen = set(flags)
    return tuple(f for f in FLAG_ORDER if f in chosen)


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
    view = p.settled or seen_at(p.stays, session, policy, now)
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
