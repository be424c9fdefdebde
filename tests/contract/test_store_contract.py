"""The `Store` contract, part 1: directory, sessions, records, erasure.

Every test runs over memory, SQLite and PostgreSQL (see conftest.py `backend`);
part 2 (ledger, audit, hash chains, concurrency) is test_ledger_contract.py.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, time, timedelta, timezone

import pytest

from bot.core import privacy
from bot.core.domain import (
    AuditEntry,
    Enrollment,
    EvidenceKind,
    Flag,
    Group,
    Hint,
    Participation,
    Role,
    Schedule,
    Session,
    SessionState,
    Status,
)
from bot.core.ports import Store
from tests.contract.conftest import Backend
from tests.contract.factories import T0, at, audit_entry, entry, person, record, session


async def test_ping(store: Store) -> None:
    assert await store.ping() is True


# -- people ----------------------------------------------------------------------------
async def test_person_round_trip(store: Store) -> None:
    full = person(
        "p-1",
        role=Role.FACILITATOR,
        slack_user_id="U1",
        discord_user_id="111",
        zoom_email="J@Example.org",
        email="j@home.example",
        phone="+15550001",
        timezone="America/New_York",
        quiet_hours="21:00-08:00",
        channels=("chat", "email"),
        aliases=("J", "Jay D."),
        zoom_registrant_id="reg-1",
    )
    await store.upsert_person(full)
    await store.upsert_person(person("p-2"))
    assert await store.get_person("p-1") == full
    assert await store.get_person("p-2") == person("p-2")
    assert await store.get_person("nobody") is None


async def test_upsert_person_replaces_every_field(store: Store) -> None:
    await store.upsert_person(person("p-1", slack_user_id="U1", email="a@x.org"))
    changed = person("p-1", display_name="J.", slack_user_id="U2", channels=())
    await store.upsert_person(changed)
    assert await store.get_person("p-1") == changed
    assert await store.list_people() == [changed]
    assert await store.find_person(platform="slack", user_id="U1") is None
    assert await store.find_person_by_email("a@x.org") is None


async def test_list_people_ordered_by_id(store: Store) -> None:
    for pid in ("p-3", "p-1", "p-2"):
        await store.upsert_person(person(pid))
    assert [p.id for p in await store.list_people()] == ["p-1", "p-2", "p-3"]


async def test_text_is_ordered_by_code_point_as_in_python(store: Store) -> None:
    """Not by the database's collation (PostgreSQL's en-US would put "p-a" before "p-B")."""
    ids = ["p-B", "p-a", "P-c", "p_a", "p-10", "p-9"]
    for pid in ids:
        await store.upsert_person(person(pid))
        await store.upsert_group(Group(id=pid, name=pid))
        await store.seed_enrollment(pid, "g1", T0)
        await store.add_session(session(pid))
    assert [p.id for p in await store.list_people()] == sorted(ids)
    assert [g.id for g in await store.list_groups()] == sorted(ids)
    assert [e.person_id for e in await store.enrollments()] == sorted(ids)
    assert [s.id for s in await store.list_sessions()] == sorted(ids)


async def test_find_person_by_platform_id(store: Store) -> None:
    await store.upsert_person(person("p-1", slack_user_id="U1", discord_user_id="111"))
    await store.upsert_person(person("p-2", slack_user_id="U2", discord_user_id="222"))
    assert (await store.find_person(platform="slack", user_id="U2")).id == "p-2"  # type: ignore[union-attr]
    assert (await store.find_person(platform="discord", user_id="111")).id == "p-1"  # type: ignore[union-attr]
    assert await store.find_person(platform="slack", user_id="111") is None
    assert await store.find_person(platform="discord", user_id="U1") is None
    assert await store.find_person(platform="zoom", user_id="U1") is None


async def test_find_person_by_email_is_case_insensitive(store: Store) -> None:
    await store.upsert_person(person("p-1", zoom_email="J.Doe@Example.org"))
    await store.upsert_person(person("p-2", email="Kim@Home.Example"))
    found = await store.find_person_by_email("  j.doe@EXAMPLE.ORG ")
    assert found is not None and found.id == "p-1"
    found = await store.find_person_by_email("kim@home.example")
    assert found is not None and found.id == "p-2"
    assert found.email == "Kim@Home.Example"  # stored as given
    assert await store.find_person_by_email("nobody@example.org") is None


# -- groups ----------------------------------------------------------------------------
async def test_group_round_trip_and_order(store: Store) -> None:
    scheduled = Group(
        id="g2",
        name="Evening Group A",
        schedule=Schedule(rrule="FREQ=WEEKLY;BYDAY=MO,WE,TH", start=time(18, 0), minutes=180),
        facilitators=("f-1", "f-2"),
        participants=("p-1", "p-2", "p-3"),
        slack_channel="C1",
        discord_guild_id="1",
        discord_text_channel_id="2",
        discord_voice_channel_id="3",
        zoom_meeting_id="85746352000",
        capacity=12,
    )
    bare = Group(id="g1", name="Morning")
    await store.upsert_group(scheduled)
    await store.upsert_group(bare)
    assert await store.get_group("g2") == scheduled
    assert await store.get_group("g1") == bare
    assert await store.get_group("g9") is None
    assert await store.list_groups() == [bare, scheduled]
    renamed = Group(id="g2", name="Renamed")
    await store.upsert_group(renamed)
    assert await store.get_group("g2") == renamed


async def test_find_group_by_channel(store: Store) -> None:
    evening = Group(
        id="g2",
        name="Evening",
        slack_channel="C1",
        discord_text_channel_id="20",
        discord_voice_channel_id="30",
    )
    morning = Group(id="g1", name="Morning", discord_voice_channel_id="31")
    echo = Group(id="g3", name="Echo", slack_channel="C1")  # the same channel: g2 wins
    for g in (evening, morning, echo):
        await store.upsert_group(g)
    assert await store.find_group_by_channel(platform="slack", channel_id="C1") == evening
    assert await store.find_group_by_channel(platform="discord", channel_id="20") == evening
    assert await store.find_group_by_channel(platform="discord", channel_id="30") == evening
    assert await store.find_group_by_channel(platform="discord", channel_id="31") == morning
    assert await store.find_group_by_channel(platform="console", channel_id="g1") == morning
    assert await store.find_group_by_channel(platform="slack", channel_id="20") is None
    assert await store.find_group_by_channel(platform="discord", channel_id="C1") is None
    assert await store.find_group_by_channel(platform="zoom", channel_id="nope") is None
    # a change is seen at once by the process that made it
    await store.upsert_group(dataclasses.replace(evening, slack_channel="C9"))
    moved = await store.find_group_by_channel(platform="slack", channel_id="C1")
    assert moved == echo
    assert await store.find_group_by_channel(platform="slack", channel_id="C9") is not None


# -- enrollments -----------------------------------------------------------------------
async def test_seed_enrollment_is_idempotent(store: Store) -> None:
    assert await store.seed_enrollment("p-1", "g1", T0) is True
    assert await store.seed_enrollment("p-1", "g1", at(5)) is False
    assert await store.enrollments() == [Enrollment(person_id="p-1", group_id="g1")]
    assert await store.audit_page() == []  # seeding from config is not an audited change


async def test_seed_enrollment_does_not_reactivate(store: Store) -> None:
    await store.seed_enrollment("p-1", "g1", T0)
    await store.set_enrollment("p-1", "g1", active=False, at=at(1), audit=audit_entry("unenroll"))
    assert await store.seed_enrollment("p-1", "g1", at(2)) is False
    assert await store.enrollments() == []
    assert await store.enrollments(active_only=False) == [
        Enrollment(person_id="p-1", group_id="g1", active=False)
    ]


async def test_seed_directory_writes_people_groups_and_new_enrollments_at_once(
    store: Store,
) -> None:
    await store.upsert_person(person("p-0"))
    await store.seed_enrollment("p-0", "g1", T0)
    await store.set_enrollment("p-0", "g1", active=False, at=at(1), audit=audit_entry("unenroll"))
    people = [person(f"p-{i}", slack_user_id=f"U{i}") for i in range(3)]
    groups = [Group(id="g1", name="One"), Group(id="g2", name="Two")]
    wanted = [("p-0", "g1"), ("p-1", "g1"), ("p-2", "g2"), ("p-1", "g2")]
    await store.seed_directory(people=people, groups=groups, enrollments=wanted, at=at(2))
    assert await store.list_people() == people  # p-0 updated in place
    assert await store.list_groups() == groups
    assert await store.find_person(platform="slack", user_id="U2") == people[2]
    # an unenrolled participant is not brought back; the rest are enrolled once
    assert sorted((e.person_id, e.group_id) for e in await store.enrollments()) == [
        ("p-1", "g1"),
        ("p-1", "g2"),
        ("p-2", "g2"),
    ]
    await store.seed_directory(people=people, groups=groups, enrollments=wanted, at=at(3))
    assert len(await store.enrollments(active_only=False)) == 4
    assert [a.action for a in await store.audit_page()] == ["unenroll"]


async def test_add_sessions_adds_only_new_ids_in_one_go(store: Store) -> None:
    await store.add_session(session("s-1"))
    await store.set_session_state("s-1", SessionState.CANCELLED, audit=audit_entry("cancel"))
    many = [session(f"s-{i}") for i in range(1, 700)]  # more than one IN (...) probe
    assert await store.add_sessions([*many, many[5]]) == 698
    assert await store.add_sessions(many) == 0
    stored = await store.list_sessions()
    assert len(stored) == 699
    assert (await store.get_session("s-1")) == dataclasses.replace(
        many[0], state=SessionState.CANCELLED
    )  # an existing session is left as it is
    assert [a.action for a in await store.audit_page()] == ["cancel"]


async def test_set_enrollment_reports_change_and_audits_it(store: Store) -> None:
    def audit(action: str) -> AuditEntry:
        return audit_entry(action, target="p-1", detail={"group": "g1"})

    assert await store.set_enrollment("p-1", "g1", active=False, at=T0, audit=audit("x")) is False
    assert await store.set_enrollment("p-1", "g1", active=True, at=T0, audit=audit("enroll"))
    assert not await store.set_enrollment("p-1", "g1", active=True, at=T0, audit=audit("x"))
    assert await store.set_enrollment("p-1", "g1", active=False, at=T0, audit=audit("unenroll"))
    assert await store.set_enrollment("p-1", "g1", active=True, at=T0, audit=audit("enroll"))
    log = await store.audit_page()
    assert [(a.seq, a.action, a.target) for a in log] == [
        (1, "enroll", "p-1"),
        (2, "unenroll", "p-1"),
        (3, "enroll", "p-1"),
    ]
    assert log[0].detail == {"group": "g1"}
    assert await store.enrollments(person_id="p-1") == [Enrollment(person_id="p-1", group_id="g1")]


async def test_set_enrollment_is_atomic_with_its_audit_row(backend: Backend) -> None:
    store = backend.store
    broken = audit_entry("enroll", detail={"bad": object()})  # not JSON: hashing fails
    with pytest.raises(TypeError):
        await store.set_enrollment("p-1", "g1", active=True, at=T0, audit=broken)
    assert await store.enrollments(active_only=False) == []
    assert await store.audit_page() == []
    assert await store.chain_head("audit") == (0, "0" * 64)


async def test_enrollment_filters_and_order(store: Store) -> None:
    for pid, gid in [("p-2", "g1"), ("p-1", "g2"), ("p-1", "g1"), ("p-3", "g1")]:
        await store.seed_enrollment(pid, gid, T0)
    await store.set_enrollment("p-3", "g1", active=False, at=T0, audit=audit_entry("unenroll"))
    pairs = [(e.group_id, e.person_id) for e in await store.enrollments()]
    assert pairs == [("g1", "p-1"), ("g1", "p-2"), ("g2", "p-1")]
    assert [e.group_id for e in await store.enrollments(person_id="p-1")] == ["g1", "g2"]
    assert [e.person_id for e in await store.enrollments(group_id="g1")] == ["p-1", "p-2"]
    everyone = await store.enrollments(group_id="g1", active_only=False)
    assert [(e.person_id, e.active) for e in everyone] == [
        ("p-1", True),
        ("p-2", True),
        ("p-3", False),
    ]
    assert await store.enrollments(person_id="p-1", group_id="g2") == [
        Enrollment(person_id="p-1", group_id="g2")
    ]


# -- sessions --------------------------------------------------------------------------
async def test_add_session_round_trip_and_duplicate_id(store: Store) -> None:
    first = session("s1", makeup_for="s0")
    assert await store.add_session(first) is True
    assert await store.get_session("s1") == first
    assert await store.add_session(session("s1", start_min=60), audit=audit_entry("x")) is False
    assert await store.get_session("s1") == first
    assert await store.audit_page() == []
    assert await store.get_session("nope") is None


async def test_add_session_with_audit(store: Store) -> None:
    assert await store.add_session(session("s1"), audit=audit_entry("session.create", target="s1"))
    assert [(a.action, a.target) for a in await store.audit_page()] == [("session.create", "s1")]


async def test_list_sessions_filters_and_order(store: Store) -> None:
    day = 24 * 60
    await store.add_session(session("s-b", "g1", 0))
    await store.add_session(session("s-a", "g1", 0))  # same start: ordered by id
    await store.add_session(session("s-c", "g1", day, state=SessionState.ENDED))
    await store.add_session(session("s-d", "g2", -day, state=SessionState.CANCELLED))
    await store.add_session(session("s-e", "g2", 2 * day))

    async def ids(**kw: object) -> list[str]:
        return [s.id for s in await store.list_sessions(**kw)]  # type: ignore[arg-type]

    assert await ids() == ["s-d", "s-a", "s-b", "s-c", "s-e"]
    assert await ids(group_id="g1") == ["s-a", "s-b", "s-c"]
    assert await ids(start_from=T0) == ["s-a", "s-b", "s-c", "s-e"]  # inclusive
    assert await ids(start_to=at(day)) == ["s-d", "s-a", "s-b"]  # exclusive
    assert await ids(start_from=T0, start_to=at(day)) == ["s-a", "s-b"]
    assert await ids(start_from=at(day), start_to=at(day) + timedelta(microseconds=1)) == ["s-c"]
    assert await ids(states=[SessionState.SCHEDULED]) == ["s-a", "s-b", "s-e"]
    assert await ids(states=[SessionState.ENDED, SessionState.CANCELLED]) == ["s-d", "s-c"]
    assert await ids(states=[]) == []
    assert await ids(group_id="g2", states=[SessionState.SCHEDULED], start_from=T0) == ["s-e"]
    # one group within both bounds (how the open session is looked up), before and
    # after the sessions change
    window = {"start_from": at(-day), "start_to": at(2 * day)}
    assert await ids(group_id="g1", **window) == ["s-a", "s-b", "s-c"]
    assert await ids(group_id="g2", **window) == ["s-d"]
    assert await ids(group_id="g2", states=[SessionState.SCHEDULED], **window) == []
    assert await ids(group_id="g9", **window) == []
    await store.set_session_state("s-a", SessionState.ENDED)
    assert await ids(group_id="g1", states=(SessionState.SCHEDULED,), **window) == ["s-b"]
    await store.add_session(session("s-f", "g2", day))
    assert await ids(group_id="g2", **window) == ["s-d", "s-f"]
    # bounds in another zone mean the same instants
    plus5 = timezone(timedelta(hours=5, minutes=30))
    assert await ids(start_from=T0.astimezone(plus5), start_to=at(1).astimezone(plus5)) == [
        "s-a",
        "s-b",
    ]


async def test_set_session_state(store: Store) -> None:
    await store.add_session(session("s1"))
    await store.set_session_state("s1", SessionState.ENDED)
    assert (await store.get_session("s1")).state is SessionState.ENDED  # type: ignore[union-attr]
    await store.set_session_state("s1", SessionState.CANCELLED, audit=audit_entry("cancel"))
    assert (await store.get_session("s1")).state is SessionState.CANCELLED  # type: ignore[union-attr]
    assert [a.action for a in await store.audit_page()] == ["cancel"]
    with pytest.raises(KeyError):
        await store.set_session_state("nope", SessionState.ENDED, audit=audit_entry("x"))
    with pytest.raises(KeyError):
        await store.set_session_state("nope", SessionState.ENDED)
    assert len(await store.audit_page()) == 1


async def test_session_datetimes_come_back_aware_utc(store: Store) -> None:
    s = session("s1")
    await store.add_session(s)
    got = await store.get_session("s1")
    assert got is not None and got.start == s.start and got.end == s.end
    assert got.start.utcoffset() == timedelta(0) and got.start.microsecond == 123456


# -- records ---------------------------------------------------------------------------
async def test_record_round_trip(store: Store) -> None:
    await store.add_session(session("s1"))
    full = record(
        "s1",
        "p-1",
        status=Status.PARTIAL,
        attended_minutes=95,
        camera_minutes=40,
        first_seen=at(3),
        last_seen=at(100) + timedelta(microseconds=7),
        checked_in_at=at(-5),
        flags=(Flag.LEFT_EARLY, Flag.UNCERTAIN),
        verified_by="f-1",
        makeup_for="s0",
        participation=Participation.LOW,
        in_room=True,
    )
    await store.save_records([full, record("s1", "p-2", status=Status.ABSENT)])
    got = await store.records(session_id="s1")
    assert got == [full, record("s1", "p-2", status=Status.ABSENT)]
    assert got[0].last_seen is not None and got[0].last_seen.tzinfo is not None
    assert got[0].last_seen.utcoffset() == timedelta(0)


async def test_save_records_replaces_by_session_and_person(store: Store) -> None:
    await store.add_session(session("s1"))
    await store.save_records([record("s1", "p-1", status=Status.UNVERIFIED)])
    await store.save_records([record("s1", "p-1", status=Status.PRESENT, attended_minutes=180)])
    assert await store.records() == [record("s1", "p-1", attended_minutes=180)]
    # the same key twice in one batch: the last one wins
    await store.save_records(
        [record("s1", "p-2", status=Status.LATE), record("s1", "p-2", status=Status.EXCUSED)]
    )
    assert [r.status for r in await store.records(person_id="p-2")] == [Status.EXCUSED]
    await store.save_records([])
    assert len(await store.records()) == 2


async def test_records_filters_and_order(store: Store) -> None:
    day = 24 * 60
    await store.add_session(session("s2", "g1", day))
    await store.add_session(session("s1-b", "g1", 0))
    await store.add_session(session("s1-a", "g2", 0))
    await store.save_records(
        [
            record("s2", "p-1"),
            record("s1-b", "p-2"),
            record("s1-b", "p-1"),
            record("s1-a", "p-3", group="g2"),
            record("ghost", "p-1"),  # no such session: never listed
        ]
    )

    async def keys(**kw: object) -> list[tuple[str, str]]:
        return [(r.session_id, r.person_id) for r in await store.records(**kw)]  # type: ignore[arg-type]

    assert await keys() == [("s1-a", "p-3"), ("s1-b", "p-1"), ("s1-b", "p-2"), ("s2", "p-1")]
    assert await keys(group_id="g1") == [("s1-b", "p-1"), ("s1-b", "p-2"), ("s2", "p-1")]
    assert await keys(person_id="p-1") == [("s1-b", "p-1"), ("s2", "p-1")]
    assert await keys(session_id="s2") == [("s2", "p-1")]
    assert await keys(session_id="ghost") == []
    assert await keys(start_from=at(day)) == [("s2", "p-1")]  # on the session's start
    assert await keys(start_to=at(day)) == [("s1-a", "p-3"), ("s1-b", "p-1"), ("s1-b", "p-2")]
    assert await keys(start_from=T0, start_to=at(1), person_id="p-1") == [("s1-b", "p-1")]


# -- erasure ---------------------------------------------------------------------------
async def test_presence_hints(store: Store) -> None:
    assert await store.hints(["p-1"]) == []
    huddle = Hint(person_id="p-2", source="slack_huddle", since=T0)
    await store.set_hint(huddle)
    await store.set_hint(Hint(person_id="p-1", source="slack_huddle", since=T0))
    await store.set_hint(Hint(person_id="p-1", source="other", since=at(1)))
    later = Hint(person_id="p-1", source="slack_huddle", since=at(5))
    await store.set_hint(later)  # replaces p-1's huddle hint
    assert await store.hints(["p-1", "p-2", "p-9"]) == [
        Hint(person_id="p-1", source="other", since=at(1)),
        later,
        huddle,
    ]
    assert await store.hints([]) == []
    await store.clear_hint("p-1", "other")
    await store.clear_hint("p-1", "other")  # clearing twice is harmless
    assert await store.hints(["p-1"]) == [later]
    await store.upsert_person(person("p-1"))
    exported = await privacy.export_person(store, "p-1", at(6), "admin")
    since = at(5).isoformat()
    assert exported["presence_hints"] == [{"source": "slack_huddle", "since": since}]
    await store.forget_person("p-1", audit=audit_entry("forget", target="p-1"))
    assert await store.hints(["p-1", "p-2"]) == [huddle]  # erasure takes their hints too


async def test_forget_person(store: Store) -> None:
    subject = person(
        "p-1",
        display_name="Jay Doe",
        slack_user_id="U1",
        discord_user_id="111",
        zoom_email="jay@example.org",
        email="jay@home.example",
        phone="+15550001",
        timezone="America/New_York",
        quiet_hours="21:00-08:00",
        channels=("chat", "sms"),
        aliases=("Jay",),
        zoom_registrant_id="reg-1",
    )
    await store.upsert_person(subject)
    await store.upsert_person(person("p-2", slack_user_id="U2"))
    await store.seed_enrollment("p-1", "g1", T0)
    await store.add_session(session("s1"))
    await store.append_evidence(
        [entry("k1", person_id="p-1", session_id="s1"), entry("k2", person_id="p-2")],
        notes=["running late, sorry", "p-2's note"],
    )
    await store.append_evidence(
        [entry("k3", person_id="p-1", kind=EvidenceKind.ABSENCE_NOTICE, at=at(60))],
        notes=["family matter"],
    )
    await store.save_records([record("s1", "p-1")])
    ledger_before = await store.ledger_page()

    assert await store.forget_person("p-1", audit=audit_entry("forget", target="p-1")) is True

    assert await store.get_person("p-1") == person(
        "p-1", display_name="forgotten", channels=(), forgotten=True
    )
    assert await store.find_person(platform="slack", user_id="U1") is None
    assert await store.find_person_by_email("jay@example.org") is None
    assert await store.notes_for("p-1") == []
    assert await store.notes_for("p-2") == [("k2", "p-2's note")]
    assert await store.ledger_page() == ledger_before  # the chain is untouched
    assert [e.key for e in await store.evidence(person_id="p-1")] == ["k1", "k3"]
    assert await store.records(person_id="p-1") == [record("s1", "p-1")]
    assert await store.enrollments(person_id="p-1") == [Enrollment(person_id="p-1", group_id="g1")]
    assert [(a.action, a.target) for a in await store.audit_page()] == [("forget", "p-1")]
    assert (await store.get_person("p-2")).slack_user_id == "U2"  # type: ignore[union-attr]


async def test_forgetting_a_person_erases_the_names_of_guests_linked_to_them(
    store: Store,
) -> None:
    await store.upsert_person(person("p-1"))
    seen = [
        entry("zoom:1", guest_key="zoom:robin", kind=EvidenceKind.PRESENCE),
        entry("zoom:2", guest_key="zoom:sam", kind=EvidenceKind.PRESENCE),
    ]
    await store.append_evidence(seen, notes=["Robin", "Sam"])
    link = entry(
        "guest-link:g1:zoom:robin:r1",
        kind=EvidenceKind.GUEST_LINK,
        person_id="p-1",
        guest_key="zoom:robin",
    )
    await store.append_evidence([link])
    await privacy.forget_person(store, "p-1", at(9), "admin")
    assert await store.notes_by_key(["zoom:1", "zoom:2"]) == {"zoom:2": "Sam"}
    actions = [a.action for a in await store.audit_page()]
    assert actions == ["participant.forget", "guest.forget"]


async def test_forget_keeps_role(store: Store) -> None:
    await store.upsert_person(person("f-1", role=Role.FACILITATOR, email="f@x.org"))
    await store.forget_person("f-1", audit=audit_entry("forget", target="f-1"))
    got = await store.get_person("f-1")
    assert got is not None and got.role is Role.FACILITATOR and got.forgotten
    assert got.email is None and got.display_name == "forgotten"


async def test_forget_unknown_person(store: Store) -> None:
    assert await store.forget_person("nobody", audit=audit_entry("forget")) is False
    assert await store.audit_page() == []


async def test_every_datetime_kind_round_trips_from_other_zones(store: Store) -> None:
    """Aware datetimes in any zone are the same instants when read back."""
    east = timezone(timedelta(hours=9))
    s = session("s1")
    s_east = Session(id="s2", group_id="g1", start=s.start.astimezone(east), end=s.end)
    await store.add_session(s_east)
    got = await store.get_session("s2")
    assert got is not None and got.start == s.start and got.start.tzinfo is not None
    assert [x.id for x in await store.list_sessions(start_from=s.start, start_to=at(1))] == ["s2"]
    assert s.start.astimezone(UTC) == got.start
