"""Properties of the attendance rules (PRODUCT.md "Attendance rules"), with hypothesis."""

from __future__ import annotations

import dataclasses
import itertools
from datetime import datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.attendance.intervals import Interval, merge
from bot.core.domain import (
    VERIFIABLE,
    AttendanceRecord,
    EvidenceKind,
    Flag,
    Group,
    LedgerEntry,
    Participation,
    Session,
    Status,
)
from tests.unit.evidence import (
    CHECKIN_GROUP,
    PRESENCE_GROUP,
    SESSION,
    camera_off,
    camera_on,
    checkin,
    checkout,
    join,
    leave,
    notice,
    presence,
    record,
    survey,
    verify,
)

FAST = settings(max_examples=200, deadline=None)

START = SESSION.start
SOURCES = ("zoom", "discord")
STREAMS = ("", "a")


# --- strategies ---------------------------------------------------------------------------


@st.composite
def sessions(draw: st.DrawFn) -> Session:
    minutes = draw(st.sampled_from([30, 60, 90, 180, 181, 240]))
    return dataclasses.replace(SESSION, end=START + timedelta(minutes=minutes))


def around(session: Session) -> st.SearchStrategy[datetime]:
    """Instants from an hour before the start to an hour after the end, with
    whole seconds mostly and an occasional half second (rounding edges)."""
    span = int((session.end - session.start).total_seconds()) + 2 * 3600
    return st.builds(
        lambda s, half: session.start - timedelta(hours=1) + timedelta(seconds=s + half / 2),
        st.integers(0, span),
        st.sampled_from([0, 0, 0, 1]),
    )


def presence_events(session: Session) -> st.SearchStrategy[LedgerEntry]:
    return st.builds(
        presence,
        st.sampled_from(["join", "leave", "camera_on", "camera_off"]),
        around(session),
        source=st.sampled_from(SOURCES),
        stream=st.sampled_from(STREAMS),
        reconciled=st.booleans(),
    )


def verifications(session: Session) -> st.SearchStrategy[LedgerEntry]:
    return st.builds(
        verify,
        around(session),
        st.sampled_from(sorted(VERIFIABLE)),
        by=st.sampled_from(["f-001", "f-002"]),
        participation=st.sampled_from([None, *Participation]),
        session=st.just(session),
    )


def session_evidence(session: Session, *, with_verify: bool) -> st.SearchStrategy[LedgerEntry]:
    when = around(session)
    options = [
        st.builds(checkin, when, session=st.just(session)),
        st.builds(checkout, when, session=st.just(session)),
        st.builds(survey, when, attended=st.booleans(), session=st.just(session)),
        st.builds(
            notice,
            st.integers(0, 72 * 3600).map(lambda s: session.start - timedelta(seconds=s)),
            session=st.just(session),
        ),
    ]
    if with_verify:
        options.append(verifications(session))
    return st.one_of(options)


@st.composite
def scenarios(draw: st.DrawFn, *, with_verify: bool = True) -> dict[str, object]:
    """Arbitrary (possibly ill-formed) evidence for one person and one session."""
    session = draw(sessions())
    entries = draw(
        st.lists(
            st.one_of(presence_events(session), session_evidence(session, with_verify=with_verify)),
            max_size=14,
        )
    )
    return {
        "session": session,
        "entries": entries,
        "group": draw(st.sampled_from([PRESENCE_GROUP, CHECKIN_GROUP])),
        # half the time mid-session (live), half the time well after the end
        "now": draw(st.one_of(around(session), st.just(session.end + timedelta(hours=2)))),
        "made_up_by": draw(st.sampled_from([None, None, None, "s-9"])),
        "dm_unreachable": draw(st.booleans()),
    }


def compute(
    scenario: dict[str, object], entries: list[LedgerEntry] | None = None
) -> AttendanceRecord:
    kwargs = dict(scenario)
    if entries is not None:
        kwargs["entries"] = entries
    return record(**kwargs)  # type: ignore[arg-type]


@st.composite
def well_formed_stays(
    draw: st.DrawFn, session: Session, *, camera: bool = False
) -> list[list[LedgerEntry]]:
    """Per stream, disjoint join→leave stays (each a list of entries), optionally with
    the camera switched on (and maybe off) strictly inside the stay."""
    stays: list[list[LedgerEntry]] = []
    for source in SOURCES:
        for stream in STREAMS:
            points = sorted(set(draw(st.lists(around(session), max_size=6))))
            for a, b in zip(points[0::2], points[1::2], strict=False):
                entries = [
                    join(a, source=source, stream=stream),
                    leave(b, source=source, stream=stream),
                ]
                if camera and draw(st.booleans()):
                    inside = draw(st.floats(0, 1)), draw(st.floats(0, 1))
                    on_at = a + (b - a) * min(inside)
                    entries.append(camera_on(on_at, source=source, stream=stream))
                    if draw(st.booleans()):
                        off_at = a + (b - a) * max(inside)
                        entries.append(camera_off(off_at, source=source, stream=stream))
                stays.append(entries)
    return stays


