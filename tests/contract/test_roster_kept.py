"""A recorder that keeps what it read (the session's evidence, caught up from the
ledger's tail: bot.core.attendance.tail) gives, view after view, exactly the roster a
recorder that keeps nothing gives: after another process writes evidence, a hint, an
unreachable channel or a new name, after enrollment changes, and as time passes. And
the hints a roster reads early (bot.core.attendance.hints) are the store's."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from zoneinfo import ZoneInfo

from bot.core.actions import RosterView
from bot.core.attendance.hints import Early
from bot.core.attendance.recorder import Recorder
from bot.core.attendance.roster import build_roster, render_roster
from bot.core.clock import FakeClock
from bot.core.domain import EvidenceKind, Hint, LedgerEntry, Person, Program
from bot.core.enrollment import set_enrollment
from bot.core.ports import Store
from tests.unit.evidence import GROUP_ID, PRESENCE_GROUP, SESSION, presence, t

PEOPLE = [f"p-{i}" for i in range(8)]
TZ = ZoneInfo("America/New_York")


async def _world(store: Store) -> None:
    await store.upsert_group(PRESENCE_GROUP)
    for pid in PEOPLE:
        await store.upsert_person(Person(id=pid, display_name=f"P {pid}"))
        await store.seed_enrollment(pid, GROUP_ID, t("08:00"))
    await store.add_session(SESSION)


def _checkin(pid: str, when: str) -> LedgerEntry:
    return LedgerEntry(
        key=f"checkin:{SESSION.id}:{pid}",
        kind=EvidenceKind.CHECKIN,
        group_id=GROUP_ID,
        session_id=SESSION.id,
        person_id=pid,
        at=t(when),
        recorded_at=t(when),
        source="slack",
    )


async def _both(kept: Recorder, clock: FakeClock, store: Store) -> RosterView:
    """The kept recorder's view and text, checked against a recorder that keeps nothing."""
    now = clock.now()
    view = await build_roster(kept, SESSION, TZ, now)
    fresh = Recorder(store, clock, Program())
    general = await build_roster(fresh, SESSION, TZ, now)
    assert view == general
    assert render_roster(view, TZ) == render_roster(general, TZ)
    # the records themselves (every field, not only those a roster shows)
    records = await kept.recompute(SESSION)
    assert records == await Recorder(store, clock, Program()).recompute(SESSION)
    return view


def _row(view: RosterView, pid: str) -> tuple[str, int, str | None]:
    row = next(r for r in view.rows if r.person_id == pid)
    return row.status, row.minutes, row.hint


async def test_the_kept_roster_is_the_roster_whatever_changes(store: Store, other: Store) -> None:
    await _world(store)
    clock = FakeClock(t("18:30"))
    kept = Recorder(store, clock, Program())
    first = await _both(kept, clock, store)
    assert _row(first, "p-1")[:2] == ("not here yet", 0)

    # another process writes evidence: a check-in and a stay in the room
    await other.append_evidence(
        [
            _checkin("p-1", "18:05"),
            presence("join", "18:02", person="p-1", stream="a"),
            presence("join", "18:10", person="p-2", stream="b"),
        ]
    )
    view = await _both(kept, clock, store)
    assert view != first
    assert _row(view, "p-1")[0] == "present"

    # time passes: minutes in the room grow, a minute and a second at a time
    for step in (timedelta(minutes=1), timedelta(seconds=1), timedelta(minutes=20)):
        clock.advance(step)
        before = view
        view = await _both(kept, clock, store)
    assert _row(view, "p-2")[1] > _row(first, "p-2")[1]
    assert before != view

    # another process: a presence hint, a channel that cannot reach someone, a new name
    await other.set_hint(Hint(person_id="p-3", source="slack", since=t("18:40")))
    view = await _both(kept, clock, store)
    assert _row(view, "p-3")[2] is not None
    await other.mark_unreachable("p-4", "chat", t("18:41"))
    await _both(kept, clock, store)
    await store.upsert_person(Person(id="p-5", display_name="Renamed"))
    view = await _both(kept, clock, store)
    assert any(r.display_name == "Renamed" for r in view.rows)

    # enrollment changes: one more person, one fewer
    await store.upsert_person(Person(id="p-new", display_name="New"))
    await set_enrollment(store, "f-1", "p-new", GROUP_ID, active=True, at=clock.now())
    view = await _both(kept, clock, store)
    assert "p-new" in {r.person_id for r in view.rows}
    await set_enrollment(store, "f-1", "p-6", GROUP_ID, active=False, at=clock.now())
    view = await _both(kept, clock, store)
    assert "p-6" not in {r.person_id for r in view.rows}

    # the session ends: no longer "not here yet", absent
    clock.advance(t("21:30") - clock.now())
    view = await _both(kept, clock, store)
    assert _row(view, "p-7")[0] == "absent"


async def test_hints_read_early_are_the_hints_of_the_records_people(store: Store) -> None:
    """`Early.of(ids)` (the enrolled people's hints read while the records are worked
    out) is `Store.hints(ids)`: with someone not enrolled among them, someone enrolled
    after the early read, several sources a person, and someone enrolled not asked for."""
    await _world(store)
    for pid, source, minute in [
        ("p-1", "zoom", 1),
        ("p-1", "slack_huddle", 2),
        ("p-3", "slack_huddle", 3),
        ("x-not-enrolled", "slack_huddle", 4),
        ("p-late", "discord", 5),
        ("p-7", "slack_huddle", 6),
    ]:
        await store.set_hint(Hint(person_id=pid, source=source, since=t(f"18:{minute:02d}")))
    early = Early(store, GROUP_ID)
    try:
        await asyncio.sleep(0.05)  # the early read is done before the enrollment below
        await store.upsert_person(Person(id="p-late", display_name="Late"))
        await set_enrollment(store, "f-1", "p-late", GROUP_ID, active=True, at=t("18:10"))
        ids = [*(p for p in PEOPLE if p != "p-7"), "x-not-enrolled", "p-late", "nobody"]
        got = await early.of(ids)
    finally:
        await early.settle()
    assert got == await store.hints(ids)
    assert [h.person_id for h in got] == ["p-1", "p-1", "p-3", "p-late", "x-not-enrolled"]
