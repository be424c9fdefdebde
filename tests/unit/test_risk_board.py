"""The risk board against hand-computed weeks: who needs outreach, why, most urgent first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.core.domain import AttendanceRecord, Policy, Session, Status
from bot.core.overview.risk import RiskEntry, assess, rank

POLICY = Policy()  # 2 in a row, rate < 0.75 over 14 days, 9 h and 3 days a week
# Mon/Wed/Thu groups, 18:00–21:00 UTC, in the week of Mon 2026-11-30
MON = datetime(2026, 11, 30, 18, tzinfo=UTC)


def _s(day: int, week: int = 0) -> Session:
    start = MON + timedelta(days=day, weeks=week)
    return Session(id=f"s{week}{day}", group_id="g", start=start, end=start + timedelta(hours=3))


def _h(*pairs: tuple[Session, Status]) -> list[tuple[Session, AttendanceRecord]]:
    return [
        (
            s,
            AttendanceRecord(
                session_id=s.id,
                group_id="g",
                person_id="p",
                status=st,
                attended_minutes=180 if st is Status.PRESENT else 0,
            ),
        )
        for s, st in pairs
    ]


P, A, E = Status.PRESENT, Status.ABSENT, Status.EXCUSED
LAST_WEEK = [_s(0, -1), _s(2, -1), _s(3, -1)]


def _assess(history: list[tuple[Session, AttendanceRecord]], **kw: object) -> RiskEntry | None:
    args: dict[str, object] = {
        "person_id": "p",
        "history": history,
        "week_minutes": 0,
        "week_days": 0,
        "left": [],
        "policy": POLICY,
        "tz": UTC,
        "now": MON + timedelta(days=2, hours=4),  # Wednesday 22:00, after the group
    }
    args.update(kw)
    return assess(**args)  # type: ignore[arg-type]


def test_steady_attender_is_not_on_the_board() -> None:
    history = _h(*zip(LAST_WEEK, (P, P, P), strict=True), (_s(0), P), (_s(2), P))
    assert _assess(history, week_minutes=360, week_days=2, left=[_s(3)]) is None


def test_two_misses_in_a_row_is_a_streak_and_excused_does_not_break_it() -> None:
    history = _h(*zip(LAST_WEEK, (P, P, A), strict=True), (_s(0), E), (_s(2), A))
    entry = _assess(history, week_minutes=0, week_days=0, left=[_s(3)])
    assert entry is not None
    codes = [r.code for r in entry.reasons]
    assert codes[0] == "streak" and entry.reasons[0].text == "missed 2 in a row"
    # 0 h with one 3 h group left: the weekly minimum can no longer be reached
    assert "weekly_unreachable" in codes
    # rate over 14 days: P P A A (excused not counted) = 50 %
    assert "rate" in codes


def test_behind_and_needs_every_remaining_group() -> None:
    # Monday missed (0 h); Tue, Wed and Thu left: needs all three to reach 9 h / 3 days
    entry = _assess(
        _h((_s(0), A)),
        now=MON + timedelta(hours=4),
        left=[_s(1), _s(2), _s(3)],
    )
    assert entry is not None
    (reason,) = entry.reasons
    assert reason.code == "weekly_needs"
    assert reason.text == "0 of 9 h; needs 3 more groups by Thursday"


def test_on_pace_with_no_slack_is_not_a_risk() -> None:
    # Monday attended; Wed and Thu left: needs both, but has missed nothing
    assert (
        _assess(
            _h((_s(0), P)),
            now=MON + timedelta(hours=4),
            week_minutes=180,
            week_days=1,
            left=[_s(2), _s(3)],
        )
        is None
    )


def test_a_session_to_spare_is_not_a_risk_yet() -> None:
    entry = _assess(
        _h((_s(0), P)),
        now=MON + timedelta(hours=4),
        week_minutes=180,
        week_days=1,
        left=[_s(1), _s(2), _s(3)],
    )
    assert entry is None


def test_unreachable_dms_alone_put_someone_on_the_board() -> None:
    entry = _assess(_h((_s(0), P)), week_minutes=540, week_days=3, dm_unreachable=True)
    assert entry is not None and [r.code for r in entry.reasons] == ["dm_unreachable"]


def test_most_urgent_first() -> None:
    streak3 = _assess(
        _h((_s(0, -1), A), (_s(2, -1), A), (_s(3, -1), A)), week_minutes=540, week_days=3
    )
    needs = _assess(_h((_s(0), A)), now=MON + timedelta(hours=4), left=[_s(1), _s(2), _s(3)])
    dm = _assess(_h((_s(0), P)), week_minutes=540, week_days=3, dm_unreachable=True)
    assert streak3 and needs and dm
    board = rank(
        [
            RiskEntry(person_id="c", reasons=dm.reasons),
            RiskEntry(person_id="b", reasons=needs.reasons),
            RiskEntry(person_id="a", reasons=streak3.reasons),
        ]
    )
    assert [e.person_id for e in board] == ["a", "b", "c"]