def flatten(groups: list[list[LedgerEntry]]) -> list[LedgerEntry]:
    return [e for g in groups for e in g]


# --- order, duplicates ----------------------------------------------------------------------


@FAST
@given(scenarios(), st.data())
def test_independent_of_order(scenario: dict[str, object], data: st.DataObject) -> None:
    entries: list[LedgerEntry] = scenario["entries"]  # type: ignore[assignment]
    shuffled = data.draw(st.permutations(entries))
    assert compute(scenario, list(shuffled)) == compute(scenario)


@FAST
@given(scenarios(), st.data())
def test_independent_of_duplicates(scenario: dict[str, object], data: st.DataObject) -> None:
    entries: list[LedgerEntry] = scenario["entries"]  # type: ignore[assignment]
    if not entries:
        return
    extra = data.draw(st.lists(st.sampled_from(entries), min_size=1, max_size=10))
    mixed = data.draw(st.permutations([*entries, *extra]))
    assert compute(scenario, list(mixed)) == compute(scenario)


@FAST
@given(scenarios(), st.data())
def test_redelivery_with_new_keys_changes_nothing(
    scenario: dict[str, object], data: st.DataObject
) -> None:
    # the same presence event delivered again (new ledger key, same platform time)
    entries: list[LedgerEntry] = scenario["entries"]  # type: ignore[assignment]
    seen = [e for e in entries if e.kind is EvidenceKind.PRESENCE]
    if not seen:
        return
    again = data.draw(st.lists(st.sampled_from(seen), min_size=1, max_size=5))
    copies = [dataclasses.replace(e, key=e.key + "-again") for e in again]
    assert compute(scenario, [*entries, *copies]) == compute(scenario)


# --- bounds ---------------------------------------------------------------------------------


@FAST
@given(scenarios())
def test_minutes_are_bounded_by_the_schedule(scenario: dict[str, object]) -> None:
    session: Session = scenario["session"]  # type: ignore[assignment]
    r = compute(scenario)
    assert 0 <= r.attended_minutes <= session.minutes
    assert 0 <= r.camera_minutes <= session.minutes


@FAST
@given(st.data())
def test_camera_within_stays_never_exceeds_attended(data: st.DataObject) -> None:
    session = data.draw(sessions())
    entries = flatten(data.draw(well_formed_stays(session, camera=True)))
    now = data.draw(around(session))
    r = record(entries, session=session, now=now)
    assert r.camera_minutes <= r.attended_minutes


# --- monotonic ----------------------------------------------------------------------------


@FAST
@given(st.data())
def test_more_presence_never_decreases_minutes(data: st.DataObject) -> None:
    session = data.draw(sessions())
    stays = data.draw(well_formed_stays(session))
    keep = data.draw(st.lists(st.booleans(), min_size=len(stays), max_size=len(stays)))
    subset = [s for s, k in zip(stays, keep, strict=True) if k]
    group: Group = data.draw(st.sampled_from([PRESENCE_GROUP, CHECKIN_GROUP]))
    others = []
    if group is PRESENCE_GROUP:
        # check-ins, notices, surveys (no verification) besides the presence
        others = data.draw(st.lists(session_evidence(session, with_verify=False), max_size=4))
    now = data.draw(around(session))

    def minutes(entries: list[LedgerEntry]) -> int:
        return record([*entries, *others], session=session, group=group, now=now).attended_minutes

    assert minutes(flatten(subset)) <= minutes(flatten(stays))


# --- status and flags ---------------------------------------------------------------------


@FAST
@given(scenarios(), st.data())
def test_a_verification_always_determines_the_status(
    scenario: dict[str, object], data: st.DataObject
) -> None:
    session: Session = scenario["session"]  # type: ignore[assignment]
    entries: list[LedgerEntry] = scenario["entries"]  # type: ignore[assignment]
    latest_at = max((e.at for e in entries), default=session.end) + timedelta(minutes=1)
    status = data.draw(st.sampled_from(sorted(VERIFIABLE)))
    participation = data.draw(st.sampled_from([None, *Participation]))
    final = verify(latest_at, status, by="f-final", participation=participation, session=session)
    r = compute(scenario, data.draw(st.permutations([*entries, final])))
    assert r.status is Status(status)
    assert Flag.OVERRIDE in r.flags
    assert r.verified_by == "f-final"
    # a mark without a level keeps the participation marked before (the latest that set one)
    earlier = [
        str(e.data["participation"])
        for e in sorted(entries, key=lambda e: (e.at, e.recorded_at, e.key))
        if e.kind is EvidenceKind.VERIFY and e.data.get("participation")
    ]
    kept = participation or (earlier[-1] if earlier else None)
    assert r.participation == (Participation(kept) if kept else None)


