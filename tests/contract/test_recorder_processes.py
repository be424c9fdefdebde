"""What a recorder keeps between two looks at a whole session (a facilitator's roster)
stays true when another process writes: the other process is a second store on the
same database (the memory store: the same one) with its own recorder and clock.

Kept: the session's evidence (bot.core.attendance.tail), the group's guest links and
the make-up bookings for the session (the same tail), and the records it last saved
(bot.core.attendance.saved: taken for what is stored while the ledger's head stands)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, timedelta

from bot.core.attendance.recorder import FEW, Recorder
from bot.core.attendance.roster import build_roster
from bot.core.attendance.saved import RECHECK
from bot.core.clock import FakeClock
from bot.core.domain import (
    EvidenceKind,
    LedgerEntry,
    Person,
    Program,
    Session,
    SessionState,
    Status,
)
from bot.core.ports import Store
from tests.unit.evidence import GROUP_ID, PRESENCE_GROUP, SESSION, presence, t

PEOPLE = [f"p-{i}" for i in range(FEW + 3)]
GUEST = "zoom:guest-a"


def guest(action: str, when: str) -> LedgerEntry:
    return presence(action, when, stream="s-1", person=None, guest_key=GUEST)


BOOKED = Session(
    id="s-booked", group_id=GROUP_ID, start=t("21:30"), end=t("22:30"), state=SessionState.ENDED
)


@dataclass(frozen=True, slots=True)
class Process:
    store: Store
    recorder: Recorder
    clock: FakeClock


def _process(store: Store, now: str) -> Process:
    clock = FakeClock(t(now))
    return Process(store=store, recorder=Recorder(store, clock, Program()), clock=clock)


async def _world(store: Store) -> None:
    await store.upsert_group(PRESENCE_GROUP)
    for pid in PEOPLE:
        await store.upsert_person(Person(id=pid, display_name=f"P {pid}"))
        await store.seed_enrollment(pid, GROUP_ID, t("08:00"))
    await store.add_session(SESSION)
    await store.add_session(BOOKED)


async def test_a_guest_link_made_elsewhere_counts_at_the_next_look(
    store: Store, other: Store
) -> None:
    await _world(store)
    await store.append_evidence(
        [guest("join", "18:00"), guest("leave", "20:30")]  # a guest, all evening
    )
    here = _process(store, "23:00")
    first = await build_roster(here.recorder, SESSION, UTC, here.clock.now())
    assert first.guests == (f"guest ({GUEST})",)
    assert next(r for r in first.rows if r.person_id == "p-2").minutes == 0

    def link(person: str, when: str) -> LedgerEntry:
        return LedgerEntry(
            key=f"link:guest-a:{person}",
            kind=EvidenceKind.GUEST_LINK,
            group_id=GROUP_ID,
            at=t(when),
            recorded_at=t(when),
            source="cli",
            person_id=person,
            guest_key=GUEST,
        )

    # another process links the guest to p-2
    await other.append_evidence([link("p-2", "22:00")])
    second = await build_roster(here.recorder, SESSION, UTC, here.clock.now())
    assert second.guests == ()
    assert next(r for r in second.rows if r.person_id == "p-2").minutes == 150
    stored = {r.person_id: r for r in await store.records(session_id=SESSION.id)}
    assert stored["p-2"].attended_minutes == 150
    # ... and then, correcting itself, to p-3: the newest link wins
    await other.append_evidence([link("p-3", "22:05")])
    third = {r.person_id: r for r in await here.recorder.recompute(SESSION)}
    assert (third["p-2"].attended_minutes, third["p-3"].attended_minutes) == (0, 150)


async def test_a_make_up_booked_elsewhere_counts_at_the_next_look(
    store: Store, other: Store
) -> None:
    await _world(store)
    here, there = _process(store, "23:00"), _process(other, "23:00")
    first = {r.person_id: r for r in await here.recorder.recompute(SESSION)}
    assert first["p-4"].status is Status.ABSENT
    # p-4 books the make-up (through the other process) and attends it
    await there.recorder.append(
        [
            LedgerEntry(
                key="makeup:s-booked:p-4",
                kind=EvidenceKind.MAKEUP_BOOKING,
                group_id=GROUP_ID,
                at=t("12:00"),
                recorded_at=t("12:00"),
                source="slack",
                session_id=BOOKED.id,
                person_id="p-4",
                data={"makeup_for": SESSION.id},
            ),
            presence("join", "21:30", stream="s-4", person="p-4"),
            presence("leave", "22:30", stream="s-4", person="p-4"),
        ]
    )
    await there.recorder.recompute(BOOKED, ["p-4"])
    again = {r.person_id: r for r in await here.recorder.recompute(SESSION)}
    assert again["p-4"].status is Status.MADE_UP
    stored = {r.person_id: r for r in await store.records(session_id=SESSION.id)}
    assert stored["p-4"] == again["p-4"]


async def test_records_written_elsewhere_are_put_right(store: Store, other: Store) -> None:
    """The stored record is the truth: one another process wrote differently is
    rewritten at the next look once any evidence came (the head moved), and without
    any within RECHECK."""
    await _world(store)
    await store.append_evidence([presence("join", "18:00", stream="s-1", person="p-1")])
    here = _process(store, "23:00")
    mine = {r.person_id: r for r in await here.recorder.recompute(SESSION)}
    assert mine["p-1"].status is Status.PRESENT

    async def tampered() -> None:  # another process's record, not this one's
        await other.save_records([replace(mine["p-1"], status=Status.EXCUSED)])
        stored = {r.person_id: r for r in await store.records(session_id=SESSION.id)}
        assert stored["p-1"].status is Status.EXCUSED

    # evidence came since (about someone else): read back, put right at once
    await tampered()
    await other.append_evidence([presence("join", "18:05", stream="s-2", person="p-2")])
    await here.recorder.recompute(SESSION)
    stored = {r.person_id: r for r in await store.records(session_id=SESSION.id)}
    assert stored["p-1"] == mine["p-1"]

    # no evidence since: put right at the first look RECHECK later
    await tampered()
    here.clock.advance(RECHECK)
    assert {r.person_id: r for r in await here.recorder.recompute(SESSION)} == {
        **mine,
        "p-2": stored["p-2"],
    }
    stored = {r.person_id: r for r in await store.records(session_id=SESSION.id)}
    assert stored["p-1"] == mine["p-1"]


async def test_a_roster_asked_again_reads_back_and_writes_nothing(store: Store) -> None:
    """While the head stands (and within RECHECK), the records saved are not read back,
    and the unchanged ones not written."""
    await _world(store)
    await store.append_evidence([presence("join", "18:00", stream="s-1", person="p-1")])
    here = _process(store, "23:00")
    first = await here.recorder.recompute(SESSION)
    reads: list[str] = []
    writes: list[int] = []
    records, save = store.records, store.save_records

    async def counting_records(**kw):  # type: ignore[no-untyped-def]
        reads.append(str(kw.get("session_id")))
        return await records(**kw)

    async def counting_save(new):  # type: ignore[no-untyped-def]
        writes.append(len(new))
        await save(new)

    store.records = counting_records  # type: ignore[method-assign]
    store.save_records = counting_save  # type: ignore[method-assign]
    here.clock.advance(timedelta(seconds=1))
    assert await here.recorder.recompute(SESSION) == first
    assert (reads, writes) == ([], [])
    here.clock.advance(RECHECK)
    assert await here.recorder.recompute(SESSION) == first
    assert (reads, writes) == ([SESSION.id], [])
