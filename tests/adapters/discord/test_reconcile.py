"""bot.core.attendance.reconcile: open stays against a room snapshot (in-memory store)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.core.attendance.reconcile import OpenState, RoomSnapshot, plan, reconcile_room
from bot.core.clock import FakeClock
from bot.core.domain import Flag, Group, Person, Program, Role
from bot.core.engine import Engine
from bot.core.events import Identity, PresenceObserved
from storage.memory import MemoryStore

TZ = ZoneInfo("America/New_York")
START = datetime(2026, 11, 30, 18, 0, tzinfo=TZ)
ROOM = "555"
PEOPLE = (
    Person(id="f-001", display_name="F.", role=Role.FACILITATOR, discord_user_id="100"),
    Person(id="p-001", display_name="J.", discord_user_id="1"),
    Person(id="p-002", display_name="M.", discord_user_id="2"),
    Person(id="p-003", display_name="A.", discord_user_id="3"),
)
GROUP = Group(
    id="g",
    name="Group",
    facilitators=("f-001",),
    participants=("p-001", "p-002", "p-003"),
    discord_voice_channel_id=ROOM,
)


async def _world() -> tuple[Engine, FakeClock, MemoryStore]:
    store = MemoryStore()
    clock = FakeClock(START - timedelta(minutes=10))
    engine = Engine(store=store, clock=clock, program=Program(timezone="America/New_York"))
    for p in PEOPLE:
        await store.upsert_person(p)
    await store.upsert_group(GROUP)
    for pid in GROUP.participants:
        await store.seed_enrollment(pid, GROUP.id, clock.now())
    await engine.create_session(group_id="g", start=START, minutes=180, actor_id="t")
    return engine, clock, store


async def _event(engine: Engine, user: str, action: str, n: int) -> None:
    await engine.handle(
        PresenceObserved(
            source="discord",
            room_id=ROOM,
            identity=Identity(platform_user_id=user, display_name="visitor"),
            action=action,
            at=engine.now(),
            stream="voice",
            key=f"k{n}",
        )
    )


def _snap(present: dict[str, bool], room: str = ROOM) -> RoomSnapshot:
    return RoomSnapshot(source="discord", room_id=room, present=present, stream="voice")


async def test_closes_stale_stays_opens_missing_ones_and_fixes_cameras() -> None:
    engine, clock, store = await _world()
    clock.set(START)
    await _event(engine, "1", "join", 1)  # p-001: will vanish during the gap
    await _event(engine, "3", "join", 2)  # p-003: stays, camera on
    await _event(engine, "3", "camera_on", 3)
    await _event(engine, "42", "join", 4)  # a guest: will vanish
    clock.set(START + timedelta(minutes=30))
    gap = clock.now()
    clock.set(START + timedelta(minutes=40))
    now = clock.now()
    events = await reconcile_room(
        store, _snap({"2": True, "3": False}), at=now, left_at=gap, known_users=["42"]
    )
    got = [(e.identity.platform_user_id, e.action, e.at) for e in events]
    assert got == [
        ("42", "leave", gap),  # closes first, by subject ("discord:<hash>" < "p-001")
        ("1", "leave", gap),
        ("2", "join", now),
        ("2", "camera_on", now),
        ("3", "camera_off", now),
    ]
    assert all(e.reconciled and e.stream == "voice" for e in events)
    for e in events:
        await engine.handle(e)
    # the room now matches the ledger: nothing more to do, whenever asked
    assert await reconcile_room(store, _snap({"2": True, "3": False}), at=now) == []
    clock.advance(timedelta(minutes=5))
    assert await reconcile_room(store, _snap({"2": True, "3": False}), at=clock.now()) == []

    (j,) = await store.records(person_id="p-001")
    assert Flag.UNCERTAIN in j.flags
    assert j.last_seen == gap
    (m,) = await store.records(person_id="p-002")
    assert Flag.UNCERTAIN not in m.flags and m.first_seen == now


async def test_a_guest_nobody_can_name_is_left_alone() -> None:
    engine, clock, store = await _world()
    clock.set(START)
    await _event(engine, "42", "join", 1)
    events = await reconcile_room(store, _snap({}), at=clock.now() + timedelta(minutes=5))
    assert events == []


async def test_an_unbound_room_yields_nothing() -> None:
    _engine, clock, store = await _world()
    assert await reconcile_room(store, _snap({"1": False}, room="777"), at=clock.now()) == []


async def test_other_streams_and_sources_are_not_touched() -> None:
    engine, clock, store = await _world()
    clock.set(START)
    await _event(engine, "1", "join", 1)
    other = RoomSnapshot(source="discord", room_id=ROOM, present={}, stream="stage")
    assert await reconcile_room(store, other, at=clock.now()) == []


def test_plan_never_closes_before_the_last_known_event() -> None:
    t0 = START
    believed = {
        "p-1": OpenState(subject="p-1", stay_open=True, camera_open=False, last_event_at=t0)
    }
    (ev,) = plan(
        snapshot=_snap({}),
        believed=believed,
        subject_of={},
        user_of={"p-1": "1"},
        at=t0 + timedelta(minutes=9),
        left_at=t0 - timedelta(minutes=5),
    )
    assert ev.action == "leave" and ev.at == t0 and ev.reconciled
    assert ev.key == f"reconcile:{ROOM}:1:leave:{(t0 + timedelta(minutes=9)).isoformat()}"
