"""The attendance rules of PRODUCT.md: one (session, participant) → one record.

`compute_record` is pure: it takes the ledger entries that concern the pair and
returns the record, whatever the order or duplication of those entries.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.core.attendance.alternatives import FLAGS as MAKEUP_FLAGS
from bot.core.attendance.alternatives import done_of
from bot.core.attendance.intervals import (
    Interval,
    clip,
    merge,
    minutes_half_up,
    overlapping,
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
    all_entries = list(entries)
    own = [e for e in all_entries if e.session_id == session.id]
    ended = now >= session.end or session.state is SessionState.ENDED

    # presence (rule 1): stays touching the widened window, merged, clipped
    window_start, window_end = session.window(policy)
    # open stays run to "now", and no further than the end once it has passed
    presence = presence_from(all_entries, min(now, session.end))
    stays = overlapping(presence.stays, window_start, window_end)
    merged = merge(stays, policy.reconnect_merge_seconds)
    clipped = clip(merged, session.start, session.end)
    seen = bool(stays)
    # presence that came from a platform's participant report (bot.core.attendance.imported)
    imported = bool(
        overlapping(
            presence_from((e for e in all_entries if e.data.get("imported")), session.end).stays,
            window_start,
            window_end,
        )
    )
    cams = merge(
        overlapping(presence.camera, window_start, window_end), policy.reconnect_merge_seconds
    )
    # camera time counts only while present (a camera span may bridge a gap the stays
    # do not), so camera minutes never exceed attended minutes
    camera_minutes = minutes_half_up(
        total_microseconds([c for stay in clipped for c in clip(cams, stay.start, stay.end)])
    )

    first_seen = min((i.start for i in stays), default=None)
    last_seen = max((i.end for i in stays), default=None)
    in_room = any(i.open for i in stays) and not ended

    checkins = sorted(e.at for e in own if e.kind is EvidenceKind.CHECKIN)
    checked_in_at = checkins[0] if checkins else None
    checkouts = sorted(
        e.at
        for e in own
        if e.kind is EvidenceKind.CHECKOUT and checked_in_at and e.at >= checked_in_at
    )
    checked_out_at = checkouts[-1] if checkouts else None
    survey_confirms = any(
        e.kind is EvidenceKind.SURVEY and e.data.get("attended") is True for e in own
    )
    notices = [e for e in own if e.kind is EvidenceKind.ABSENCE_NOTICE]
    deadline = session.start - timedelta(hours=policy.advance_notice_hours)
    notice_in_time = any(e.at <= deadline for e in notices)
    verification = _latest_verification(own)

    attended_evidence = seen or checked_in_at is not None or survey_confirms
    late_cutoff = session.start + timedelta(minutes=policy.late_after_minutes)
    early_cutoff = session.end - timedelta(minutes=policy.late_after_minutes)
    flags: set[Flag] = set()
    if dm_unreachable:
        flags.add(Flag.DM_UNREACHABLE)

    # minutes: presence when seen, else from check-in to checkout (check-in-only)
    if seen:
        attended_us = total_microseconds(clipped)
        if any(i.uncertain for i in stays):
            flags.add(Flag.UNCERTAIN)
        if imported:
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
    if notices and not notice_in_time and not attended_evidence:
        flags.add(Flag.LATE_NOTICE)
    if signed_off_seq is not None:
        flags.add(Flag.SIGNED_OFF)
        changes = (EvidenceKind.VERIFY, EvidenceKind.MAKEUP_ALTERNATIVE)
        if any(e.kind in changes and e.seq > signed_off_seq for e in own):
            flags.add(Flag.AMENDED)
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
    elif made_up_by is not None:
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
        person_id=person_id,
        status=status,
        attended_minutes=attended_minutes,
        camera_minutes=camera_minutes,
        first_seen=first_seen,
        last_seen=last_seen,
        checked_in_at=checked_in_at,
        flags=_sorted_flags(flags),
        verified_by=verified_by,
        makeup_for=session.makeup_for or makeup_for,
        participation=participation,
        in_room=in_room,
    )
