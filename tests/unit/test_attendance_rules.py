"""Worked examples of PRODUCT.md "Attendance rules", numbers computed by hand.

Reference: session Mon 18:00–21:00 UTC = 180 scheduled minutes, default Policy:
  window for presence   = [18:00 − 15 min, 21:00 + 120 s] = [17:45, 21:02]
  reconnect merge gap   = 120 s (a gap ≤ 120 s counts as continuous)
  partial when          attended_minutes < 0.8 × 180 = 144
  late when             first seen / checked in after 18:00 + 10 min = 18:10
  left_early when       last seen (or checkout) before 21:00 − 10 min = 20:50
  excused notice        given at or before 18:00 − 24 h = Sun 18:00
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from bot.core.attendance.intervals import minutes_half_up
from bot.core.domain import Flag, LedgerEntry, Participation, Policy, Status
from tests.unit.evidence import (
    AFTER,
    CHECKIN_GROUP,
    FACILITATOR,
    PERSON,
    SESSION,
    camera_off,
    camera_on,
    checkin,
    checkout,
    join,
    leave,
    makeup_done,
    makeup_offered,
    notice,
    record,
    stay,
    survey,
    t,
    verify,
)

OVERRIDE = Flag.OVERRIDE
LATE_NOTICE = Flag.LATE_NOTICE
NOT_SEEN = Flag.CHECKED_IN_NOT_SEEN
NOT_CHECKED_IN = Flag.SEEN_NOT_CHECKED_IN
LEFT_EARLY = Flag.LEFT_EARLY
UNCERTAIN = Flag.UNCERTAIN


# --- presence: on time, late, reconnects, early leave -----------------------------------


def test_on_time_present() -> None:
    # checked in 17:55, in the room 17:58–21:00: clipped to 18:00–21:00 = 180 min;
    # first seen 17:58 ≤ 18:10 → not late; 180 ≥ 144 → present; left 21:00 ≥ 20:50.
    r = record([checkin("17:55"), *stay("17:58", "21:00")])
    assert r.status is Status.PRESENT
    assert r.attended_minutes == 180
    assert r.first_seen == t("17:58")
    assert r.last_seen == t("21:00")
    assert r.checked_in_at == t("17:55")
    assert r.flags == ()
    assert r.session_id == SESSION.id
    assert r.person_id == PERSON
    assert r.in_room is False
    assert r.verified_by is None
    assert r.makeup_for is None


def test_late_join_first_seen_1811() -> None:
    # first seen 18:11 > 18:10 → late; 18:11–21:00 = 169 min ≥ 144 → not partial.
    r = record([checkin("18:11"), *stay("18:11", "21:00")])
    assert r.status is Status.LATE
    assert r.attended_minutes == 169
    assert r.flags == ()


def test_join_at_1810_exactly_is_present() -> None:
    # first seen 18:10 is not *after* 18:10 → present; 18:10–21:00 = 170 min.
    r = record([checkin("18:10"), *stay("18:10", "21:00")])
    assert r.status is Status.PRESENT
    assert r.attended_minutes == 170


def test_one_microsecond_after_the_late_cutoff_is_late() -> None:
    # 18:10:00.000001 > 18:10 → late; 169.99999998 min rounds to 170.
    r = record([checkin("18:05"), *stay("18:10:00.000001", "21:00")])
    assert r.status is Status.LATE
    assert r.attended_minutes == 170


def test_reconnect_gap_of_90_s_counts_as_continuous() -> None:
    # 18:00–19:00, gap 19:00–19:01:30 (90 s ≤ 120 s) merged, 19:01:30–21:00:
    # one stay 18:00–21:00 = 180 min, the gap included.
    r = record([checkin("17:55"), *stay("18:00", "19:00"), *stay("19:01:30", "21:00")])
    assert r.attended_minutes == 180
    assert r.status is Status.PRESENT
    assert r.flags == ()


def test_reconnect_gap_of_exactly_120_s_counts_as_continuous() -> None:
    # gap 19:00–19:02 = 120 s ≤ 120 s → merged: 180 min.
    r = record([checkin("17:55"), *stay("18:00", "19:00"), *stay("19:02", "21:00")])
    assert r.attended_minutes == 180


def test_reconnect_gap_of_121_s_is_excluded() -> None:
    # gap 19:00–19:02:01 = 121 s > 120 s → not merged:
    # 60 min + (19:02:01–21:00 = 117 min 59 s) = 177 min 59 s → rounds to 178.
    r = record([checkin("17:55"), *stay("18:00", "19:00"), *stay("19:02:01", "21:00")])
    assert r.attended_minutes == 178
    assert r.status is Status.PRESENT


def test_reconnect_gap_across_sources_is_merged() -> None:
    # zoom 18:00–19:00, then discord from 19:01:30: the 90 s gap counts → 180 min.
    r = record(
        [
            checkin("17:55"),
            *stay("18:00", "19:00", source="zoom"),
            *stay("19:01:30", "21:00", source="discord"),
        ]
    )
    assert r.attended_minutes == 180


def test_early_leave_at_2000_is_partial_and_left_early() -> None:
    # 18:00–20:00 = 120 min < 144 → partial; last seen 20:00 < 20:50 → left_early.
    r = record([checkin("17:55"), *stay("18:00", "20:00")])
    assert r.status is Status.PARTIAL
    assert r.attended_minutes == 120
    assert r.last_seen == t("20:00")
    assert r.flags == (LEFT_EARLY,)


def test_leave_at_2050_exactly_is_not_left_early() -> None:
    # 18:00–20:50 = 170 min ≥ 144 → present; last seen 20:50 is not *before* 20:50.
    r = record([checkin("17:55"), *stay("18:00", "20:50")])
    assert r.status is Status.PRESENT
    assert r.attended_minutes == 170
    assert r.flags == ()


def test_leave_at_2049_is_present_and_left_early() -> None:
    # 18:00–20:49 = 169 min ≥ 144 → present; 20:49 < 20:50 → left_early.
    r = record([checkin("17:55"), *stay("18:00", "20:49")])
    assert r.status is Status.PRESENT
    assert r.attended_minutes == 169
    assert r.flags == (LEFT_EARLY,)


def test_exactly_144_minutes_is_not_partial() -> None:
    # 18:00–20:24 = 144 min, not < 144 → present (+ left_early: 20:24 < 20:50).
    r = record([checkin("17:55"), *stay("18:00", "20:24")])
    assert r.status is Status.PRESENT
    assert r.attended_minutes == 144
    assert r.flags == (LEFT_EARLY,)


def test_143_min_29_s_is_partial() -> None:
    # 18:00–20:23:29 = 143 min 29 s → 143 min (29 s rounds down) < 144 → partial.
    r = record([checkin("17:55"), *stay("18:00", "20:23:29")])
    assert r.status is Status.PARTIAL
    assert r.attended_minutes == 143


def test_partial_threshold_uses_rounded_attended_minutes() -> None:
    # 18:00–20:23:30 = 143 min 30 s → attended_minutes = 144 (half up);
    # 144 < 144 is false → present (+ left_early: 20:23:30 < 20:50).
    r = record([checkin("17:55"), *stay("18:00", "20:23:30")])
    assert r.attended_minutes == 144
    assert r.status is Status.PRESENT
    assert r.flags == (LEFT_EARLY,)


# --- the window and clipping -------------------------------------------------------------


def test_join_before_the_window_opens_still_counts_clipped_to_start() -> None:
    # joined 17:40 (window opens 17:45) and stayed to 21:00: the stay touches the
    # window → belongs; clipped to 18:00–21:00 = 180 min; first seen 17:40 → present.
    r = record([checkin("17:50"), *stay("17:40", "21:00")])
    assert r.status is Status.PRESENT
    assert r.attended_minutes == 180
    assert r.first_seen == t("17:40")


def test_stay_entirely_before_the_window_does_not_belong() -> None:
    # 17:00–17:30 ends before 17:45: not this session's presence → no evidence → absent.
    r = record(stay("17:00", "17:30"))
    assert r.status is Status.ABSENT
    assert r.attended_minutes == 0
    assert r.first_seen is None
    assert r.flags == ()


def test_presence_after_the_end_is_clipped() -> None:
    # 18:00–21:30: clipped to 18:00–21:00 = 180 min; last seen is the real 21:30.
    r = record([checkin("17:55"), *stay("18:00", "21:30")])
    assert r.status is Status.PRESENT
    assert r.attended_minutes == 180
    assert r.last_seen == t("21:30")


def test_stay_starting_after_the_window_does_not_belong() -> None:
    # 21:05–21:30 starts after 21:02: not this session's presence.
    r = record([checkin("17:55"), *stay("18:00", "21:00"), *stay("21:05", "21:30")])
    assert r.attended_minutes == 180
    assert r.last_seen == t("21:00")


# --- rounding -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seconds", "minutes"),
    [(90, 2), (89.999, 1), (30, 1), (29, 0), (29.999999, 0), (0, 0), (150, 3), (149, 2)],
)
def test_minutes_half_up(seconds: float, minutes: int) -> None:
    # 90 s = 1.5 min → 2; 89.999 s = 1.49998 → 1; 30 s = 0.5 → 1; 29 s = 0.483 → 0
    assert minutes_half_up(round(seconds * 1_000_000)) == minutes


@pytest.mark.parametrize(
    ("leave_at", "minutes"),
    [("18:01:30", 2), ("18:01:29.999", 1), ("18:00:30", 1), ("18:00:29", 0)],
)
def test_rounding_half_up_in_the_record(leave_at: str, minutes: int) -> None:
    # stays from 18:00:00 of 90 s, 89.999 s, 30 s and 29 s
    r = record([checkin("17:55"), *stay("18:00", leave_at)])
    assert r.attended_minutes == minutes
    assert r.status is Status.PARTIAL  # far below 144 min


# --- several sources, duplicates, order ----------------------------------------------------


def test_two_overlapping_sources_are_not_double_counted() -> None:
    # discord 18:00–20:00 and zoom 19:00–21:00 overlap 19:00–20:00:
    # union 18:00–21:00 = 180 min, not 120 + 120 = 240.
    r = record(
        [
            checkin("17:55"),
            *stay("18:00", "20:00", source="discord"),
            *stay("19:00", "21:00", source="zoom"),
        ]
    )
    assert r.attended_minutes == 180
    assert r.status is Status.PRESENT
    assert r.flags == ()


def test_two_devices_on_one_source_are_not_double_counted() -> None:
    # zoom stream a 18:00–21:00 and stream b 18:30–19:30 (phone) → union 180 min.
    r = record(
        [
            checkin("17:55"),
            *stay("18:00", "21:00", stream="a"),
            *stay("18:30", "19:30", stream="b"),
        ]
    )
    assert r.attended_minutes == 180


def _scenario() -> list[LedgerEntry]:
    return [
        checkin("18:02"),
        *stay("18:01", "19:00", source="discord"),
        camera_on("18:05", source="discord"),
        camera_off("18:45", source="discord"),
        *stay("19:01", "20:30", source="zoom"),
        *stay("20:31", "20:40", source="zoom", reconciled=True),
    ]


def test_scenario_by_hand() -> None:
    # discord 18:01–19:00, zoom 19:01–20:30 and 20:31–20:40 (gaps of 60 s merge):
    # 18:01–20:40 = 159 min ≥ 144; first seen 18:01 ≤ 18:10 → present;
    # last seen 20:40 < 20:50 → left_early; the reconciled leave → uncertain;
    # camera 18:05–18:45 = 40 min.
    r = record(_scenario())
    assert r.status is Status.PRESENT
    assert r.attended_minutes == 159
    assert r.camera_minutes == 40
    assert r.flags == (LEFT_EARLY, UNCERTAIN)


def test_duplicates_and_out_of_order_give_the_same_record() -> None:
    entries = _scenario()
    expected = record(entries)
    assert record(reversed(entries)) == expected
    assert record(entries + entries) == expected
    assert record([*entries[3:], *entries, *entries[:4]]) == expected
    # a redelivery with its own key but the same platform timestamp changes nothing
    assert record([*entries, join("18:01", source="discord")]) == expected


def test_leave_arriving_before_its_join() -> None:
    # the leave (19:00) was delivered before the join (18:00): pairing goes by the
    # platform's timestamps → 18:00–19:00 = 60 min.
    late_join = join("18:00", recorded_at="19:00:06")
    early_leave = leave("19:00", recorded_at="19:00:05")
    r = record([checkin("17:55"), early_leave, late_join])
    assert r.attended_minutes == 60
    assert r.first_seen == t("18:00")
    assert r.last_seen == t("19:00")
    assert r == record([checkin("17:55"), late_join, early_leave])


def test_evidence_arriving_after_the_session_ended() -> None:
    # the whole stay 18:00–21:00 was delivered the next morning (a replayed webhook);
    # computed then it is the full record: 180 min, present.
    next_day = SESSION.end + timedelta(hours=12)
    entries = [
        checkin("17:55"),
        join("18:00", recorded_at=next_day),
        leave("21:00", recorded_at=next_day),
    ]
    r = record(entries, now=next_day)
    assert r.status is Status.PRESENT
    assert r.attended_minutes == 180
    assert r == record(entries, now=AFTER)


def test_open_stay_after_the_end_counts_to_the_end() -> None:
    # joined 18:00, the leave never came; computed after the end → 18:00–21:00 = 180 min,
    # no longer in the room.
    for now in ("21:00", "23:00", SESSION.end + timedelta(days=1)):
        r = record([checkin("17:55"), join("18:00")], now=now)
        assert r.status is Status.PRESENT
        assert r.attended_minutes == 180
        assert r.in_room is False
        assert r.flags == ()


def test_open_stay_is_closed_at_the_end() -> None:
    # joined 18:00, never left: closed at the end → last seen 21:00 whenever computed.
    entries = [checkin("17:55"), join("18:00")]
    at_end = record(entries, now="21:00")
    assert at_end.last_seen == t("21:00")
    assert record(entries, now="23:00") == at_end
    assert record(entries, now=SESSION.end + timedelta(days=7)) == at_end


# --- facilitator verification -----------------------------------------------------------


def test_verify_overrides_the_computed_status() -> None:
    # computed: 18:00–19:00 = 60 min → partial + left_early; the facilitator says present
    # (participation high): status present, override flag, verified_by, participation.
    r = record(
        [
            checkin("17:55"),
            *stay("18:00", "19:00"),
            verify("21:05", "present", participation="high"),
        ]
    )
    assert r.status is Status.PRESENT
    assert r.verified_by == FACILITATOR
    assert r.participation is Participation.HIGH
    assert r.flags == (OVERRIDE, LEFT_EARLY)
    assert r.attended_minutes == 60  # minutes stay what was measured


def test_verify_absent_overrides_presence() -> None:
    r = record([checkin("17:55"), *stay("18:00", "21:00"), verify("21:05", "absent")])
    assert r.status is Status.ABSENT
    assert r.flags == (OVERRIDE,)
    assert r.participation is None


def test_verify_excused_without_any_evidence() -> None:
    r = record([verify("19:00", "excused", by="f-002")])
    assert r.status is Status.EXCUSED
    assert r.verified_by == "f-002"
    assert r.flags == (OVERRIDE,)


def test_latest_verification_wins_whatever_the_order() -> None:
    first = verify("21:05", "absent", by="f-001", participation="low")
    second = verify("21:10", "late", by="f-002", participation="medium")
    for entries in ([first, second], [second, first]):
        r = record([*stay("18:00", "21:00"), *entries])
        assert r.status is Status.LATE
        assert r.verified_by == "f-002"
        assert r.participation is Participation.MEDIUM
        assert r.flags == (OVERRIDE, NOT_CHECKED_IN)


def test_verify_wins_over_made_up() -> None:
    r = record([verify("21:05", "absent")], made_up_by="s-9")
    assert r.status is Status.ABSENT
    assert r.flags == (OVERRIDE,)


# --- absence notices ----------------------------------------------------------------------


def test_notice_24_h_before_is_excused() -> None:
    # given Sun 18:00 = exactly 24 h before the start (≥ 24 h) and no attendance → excused
    r = record([notice(SESSION.start - timedelta(hours=24))])
    assert r.status is Status.EXCUSED
    assert r.flags == ()
    assert r.attended_minutes == 0


def test_notice_two_days_before_is_excused() -> None:
    r = record([notice(SESSION.start - timedelta(days=2))])
    assert r.status is Status.EXCUSED


def test_notice_12_h_before_is_late_notice() -> None:
    # 12 h < 24 h → not excused; no evidence → absent with late_notice
    r = record([notice(SESSION.start - timedelta(hours=12))])
    assert r.status is Status.ABSENT
    assert r.flags == (LATE_NOTICE,)


def test_notice_one_second_too_late() -> None:
    r = record([notice(SESSION.start - timedelta(hours=24) + timedelta(seconds=1))])
    assert r.status is Status.ABSENT
    assert r.flags == (LATE_NOTICE,)


def test_notice_then_attended_is_present() -> None:
    # evidence of attendance beats the notice: 180 min present, no late_notice
    for given in (timedelta(hours=48), timedelta(hours=12)):
        r = record([notice(SESSION.start - given), checkin("17:55"), *stay("17:58", "21:00")])
        assert r.status is Status.PRESENT
        assert r.attended_minutes == 180
        assert r.flags == ()


def test_no_evidence_at_all_is_absent() -> None:
    r = record([])
    assert r.status is Status.ABSENT
    assert r.flags == ()
    assert r.first_seen is None
    assert r.last_seen is None
    assert r.checked_in_at is None


def test_survey_saying_not_attended_is_no_evidence() -> None:
    r = record([survey("21:30", attended=False)], group=CHECKIN_GROUP)
    assert r.status is Status.ABSENT


# --- check-in-only groups (no presence detection) --------------------------------------


def test_checkin_only_before_start_counts_from_start() -> None:
    # check-in 17:55 ≤ 18:10 → present; minutes from 18:00 (start, later than check-in)
    # to the end 21:00 = 180.
    r = record([checkin("17:55")], group=CHECKIN_GROUP)
    assert r.status is Status.PRESENT
    assert r.attended_minutes == 180
    assert r.checked_in_at == t("17:55")
    assert r.flags == ()
    assert r.first_seen is None


def test_checkin_only_late() -> None:
    # check-in 18:20 > 18:10 → late; 18:20–21:00 = 160 min
    r = record([checkin("18:20")], group=CHECKIN_GROUP)
    assert r.status is Status.LATE
    assert r.attended_minutes == 160
    assert r.flags == ()


def test_checkin_only_at_1810_is_present() -> None:
    r = record([checkin("18:10")], group=CHECKIN_GROUP)
    assert r.status is Status.PRESENT
    assert r.attended_minutes == 170


def test_checkin_only_checkout_at_1900() -> None:
    # 18:00–19:00 = 60 min; checkout 19:00 < 20:50 → left_early; check-in only has no
    # partial rule (PRODUCT.md: late or present) → present
    r = record([checkin("17:55"), checkout("19:00")], group=CHECKIN_GROUP)
    assert r.attended_minutes == 60
    assert r.flags == (LEFT_EARLY,)
    assert r.status is Status.PRESENT


def test_checkin_only_second_checkin_changes_nothing() -> None:
    once = record([checkin("17:55"), checkout("19:00")], group=CHECKIN_GROUP)
    twice = record([checkin("17:55"), checkin("18:30"), checkout("19:00")], group=CHECKIN_GROUP)
    assert twice == once


def test_checkin_only_live() -> None:
    # now 19:30, checked in 17:55 → 18:00–19:30 = 90 min so far, present
    r = record([checkin("17:55")], group=CHECKIN_GROUP, now="19:30")
    assert r.attended_minutes == 90
    assert r.status is Status.PRESENT
    assert r.flags == ()


def test_survey_only_in_checkin_group_is_unverified() -> None:
    # the survey confirms attendance but there is no time to count: resolved by hand
    r = record([survey("21:30")], group=CHECKIN_GROUP)
    assert r.status is Status.UNVERIFIED
    assert r.flags == ()
    assert r.attended_minutes == 0


# --- presence-detection groups: check-in vs presence -----------------------------------


def test_checked_in_but_never_seen() -> None:
    r = record([checkin("17:55")])
    assert r.status is Status.UNVERIFIED
    assert r.flags == (NOT_SEEN,)
    assert r.attended_minutes == 0
    assert r.checked_in_at == t("17:55")


def test_survey_only_in_presence_group_is_unverified() -> None:
    # rule 2: presence detection and never seen → unverified, with its own flag
    r = record([survey("21:30")])
    assert r.status is Status.UNVERIFIED
    assert r.flags == (Flag.SELF_REPORTED_NOT_SEEN,)


def test_seen_but_not_checked_in() -> None:
    r = record(stay("18:00", "21:00"))
    assert r.status is Status.PRESENT
    assert r.attended_minutes == 180
    assert r.flags == (NOT_CHECKED_IN,)
    assert r.checked_in_at is None


def test_made_up() -> None:
    r = record([], made_up_by="s-9")
    assert r.status is Status.MADE_UP
    assert r.flags == ()


def test_makeup_session_carries_makeup_for() -> None:
    makeup = dataclasses.replace(SESSION, id="s-9", makeup_for=SESSION.id)
    r = record([checkin("17:55", session=makeup), *stay("18:00", "21:00")], session=makeup)
    assert r.makeup_for == SESSION.id
    assert r.session_id == "s-9"
    assert r.status is Status.PRESENT


def test_uncertain_from_a_reconciled_leave() -> None:
    # the platform's leave was lost; reconciliation closed the stay at 21:00
    r = record([checkin("17:55"), join("18:00"), leave("21:00", reconciled=True)])
    assert r.status is Status.PRESENT
    assert r.attended_minutes == 180
    assert r.flags == (UNCERTAIN,)


def test_real_leave_wins_over_reconciled_leave_at_the_same_instant() -> None:
    r = record([checkin("17:55"), join("18:00"), leave("21:00", reconciled=True), leave("21:00")])
    assert r.flags == ()


def test_dm_unreachable_flag_passes_through() -> None:
    r = record([], dm_unreachable=True)
    assert r.status is Status.ABSENT
    assert r.flags == (Flag.DM_UNREACHABLE,)


def test_flags_in_canonical_order() -> None:
    # late notice needs no attendance, so combine override + the presence flags instead
    r = record(
        [
            *stay("18:00", "19:00", reconciled=True),
            verify("21:05", "partial"),
        ],
        dm_unreachable=True,
    )
    assert r.flags == (OVERRIDE, NOT_CHECKED_IN, LEFT_EARLY, UNCERTAIN, Flag.DM_UNREACHABLE)


# --- camera -------------------------------------------------------------------------------


def test_camera_minutes_from_camera_intervals() -> None:
    # camera 18:00–19:00 (60) and 19:30–21:00 (90) = 150 min; stay 180 min
    r = record(
        [
            checkin("17:55"),
            join("18:00"),
            camera_on("18:00"),
            camera_off("19:00"),
            camera_on("19:30"),
            leave("21:00"),
        ]
    )
    assert r.attended_minutes == 180
    assert r.camera_minutes == 150


def test_leave_closes_the_camera() -> None:
    # camera 18:00–19:00 (60) + 19:30–20:00 (30, closed by the leave) = 90 min; the
    # rejoin at 20:10 without camera_on does not reopen it.
    # stays 18:00–20:00 (120) + 20:10–21:00 (50) = 170 min ≥ 144, first seen 18:00 → present.
    r = record(
        [
            checkin("17:55"),
            join("18:00"),
            camera_on("18:00"),
            camera_off("19:00"),
            camera_on("19:30"),
            leave("20:00"),
            *stay("20:10", "21:00"),
        ]
    )
    assert r.camera_minutes == 90
    assert r.attended_minutes == 170
    assert r.status is Status.PRESENT
    assert r.flags == ()


def test_camera_clipped_to_the_session() -> None:
    # camera on 17:50–21:20 → clipped 18:00–21:00 = 180
    r = record(
        [checkin("17:50"), join("17:50"), camera_on("17:50"), leave("21:20")],
    )
    assert r.camera_minutes == 180


def test_leave_closes_the_camera_even_without_a_join() -> None:
    # the join was lost; camera_on at 18:00 and leave at 19:00 on the same stream:
    # the person left at 19:00, so the camera was on at most 18:00–19:00 = 60 min.
    r = record([checkin("17:55"), camera_on("18:00"), leave("19:00")])
    assert r.camera_minutes <= 60


# --- live (now mid-session) ---------------------------------------------------------------


def test_live_record_with_an_open_stay() -> None:
    # now 19:30, in the room since 18:00: 90 min so far < 144 but the session has not
    # ended → present, not partial, no left_early; in the room.
    r = record([checkin("17:55"), join("18:00"), camera_on("18:05")], now="19:30")
    assert r.in_room is True
    assert r.attended_minutes == 90
    assert r.camera_minutes == 85
    assert r.status is Status.PRESENT
    assert r.flags == ()
    assert r.last_seen == t("19:30")


def test_live_record_after_a_short_stay() -> None:
    # now 19:00; was in 18:00–18:30 (30 min): not partial and not left_early yet
    r = record([checkin("17:55"), *stay("18:00", "18:30")], now="19:00")
    assert r.in_room is False
    assert r.attended_minutes == 30
    assert r.status is Status.PRESENT
    assert r.flags == ()


def test_live_late_is_decided_already() -> None:
    r = record([checkin("18:15"), join("18:15")], now="18:45")
    assert r.status is Status.LATE
    assert r.attended_minutes == 30
    assert r.in_room is True


def test_custom_policy() -> None:
    # 60-minute reconnect merge, late after 5 min, ratio 0.5 of 180 = 90 min
    policy = Policy(reconnect_merge_seconds=3600, late_after_minutes=5, min_attendance_ratio=0.5)
    # 18:06 > 18:05 → late; 18:06–19:00 + gap 50 min (merged) + 19:50–20:00 = 114 ≥ 90
    r = record([checkin("18:06"), *stay("18:06", "19:00"), *stay("19:50", "20:00")], policy=policy)
    assert r.attended_minutes == 114
    assert r.status is Status.LATE
    assert r.flags == (LEFT_EARLY,)  # 20:00 < 20:55


# --- make-ups by recorded content or a one-on-one ----------------------------------------


def test_an_offer_alone_changes_nothing_a_completed_alternative_is_made_up() -> None:
    assert record([makeup_offered("23:30")], now=AFTER).status is Status.ABSENT
    r = record([makeup_offered("23:30"), makeup_done("23:50", "recorded")])
    assert r.status is Status.MADE_UP
    assert r.flags == (Flag.MAKEUP_RECORDED,) and r.verified_by is None
    one = record([makeup_done("23:50", "one_on_one", by=FACILITATOR)])
    assert one.status is Status.MADE_UP
    assert one.flags == (Flag.OVERRIDE, Flag.MAKEUP_ONE_ON_ONE) and one.verified_by == FACILITATOR


def test_a_make_up_beats_an_earlier_absent_mark_and_a_later_status_beats_it() -> None:
    earlier = record([verify("21:30", "absent"), makeup_done("23:50", "recorded")])
    assert earlier.status is Status.MADE_UP and OVERRIDE not in earlier.flags
    later = record([makeup_done("21:30", "recorded"), verify("23:50", "absent")])
    assert later.status is Status.ABSENT and OVERRIDE in later.flags
    # a "present" the facilitator set is not a miss: it stands
    present = record([verify("21:30", "present"), makeup_done("23:50", "one_on_one")])
    assert present.status is Status.PRESENT
