"""A whole session's recompute reads each input once (SessionTail, the recorder's bulk
path); its records must be exactly those computed one person at a time, and stay
true as evidence keeps arriving between two recomputes."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from bot.core.attendance.recorder import FEW, Recorder
from bot.core.clock import FakeClock
from bot.core.domain import EvidenceKind, LedgerEntry, Program, Session, SessionState
from storage.memory import MemoryStore
from tests.unit.evidence import GROUP_ID, PRESENCE_GROUP, SESSION, presence, t

PEOPLE = [f"p-{i}" for i in range(FEW + 5)]


def _checkin(person: str, when: str, session_id: str = SESSION.id) -> LedgerEntry:
    return LedgerEntry(
        key=f"checkin:{session_id}:{person}",
        kind=EvidenceKind.CHECKIN,
        group_id=GROUP_ID,
        at=t(when),
        recorded_at=t(when),
        source="slack",
        session_id=session_id,
        person_id=person,
    )


async def _world(now: str) -> tuple[MemoryStore, Recorder, FakeClock]:
    store = MemoryStore()
    clock = FakeClock(t(now))
    await store.upsert_group(PRESENCE_GROUP)
    for pid in PEOPLE:
        await store.seed_enrollment(pid, GROUP_ID, t("08:00"))
    await store.add_session(SESSION)
    return store, Recorder(store, clock, Program()), clock


async def _one_by_one(recorder: Recorder, session: Session) -> list:  # type: ignore[type-arg]
    group = await recorder.store.get_group(session.group_id)
    assert group is not None
    return [await recorder.compute(session, group, pid) for pid in PEOPLE]


async def test_the_bulk_recompute_agrees_with_one_person_at_a_time() -> None:
    store, recorder, _ = await _world("23:00")
    made_up = Session(
        id="s-makeup",
        group_id=GROUP_ID,
        start=t("21:30"),
        end=t("22:30"),
        state=SessionState.ENDED,
        makeup_for=SESSION.id,
    )
    await store.add_session(made_up)
    await store.append_evidence(
        [
            _checkin("p-0", "17:58"),
            _checkin("p-1", "18:20"),
            presence("join", "18:01", stream="s-1", person="p-1"),
            presence("leave", "19:00", stream="s-1", person="p-1"),
            presence("join", "18:05", stream="s-2", person="p-2"),  # never left: closed at the end
            presence("join", "18:00", stream="s-3", person=None, guest_key="zoom:guest-a"),
            presence("leave", "20:55", stream="s-3", person=None, guest_key="zoom:guest-a"),
            presence(
                "join", "18:10", stream="s-4", person=None, guest_key="zoom:guest-b"
            ),  # unlinked
            presence("join", "21:35", stream="s-5", person="p-4"),  # the make-up session only
            presence("leave", "22:25", stream="s-5", person="p-4"),
            LedgerEntry(
                key="link:guest-a",
                kind=EvidenceKind.GUEST_LINK,
                group_id=GROUP_ID,
                at=t("21:10"),
                recorded_at=t("21:10"),
                source="cli",
                person_id="p-3",
                guest_key="zoom:guest-a",
            ),
        ]
    )
    await recorder.recompute(made_up, ["p-4"])
    await store.mark_unreachable("p-5", "chat", t("12:00"))

    bulk = await recorder.recompute(SESSION)
    assert [r.person_id for r in bulk] == PEOPLE
    assert bulk == await _one_by_one(recorder, SESSION)
    by_person = {r.person_id: r for r in bulk}
    assert by_person["p-3"].attended_minutes > 0  # the linked guest's presence counts
    assert by_person["p-4"].status.value == "made_up"
    assert await store.records(session_id=SESSION.id) == bulk


async def test_a_booked_make_up_counts_only_for_the_session_it_makes_up() -> None:
    """The bookings read are those for this session (`Store.makeup_bookings`): one
    booked for it and attended makes the miss made up, in bulk and one by one; one
    booked into the same make-up session for another miss does not."""
    store, recorder, _ = await _world("23:00")
    booked = Session(
        id="s-booked",
        group_id=GROUP_ID,
        start=t("21:30"),
        end=t("22:30"),
        state=SessionState.ENDED,
    )
    await store.add_session(booked)

    def booking(person: str, makeup_for: str) -> LedgerEntry:
        return LedgerEntry(
            key=f"makeup:{booked.id}:{person}",
            kind=EvidenceKind.MAKEUP_BOOKING,
            group_id=GROUP_ID,
            at=t("12:00"),
            recorded_at=t("12:00"),
            source="slack",
            session_id=booked.id,
            person_id=person,
            data={"makeup_for": makeup_for},
        )

    await store.append_evidence(
        [
            booking("p-6", SESSION.id),
            booking("p-7", "s-elsewhere"),
            presence("join", "21:35", stream="s-6", person="p-6"),
            presence("leave", "22:25", stream="s-6", person="p-6"),
            presence("join", "21:35", stream="s-7", person="p-7"),
            presence("leave", "22:25", stream="s-7", person="p-7"),
        ]
    )
    attended = await recorder.recompute(booked, ["p-6", "p-7"])
    assert {r.person_id: r.status.value for r in attended} == {"p-6": "present", "p-7": "present"}

    bulk = await recorder.recompute(SESSION)
    assert bulk == await _one_by_one(recorder, SESSION)
    by_person = {r.person_id: r for r in bulk}
    assert by_person["p-6"].status.value == "made_up"
    assert by_person["p-7"].status.value == "absent"


async def test_evidence_after_a_recompute_is_seen_by_the_next() -> None:
    store, recorder, clock = await _world("18:30")
    await store.append_evidence([presence("join", "18:02", stream="s-1", person="p-1")])
    first = {r.person_id: r for r in await recorder.recompute(SESSION)}
    assert first["p-1"].in_room and not first["p-2"].in_room
    # more arrives; the kept inputs catch up from the ledger's tail
    await store.append_evidence(
        [
            presence("leave", "18:31", stream="s-1", person="p-1"),
            presence("join", "18:31", stream="s-2", person="p-2"),
            _checkin("p-6", "18:31"),
        ]
    )
    clock.advance(timedelta(minutes=2))
    second = await recorder.recompute(SESSION)
    assert second == await _one_by_one(recorder, SESSION)
    by_person = {r.person_id: r for r in second}
    assert not by_person["p-1"].in_room and by_person["p-2"].in_room
    assert by_person["p-6"].checked_in_at == t("18:31")
    # asked again at the same instant with nothing new: the same records, stored
    assert await recorder.recompute(SESSION) == second
    assert await store.records(session_id=SESSION.id) == second


async def test_a_roster_recompute_writes_only_what_changed() -> None:
    store, recorder, _ = await _world("23:00")
    await store.append_evidence([_checkin("p-0", "17:58")])
    first = await recorder.recompute(SESSION)
    saved: list[int] = []
    save = store.save_records

    async def counting(records):  # type: ignore[no-untyped-def]
        saved.append(len(records))
        await save(records)

    store.save_records = counting  # type: ignore[method-assign]
    assert await recorder.recompute(SESSION) == first
    await store.append_evidence([_checkin("p-1", "18:40")])
    again = await recorder.recompute(SESSION)
    assert saved == [1]  # nothing the first time; p-1's record the second
    assert again[1] != first[1] and again[0] == first[0]


def _camera(n: int, action: str, when: str, person: str) -> LedgerEntry:
    return LedgerEntry(
        key=f"discord:{n}:{action}:{when}:{person}",
        kind=EvidenceKind.PRESENCE,
        group_id=GROUP_ID,
        at=t(when),
        recorded_at=t(when),
        source="discord",
        person_id=person,
        data={"action": action, "source": "discord", "stream": f"d-{n}", "reconciled": False},
    )


async def test_a_kept_roster_agrees_with_a_fresh_one_as_the_clock_moves() -> None:
    """The recorder keeps each person's clock-free part between views and only applies
    the new instant; at every step its records are those of a recorder that starts
    from nothing (and of one person at a time), with stays open across the steps."""
    store, kept, clock = await _world("17:50")
    arrivals: dict[str, list[LedgerEntry]] = {
        "18:00": [
            presence("join", "17:55", stream="s-1", person="p-1"),
            presence("join", "18:12", stream="s-2", person="p-2"),  # late, still in the room
            _camera(1, "join", "18:01", "p-3"),
            _camera(1, "camera_on", "18:02", "p-3"),
        ],
        "18:30": [
            presence("leave", "18:20", stream="s-1", person="p-1"),
            presence("join", "18:21", stream="s-6", person="p-1"),  # a reconnect within the gap
            _checkin("p-4", "18:25"),
            _camera(1, "camera_off", "18:28", "p-3"),
        ],
        "20:40": [
            presence("leave", "20:35", stream="s-6", person="p-1"),  # leaves early
            LedgerEntry(
                key="close:p-2",
                kind=EvidenceKind.PRESENCE,
                group_id=GROUP_ID,
                at=t("20:39"),
                recorded_at=t("20:39"),
                source="zoom",
                person_id="p-2",
                data={
                    "action": "leave",
                    "source": "zoom",
                    "stream": "s-2",
                    "reconciled": True,
                    "closed_by": "meeting_end",
                },
            ),
            presence("leave", "20:38", stream="s-2", person="p-2"),  # the platform's own, late
        ],
    }
    moments = ["17:59", "18:00", "18:00:30", "18:10", "18:30", "18:30:01", "19:00"]
    moments += ["20:40", "20:55", "21:00", "21:05", "23:00"]
    seen_open = seen_minutes_grow = False
    previous: dict[str, int] = {}
    for moment in moments:
        clock.set(t(moment))
        for when in [w for w in arrivals if t(w) <= t(moment)]:
            await store.append_evidence(arrivals.pop(when))
        mine = await kept.recompute(SESSION)
        fresh = await Recorder(store, clock, Program()).recompute(SESSION)
        assert mine == fresh, moment
        assert mine == await _one_by_one(kept, SESSION), moment
        by_person = {r.person_id: r for r in mine}
        seen_open = seen_open or by_person["p-2"].in_room
        p2 = by_person["p-2"].attended_minutes
        seen_minutes_grow = seen_minutes_grow or p2 > previous.get("p-2", p2)
        previous["p-2"] = p2
    # the steps did exercise an open stay whose minutes grew with the clock
    assert seen_open and seen_minutes_grow
    assert "left_early" in {f.value for f in {r.person_id: r for r in mine}["p-1"].flags}


async def test_many_kept_sessions_catch_up_from_one_read_of_the_tail() -> None:
    """At the top of the hour every group's session is live: the ledger's tail is read
    once for all of them, each new entry goes to the sessions it belongs to, and each
    one's records stay those computed one person at a time."""
    store, recorder, clock = await _world("18:30")
    other_group = dataclasses.replace(PRESENCE_GROUP, id="g-other", zoom_meeting_id="999")
    await store.upsert_group(other_group)
    other = dataclasses.replace(SESSION, id="s-other", group_id=other_group.id)
    await store.add_session(other)
    for pid in PEOPLE:
        await store.seed_enrollment(pid, other_group.id, t("08:00"))
    pages = 0
    page = store.ledger_page

    async def counting(**kw):  # type: ignore[no-untyped-def]
        nonlocal pages
        pages += 1
        return await page(**kw)

    store.ledger_page = counting  # type: ignore[method-assign]
    await recorder.recompute(SESSION)
    await recorder.recompute(other)
    for n, pid in enumerate(PEOPLE[:4]):
        elsewhere = dataclasses.replace(
            presence("join", "18:10", stream=f"s-{10 + n}", person=pid), group_id=other_group.id
        )
        await store.append_evidence(
            [presence("join", "18:05", stream=f"s-{n}", person=pid), elsewhere]
        )
        clock.advance(timedelta(seconds=30))
        for session in (SESSION, other):
            assert await recorder.recompute(session) == await _one_by_one(recorder, session)
    # one tail read per change, whichever session asked first; none for the other
    assert pages == 4
    ours = {r.person_id: r for r in await store.records(session_id=SESSION.id)}
    theirs = {r.person_id: r for r in await store.records(session_id=other.id)}
    assert ours["p-0"].first_seen == t("18:05") and theirs["p-0"].first_seen == t("18:10")