@FAST
@given(scenarios(), st.data())
def test_a_participation_mark_alone_never_changes_the_status(
    scenario: dict[str, object], data: st.DataObject
) -> None:
    session: Session = scenario["session"]  # type: ignore[assignment]
    entries: list[LedgerEntry] = scenario["entries"]  # type: ignore[assignment]
    latest_at = max((e.at for e in entries), default=session.end) + timedelta(minutes=1)
    level = data.draw(st.sampled_from(list(Participation)))
    mark = dataclasses.replace(
        verify(latest_at, Status.PRESENT, by="f-final", participation=level, session=session),
        data={"participation": level.value},
    )
    before = compute(scenario)
    after = compute(scenario, data.draw(st.permutations([*entries, mark])))
    assert after.status is before.status
    assert after.verified_by == before.verified_by
    assert (Flag.OVERRIDE in after.flags) == (Flag.OVERRIDE in before.flags)
    assert after.participation is level


@FAST
@given(scenarios())
def test_flags_unique_and_in_canonical_order(scenario: dict[str, object]) -> None:
    r = compute(scenario)
    assert len(set(r.flags)) == len(r.flags)
    assert r.flags == tuple(f for f in Flag if f in r.flags)
    assert (Flag.DM_UNREACHABLE in r.flags) == scenario["dm_unreachable"]


@FAST
@given(scenarios(with_verify=False))
def test_nothing_is_decided_partial_or_left_early_before_the_end(
    scenario: dict[str, object],
) -> None:
    session: Session = scenario["session"]  # type: ignore[assignment]
    r = compute(scenario)
    if scenario["now"] < session.end:  # type: ignore[operator]
        assert r.status is not Status.PARTIAL
        assert Flag.LEFT_EARLY not in r.flags
    else:
        assert r.in_room is False


@FAST
@given(scenarios(with_verify=False))
def test_without_evidence_of_attendance_absent_or_excused(scenario: dict[str, object]) -> None:
    session: Session = scenario["session"]  # type: ignore[assignment]
    entries = [
        e
        for e in scenario["entries"]  # type: ignore[attr-defined]
        if e.kind in {EvidenceKind.ABSENCE_NOTICE, EvidenceKind.CHECKOUT}
    ]
    r = compute(scenario, entries)
    if scenario["made_up_by"]:
        assert r.status is Status.MADE_UP
    else:
        assert r.status in {Status.ABSENT, Status.EXCUSED}
    assert r.attended_minutes == 0
    deadline = session.start - timedelta(hours=24)
    in_time = any(e.at <= deadline for e in entries if e.kind is EvidenceKind.ABSENCE_NOTICE)
    if not scenario["made_up_by"]:
        assert (r.status is Status.EXCUSED) == in_time


# --- merge --------------------------------------------------------------------------------

BASE = datetime(2025, 3, 3, 17, 0, tzinfo=START.tzinfo)

intervals = st.lists(
    st.builds(
        lambda s, d, u, o: Interval(
            start=BASE + timedelta(seconds=s),
            end=BASE + timedelta(seconds=s + d),
            uncertain=u,
            open=o,
        ),
        st.integers(0, 4 * 3600),
        st.integers(0, 3600),
        st.booleans(),
        st.booleans(),
    ),
    max_size=12,
)
gaps = st.sampled_from([0, 1, 60, 120, 600])


@FAST
@given(intervals, gaps)
def test_merge_is_idempotent(items: list[Interval], gap: int) -> None:
    once = merge(items, gap)
    assert merge(once, gap) == once


@FAST
@given(intervals, gaps)
def test_merged_intervals_are_disjoint_and_separated_by_more_than_the_gap(
    items: list[Interval], gap: int
) -> None:
    out = merge(items, gap)
    for i in out:
        assert i.start <= i.end
    for a, b in itertools.pairwise(out):
        assert b.start - a.end > timedelta(seconds=gap)


@FAST
@given(intervals, gaps)
def test_merge_covers_every_input_exactly_once(items: list[Interval], gap: int) -> None:
    out = merge(items, gap)
    for i in items:
        covering = [o for o in out if o.start <= i.start and i.end <= o.end]
        assert len(covering) == 1
        if i.uncertain:
            assert covering[0].uncertain
    # no invented endpoints: each merged interval starts and ends at input endpoints
    for o in out:
        assert o.start in {i.start for i in items}
        assert o.end in {i.end for i in items}
        members = [i for i in items if o.start <= i.start and i.end <= o.end]
        assert o.uncertain == any(i.uncertain for i in members)


@FAST
@given(intervals, gaps, st.data())
def test_merge_is_independent_of_input_order(
    items: list[Interval], gap: int, data: st.DataObject
) -> None:
    shuffled = data.draw(st.permutations(items))
    a, b = merge(items, gap), merge(list(shuffled), gap)
    assert [(i.start, i.end, i.uncertain) for i in a] == [(i.start, i.end, i.uncertain) for i in b]
