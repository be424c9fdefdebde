"""The `Store` contract, part 3: the outbox and unreachable channels.

Runs over memory, SQLite and PostgreSQL (see conftest.py `backend`).
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest

from bot.core.actions import Button
from bot.core.outbox import Kind, OutboxItem, OutboxStatus
from bot.core.ports import Store
from tests.contract.factories import T0, at, audit_entry, person

LEASE = timedelta(minutes=2)


def item(key: str, due_min: float = 0, **kw: Any) -> OutboxItem:
    kw.setdefault("kind", Kind.REMINDER)
    kw.setdefault("text", f"text of {key}")
    kw.setdefault("person_id", "p-1")
    return OutboxItem(key=key, due_at=at(due_min), **kw)


async def test_enqueue_is_idempotent_by_key(store: Store) -> None:
    full = item(
        "r1",
        group_id="g1",
        session_id="s1",
        expires_at=at(30),
        buttons=(
            Button(label="Can't make it", action="absent", value="s1", style="danger"),
            Button(label="OK", action="ack", value="s1"),
        ),
    )
    assert await store.enqueue([full, item("r2", 5)]) == 2
    assert await store.enqueue([item("r1", 9, text="other"), item("r3", 1)]) == 1
    assert await store.enqueue([item("r4"), item("r4", text="second")]) == 1  # first wins
    assert await store.enqueue([]) == 0
    got = await store.outbox_items()
    assert [i.key for i in got] == ["r1", "r4", "r3", "r2"]  # by due_at, then key
    assert got[0] == full
    assert got[1].text == "text of r4"
    assert got[0].due_at.utcoffset() == timedelta(0) and got[0].due_at.microsecond == 123456


async def test_outbox_items_filters(store: Store) -> None:
    await store.enqueue(
        [
            item("a", 0, person_id="p-1"),
            item("b", 1, person_id="p-2", kind=Kind.SURVEY),
            item("c", 2, person_id=None, group_id="g1", kind=Kind.SESSION_OPEN),
        ]
    )
    await store.claim_due(at(0), worker="w", limit=1, lease=LEASE)

    async def keys(**kw: Any) -> list[str]:
        return [i.key for i in await store.outbox_items(**kw)]

    assert await keys(person_id="p-2") == ["b"]
    assert await keys(kind="survey") == ["b"]
    assert await keys(kind=Kind.SESSION_OPEN) == ["c"]
    assert await keys(status=OutboxStatus.CLAIMED) == ["a"]
    assert await keys(status=OutboxStatus.PENDING) == ["b", "c"]
    assert await keys(person_id="p-1", status=OutboxStatus.PENDING) == []


async def test_claim_due_takes_due_items_in_order_up_to_the_limit(store: Store) -> None:
    await store.enqueue([item("late", 10), item("b", 0), item("a", 0), item("early", -5)])
    now = at(0)  # "late" is not due yet; due_at == now is due
    claimed = await store.claim_due(now, worker="w1", limit=2, lease=LEASE)
    assert [i.key for i in claimed] == ["early", "a"]
    for i in claimed:
        assert i.status is OutboxStatus.CLAIMED
        assert (i.claimed_by, i.claimed_until) == ("w1", now + LEASE)
    assert [i.key for i in await store.claim_due(now, worker="w2", limit=10, lease=LEASE)] == ["b"]
    assert await store.claim_due(now, worker="w3", limit=10, lease=LEASE) == []
    stored = {i.key: i for i in await store.outbox_items()}
    assert stored["early"].claimed_by == "w1" and stored["b"].claimed_by == "w2"
    assert stored["late"].status is OutboxStatus.PENDING
    assert await store.claim_due(now, worker="w", limit=0, lease=LEASE) == []


async def test_an_expired_lease_is_claimed_again(store: Store) -> None:
    await store.enqueue([item("a")])
    await store.claim_due(at(0), worker="w1", limit=5, lease=LEASE)
    assert await store.claim_due(at(2), worker="w2", limit=5, lease=LEASE) == []  # lease == now
    again = await store.claim_due(at(2.5), worker="w2", limit=5, lease=LEASE)
    assert [(i.key, i.claimed_by, i.claimed_until) for i in again] == [("a", "w2", at(2.5) + LEASE)]


async def test_a_claim_is_renewed_only_by_its_holder(store: Store) -> None:
    await store.enqueue([item("a")])
    await store.claim_due(at(0), worker="w1", limit=5, lease=LEASE)
    assert await store.renew_claim("a", worker="w1", until=at(1.5) + LEASE) is True
    # renewed: not free for another worker when the first lease would have ended
    assert await store.claim_due(at(2.5), worker="w2", limit=5, lease=LEASE) == []
    assert await store.renew_claim("a", worker="w2", until=at(9)) is False
    (held,) = await store.outbox_items()
    assert (held.claimed_by, held.claimed_until) == ("w1", at(1.5) + LEASE)
    # once the lease is over and w2 holds it, w1 can no longer renew (and won't send)
    taken = await store.claim_due(at(4), worker="w2", limit=5, lease=LEASE)
    assert [i.key for i in taken] == ["a"]
    assert await store.renew_claim("a", worker="w1", until=at(9)) is False
    await store.finish("a", OutboxStatus.SENT, at=at(4), channel="chat")
    assert await store.renew_claim("a", worker="w2", until=at(9)) is False  # finished
    assert await store.renew_claim("nope", worker="w2", until=at(9)) is False


async def test_a_send_in_flight_is_marked_and_shown_to_the_next_claim(store: Store) -> None:
    await store.enqueue([item("a"), item("b")])
    await store.claim_due(at(0), worker="w1", limit=5, lease=LEASE)
    # another worker's renewal marks nothing
    assert await store.renew_claim("a", worker="w2", until=at(9), sending_at=at(0.2)) is False
    assert await store.renew_claim("a", worker="w1", until=at(0.5) + LEASE, sending_at=at(0.5))
    assert await store.renew_claim("b", worker="w1", until=at(0.6) + LEASE)  # not sending
    marks = {i.key: i.sending_at for i in await store.outbox_items()}
    assert marks == {"a": at(0.5), "b": None}
    assert marks["a"] is not None and marks["a"].utcoffset() == timedelta(0)
    # w1 dies in the send window; the item claimed again carries the mark of the
    # attempt that never got its result, and a new attempt keeps the earliest one
    again = await store.claim_due(at(3), worker="w2", limit=5, lease=LEASE)
    assert {i.key: i.sending_at for i in again} == {"a": at(0.5), "b": None}
    assert await store.renew_claim("a", worker="w2", until=at(3) + LEASE, sending_at=at(3))
    assert await store.renew_claim("b", worker="w2", until=at(3) + LEASE, sending_at=at(3))
    assert {i.key: i.sending_at for i in await store.outbox_items()} == {
        "a": at(0.5),
        "b": at(3),
    }
    # a retry keeps the mark (a timed-out send may have arrived); a result clears it
    await store.finish("a", OutboxStatus.PENDING, at=at(4), error="t", next_attempt_at=at(5))
    await store.finish("b", OutboxStatus.SENT, at=at(4), channel="chat")
    retried = await store.claim_due(at(5), worker="w3", limit=5, lease=LEASE)
    assert [(i.key, i.sending_at) for i in retried] == [("a", at(0.5))]
    await store.finish("a", OutboxStatus.SENT, at=at(6), channel="chat")
    assert {i.key: i.sending_at for i in await store.outbox_items()} == {"a": None, "b": None}


async def test_a_refused_attempt_clears_only_its_own_mark(store: Store) -> None:
    await store.enqueue([item("a"), item("b")])
    await store.claim_due(at(0), worker="w1", limit=5, lease=LEASE)
    assert await store.renew_claim("a", worker="w1", until=at(1) + LEASE, sending_at=at(1))
    # "a" times out (unknown: may have arrived) on its first attempt
    await store.finish("a", OutboxStatus.PENDING, at=at(1.5), error="t", next_attempt_at=at(2))
    # "b" is refused (a 429 with a response): it surely sent nothing
    assert await store.renew_claim("b", worker="w1", until=at(1) + LEASE, sending_at=at(1))
    await store.finish(
        "b", OutboxStatus.PENDING, at=at(1.5), error="r", next_attempt_at=at(2), unsent_since=at(1)
    )
    again = await store.claim_due(at(2), worker="w2", limit=5, lease=LEASE)
    assert {i.key: i.sending_at for i in again} == {"a": at(1), "b": None}
    assert {i.key: i.attempts for i in again} == {"a": 1, "b": 1}
    # a refusal after an unknown attempt keeps that attempt's mark: it may have arrived
    assert await store.renew_claim("a", worker="w2", until=at(2) + LEASE, sending_at=at(2))
    await store.finish(
        "a", OutboxStatus.PENDING, at=at(2.5), error="r", next_attempt_at=at(3), unsent_since=at(2)
    )
    assert {i.key: i.sending_at for i in await store.outbox_items()}["a"] == at(1)


async def test_finish_records_the_outcome(store: Store) -> None:
    await store.enqueue([item("a"), item("b")])
    await store.claim_due(at(0), worker="w", limit=5, lease=LEASE)
    await store.finish("a", OutboxStatus.SENT, at=at(1), channel="chat")
    await store.finish("b", OutboxStatus.PENDING, at=at(1), error="timeout", next_attempt_at=at(3))
    a, b = await store.outbox_items()
    assert (a.status, a.attempts, a.channel_used, a.finished_at) == (
        OutboxStatus.SENT,
        1,
        "chat",
        at(1),
    )
    assert (a.claimed_by, a.claimed_until, a.next_attempt_at) == (None, None, None)
    assert (b.status, b.attempts, b.last_error, b.next_attempt_at, b.finished_at) == (
        OutboxStatus.PENDING,
        1,
        "timeout",
        at(3),
        None,
    )
    # a retry waits for its next attempt, not for due_at
    assert await store.claim_due(at(2), worker="w", limit=5, lease=LEASE) == []
    retried = await store.claim_due(at(3), worker="w", limit=5, lease=LEASE)
    assert [(i.key, i.attempts) for i in retried] == [("b", 1)]
    await store.finish("b", OutboxStatus.FAILED, at=at(4), error="unreachable")
    b = (await store.outbox_items(status=OutboxStatus.FAILED))[0]
    assert (b.attempts, b.finished_at, b.next_attempt_at) == (2, at(4), None)
    with pytest.raises(KeyError):
        await store.finish("nope", OutboxStatus.SENT, at=at(5))


async def test_concurrent_claims_never_share_an_item(store: Store) -> None:
    await store.enqueue([item(f"i{n:02d}", n % 5) for n in range(30)])
    batches = await asyncio.gather(
        *(store.claim_due(at(10), worker=f"w{w}", limit=8, lease=LEASE) for w in range(6))
    )
    keys = [i.key for batch in batches for i in batch]
    assert sorted(keys) == sorted(f"i{n:02d}" for n in range(30))


async def test_unreachable_channels(store: Store) -> None:
    assert await store.unreachable_channels("p-1") == set()
    assert await store.mark_unreachable("p-1", "chat", T0) is True
    assert await store.mark_unreachable("p-1", "chat", at(5)) is False
    assert await store.mark_unreachable("p-1", "sms", T0) is True
    assert await store.mark_unreachable("p-2", "email", T0) is True
    assert await store.unreachable_channels("p-1") == {"chat", "sms"}
    assert await store.unreachable_channels("p-3") == set()
    assert await store.clear_unreachable("p-1", "chat") is True
    assert await store.clear_unreachable("p-1", "chat") is False
    assert await store.clear_unreachable("p-3", "chat") is False
    assert await store.unreachable_channels("p-1") == {"sms"}
    assert await store.unreachable_channels("p-2") == {"email"}
    assert await store.mark_unreachable("p-1", "chat", at(9)) is True  # can be marked again


async def test_unreachable_on_a_channel(store: Store) -> None:
    assert await store.unreachable_on("chat") == set()
    await store.mark_unreachable("p-1", "chat", T0)
    await store.mark_unreachable("p-1", "sms", T0)
    await store.mark_unreachable("p-2", "chat", T0)
    await store.mark_unreachable("p-3", "email", T0)
    assert await store.unreachable_on("chat") == {"p-1", "p-2"}
    assert await store.unreachable_on("sms") == {"p-1"}
    await store.clear_unreachable("p-1", "chat")
    assert await store.unreachable_on("chat") == {"p-2"}
    assert await store.unreachable_on("fax") == set()


async def test_forget_blanks_the_words_of_their_queued_messages(store: Store) -> None:
    await store.upsert_person(person("p-1"))
    button = Button(label="Book", action="makeup", value="s9")
    await store.enqueue(
        [
            item("to-p1", person_id="p-1", buttons=(button,)),
            item("to-p2", person_id="p-2", buttons=(button,)),
        ]
    )
    await store.forget_person("p-1", audit=audit_entry("forget", target="p-1"))
    mine, other = await store.outbox_items()
    assert (mine.key, mine.text, mine.buttons, mine.status) == (
        "to-p1",
        "",
        (),
        OutboxStatus.PENDING,
    )
    assert (other.text, other.buttons) == ("text of to-p2", (button,))


async def test_forget_blanks_alerts_about_them_to_others(store: Store) -> None:
    await store.upsert_person(person("p_1"))
    await store.enqueue(
        [
            item("alert:consecutive:g1:p_1:s1:to:f-1", kind=Kind.ALERT, person_id="f-1"),
            item("alert:consecutive:g1:pX1:s1:to:f-1", kind=Kind.ALERT, person_id="f-1"),
            item("alert:review:p_1:7:to:f-1", kind=Kind.ALERT, person_id="f-1"),
        ]
    )
    await store.forget_person("p_1", audit=audit_entry("forget", target="p_1"))
    texts = {i.key: i.text for i in await store.outbox_items()}
    assert texts == {
        "alert:consecutive:g1:p_1:s1:to:f-1": "",
        "alert:consecutive:g1:pX1:s1:to:f-1": "text of alert:consecutive:g1:pX1:s1:to:f-1",
        "alert:review:p_1:7:to:f-1": "",
    }


async def test_outbox_backlog_counts_waiting_items_and_the_oldest_due(store: Store) -> None:
    assert await store.outbox_backlog(at(0)) == (0, None)
    await store.enqueue([item("a", 0), item("b", 5), item("c", 60), item("d", 1)])
    assert await store.outbox_backlog(at(-1)) == (4, None)  # nothing due yet
    claimed = await store.claim_due(at(2), worker="w", limit=1, lease=LEASE)
    assert [i.key for i in claimed] == ["a"]
    # "a" is claimed (still waiting, but not "due"); "d" is the oldest due
    assert await store.outbox_backlog(at(10)) == (4, at(1))
    await store.finish("a", OutboxStatus.SENT, at=at(3), channel="chat")
    await store.finish("d", OutboxStatus.PENDING, at=at(3), next_attempt_at=at(20))
    # a retry waits for its next attempt, not its first due time
    assert await store.outbox_backlog(at(10)) == (3, at(5))
    depth, oldest = await store.outbox_backlog(at(30))
    assert (depth, oldest) == (3, at(5))
    assert oldest is not None and oldest.utcoffset() == timedelta(0)