async def test_a_make_up_booked_in_another_group_reaches_the_kept_session() -> None:
    """A booking lives in the make-up's group; the session it makes up is kept in
    another: the ledger's tail hands it there too, so a session whose bookings were
    read before sees the new one."""
    store, recorder, _ = await _world("23:00")
    other_group = dataclasses.replace(PRESENCE_GROUP, id="g-other", zoom_meeting_id="999")
    await store.upsert_group(other_group)
    booked = Session(
        id="s-elsewhere",
        group_id=other_group.id,
        start=t("21:30"),
        end=t("22:30"),
        state=SessionState.ENDED,
    )
    await store.add_session(booked)
    before = {r.person_id: r for r in await recorder.recompute(SESSION)}  # bookings read
    assert before["p-6"].status.value == "absent"
    await store.append_evidence(
        [
            LedgerEntry(
                key=f"makeup:{booked.id}:p-6",
                kind=EvidenceKind.MAKEUP_BOOKING,
                group_id=other_group.id,
                at=t("21:00"),
                recorded_at=t("21:00"),
                source="slack",
                session_id=booked.id,
                person_id="p-6",
                data={"makeup_for": SESSION.id},
            ),
            dataclasses.replace(
                presence("join", "21:35", stream="s-6", person="p-6"), group_id=other_group.id
            ),
            dataclasses.replace(
                presence("leave", "22:25", stream="s-6", person="p-6"), group_id=other_group.id
            ),
        ]
    )
    (attended,) = await recorder.recompute(booked, ["p-6"])
    assert attended.status.value == "present"
    after = await recorder.recompute(SESSION)
    assert after == await _one_by_one(recorder, SESSION)
    assert {r.person_id: r for r in after}["p-6"].status.value == "made_up"
