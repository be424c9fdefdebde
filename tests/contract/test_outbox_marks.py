"""The outbox's marks written together (storage._marks, group commit) give what the
same calls give one at a time, and store the same bytes as the statements the SQL
outbox built for each call before (literal values, one transaction each).

Runs over every backend (conftest.py `backend`); the byte check over SQLite files.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import case, func, literal, text, update

from bot.core.outbox import OutboxStatus
from bot.core.ports import Store
from storage._marks import Mark, Marks
from storage.sql import SqlStore
from storage.tables import outbox
from tests.contract.conftest import Backend
from tests.contract.factories import at
from tests.contract.test_outbox_contract import LEASE, item

Call = Callable[[Store, str], Awaitable[Any]]

#: per item: the calls of one delivery (claimed by "w" at at(0)), and what each returns
SCRIPTS: dict[str, list[Call]] = {
    "sent": [
        lambda s, k: s.renew_claim(k, worker="w", until=at(1) + LEASE, sending_at=at(1)),
        lambda s, k: s.finish(k, OutboxStatus.SENT, at=at(2), channel="chat"),
    ],
    "retry": [
        lambda s, k: s.renew_claim(k, worker="w", until=at(1) + LEASE, sending_at=at(1)),
        lambda s, k: s.finish(
            k, OutboxStatus.PENDING, at=at(2), error="timeout", next_attempt_at=at(3)
        ),
    ],
    "refused": [
        lambda s, k: s.renew_claim(k, worker="w", until=at(1) + LEASE, sending_at=at(1.25)),
        lambda s, k: s.finish(
            k,
            OutboxStatus.PENDING,
            at=at(2),
            error="r",
            next_attempt_at=at(3),
            unsent_since=at(1.25),
        ),
    ],
    "other_mark": [
        lambda s, k: s.renew_claim(k, worker="w", until=at(1) + LEASE, sending_at=at(1)),
        lambda s, k: s.finish(
            k, OutboxStatus.PENDING, at=at(2), error="r", next_attempt_at=at(3), unsent_since=at(9)
        ),
    ],
    "not_holder": [
        lambda s, k: s.renew_claim(k, worker="w2", until=at(1) + LEASE, sending_at=at(1)),
        lambda s, k: s.renew_claim(k, worker="w", until=at(1.5) + LEASE),
    ],
    "released": [lambda s, k: s.renew_claim(k, worker="w", until=at(0.5))],
    "dropped": [lambda s, k: s.finish(k, OutboxStatus.DROPPED, at=at(2), error="erased")],
}


async def _outcome(call: Call, store: Store, key: str) -> object:
    try:
        return await call(store, key)
    except KeyError as e:
        return ("KeyError", e.args)


async def _run(store: Store, prefix: str, *, together: bool) -> list[object]:
    """Every script's step n for every item, all at once (`together`) or one by one."""
    keys = {name: f"{prefix}{name}" for name in SCRIPTS}
    await store.enqueue([item(k) for k in keys.values()])
    await store.claim_due(at(0), worker="w", limit=len(keys), lease=LEASE)
    out: list[object] = []
    for step in range(max(len(s) for s in SCRIPTS.values())):
        calls = [(s[step], keys[n]) for n, s in SCRIPTS.items() if step < len(s)]
        calls.append((SCRIPTS["sent"][1], f"{prefix}missing"))  # no such item
        if together:
            out += await asyncio.gather(*(_outcome(c, store, k) for c, k in calls))
        else:
            out += [await _outcome(c, store, k) for c, k in calls]
    return [_unprefixed(o, prefix) for o in out]


def _unprefixed(outcome: object, prefix: str) -> object:
    if isinstance(outcome, tuple):
        return (outcome[0], tuple(str(a).removeprefix(prefix) for a in outcome[1]))
    return outcome


async def test_marks_written_together_give_what_one_at_a_time_gives(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    sizes: list[int] = []
    if isinstance(store, SqlStore):  # the SQL outbox: see how its marks were grouped
        commit = Marks._commit

        async def counted(self: Marks, marks: list[Mark]) -> None:
            sizes.append(len(marks))
            await commit(self, marks)

        monkeypatch.setattr(Marks, "_commit", counted)
    alone = await _run(store, "a-", together=False)
    assert set(sizes) <= {1}
    together = await _run(store, "t-", together=True)
    assert not sizes or max(sizes) > 1  # some were written together
    assert together == alone
    assert ("KeyError", ("missing",)) in alone and True in alone and False in alone
    items = {i.key: i for i in await store.outbox_items()}
    for name in SCRIPTS:
        a, t = items[f"a-{name}"], items[f"t-{name}"]
        assert t == dataclasses.replace(a, key=t.key, text=t.text)


# -- the same bytes as the statements built per call before -------------------------
def _old_renew(key: str, worker: str, until: datetime, sending_at: datetime | None) -> Any:
    from storage.tables import outbox

    values: dict[str, object] = {"claimed_until": until}
    if sending_at is not None:
        begun = literal(sending_at, type_=outbox.c.sending_at.type)
        values["sending_at"] = func.coalesce(outbox.c.sending_at, begun)
    return (
        update(outbox)
        .where(
            (outbox.c.key == key)
            & (outbox.c.status == str(OutboxStatus.CLAIMED))
            & (outbox.c.claimed_by == worker)
        )
        .values(values)
    )


def _old_finish(key: str, status: OutboxStatus, **kw: Any) -> Any:
    from storage.tables import outbox

    retry = status is OutboxStatus.PENDING
    sending: object = outbox.c.sending_at if retry else None
    unsent = kw.get("unsent_since")
    if retry and unsent is not None:
        mine = outbox.c.sending_at == literal(unsent, type_=outbox.c.sending_at.type)
        sending = case((mine, None), else_=outbox.c.sending_at)
    return (
        update(outbox)
        .where(outbox.c.key == key)
        .values(
            status=str(status),
            attempts=outbox.c.attempts + 1,
            next_attempt_at=kw.get("next_attempt_at") if retry else None,
            claimed_by=None,
            claimed_until=None,
            channel_used=kw.get("channel"),
            finished_at=None if retry else kw["at"],
            last_error=kw.get("error"),
            sending_at=sending,
        )
    )


class _OldOutbox:
    """`renew_claim` and `finish` as the SQL outbox wrote them before the marks."""

    def __init__(self, store: SqlStore) -> None:
        self.store = store

    async def renew_claim(
        self, key: str, *, worker: str, until: datetime, sending_at: datetime | None = None
    ) -> bool:
        async with self.store._write() as conn:
            stmt = _old_renew(key, worker, until, sending_at)
            return (await conn.execute(stmt)).rowcount == 1

    async def finish(self, key: str, status: OutboxStatus, **kw: Any) -> None:
        async with self.store._write() as conn:
            if (await conn.execute(_old_finish(key, status, **kw))).rowcount != 1:
                raise KeyError(key)


async def test_marks_store_the_bytes_the_per_call_statements_stored(backend: Backend) -> None:
    if not backend.name.startswith("sqlite"):
        pytest.skip("raw bytes read from a SQLite file")
    store = backend.store
    assert isinstance(store, SqlStore)
    keys = {name: (f"old-{name}", f"new-{name}") for name in SCRIPTS}
    await store.enqueue([item(k, text="t") for pair in keys.values() for k in pair])
    await store.claim_due(at(0), worker="w", limit=100, lease=LEASE)
    old = _OldOutbox(store)
    for name, script in SCRIPTS.items():
        old_key, new_key = keys[name]
        for call in script:
            before = await _outcome(call, old, old_key)  # type: ignore[arg-type]
            assert _unprefixed(before, "old-") == _unprefixed(
                await _outcome(call, store, new_key), "new-"
            )
    async with store._read() as conn:  # the stored values as they are (no type)
        result = await conn.execute(text("SELECT * FROM outbox ORDER BY key"))
        stored = {r._mapping["key"]: dict(r._mapping) for r in result}
    for old_key, new_key in keys.values():
        assert {**stored[old_key], "key": new_key} == stored[new_key]
    assert any(isinstance(r["sending_at"], str) for r in stored.values())
    assert any(isinstance(r["finished_at"], str) for r in stored.values())


async def test_unreachable_reads_made_together_answer_each_caller(store: Store) -> None:
    for person_id, channel in [("p-1", "sms"), ("p-1", "email"), ("p-2", "chat")]:
        await store.mark_unreachable(person_id, channel, at(0))
    people = ["p-1", "p-2", "p-3", "p-1"]
    alone = [await store.unreachable_channels(p) for p in people]
    together = await asyncio.gather(*(store.unreachable_channels(p) for p in people))
    assert together == alone == [{"sms", "email"}, {"chat"}, set(), {"sms", "email"}]
    together[0].add("changed")  # each caller's own set
    assert together[3] == {"sms", "email"}


class _Failing:
    """A transaction that fails whenever it holds the mark with key "bad"."""

    def __init__(self) -> None:
        self.committed: list[list[str]] = []

    def __call__(self) -> Any:
        return _Tx(self)


class _Tx:
    def __init__(self, owner: _Failing) -> None:
        self.owner, self.keys = owner, list[str]()

    async def __aenter__(self) -> _Tx:
        return self

    async def __aexit__(self, kind: object, *_: object) -> None:
        if kind is None:
            if "bad" in self.keys:
                raise RuntimeError("refused")
            self.owner.committed.append(self.keys)

    async def execute(self, statement: object, params: dict[str, object]) -> Any:
        self.keys.append(str(params["k"]))
        await asyncio.sleep(0)
        return type("Result", (), {"rowcount": 1})()


async def test_a_failing_mark_fails_only_its_own_caller() -> None:
    tx = _Failing()
    marks = Marks(tx)
    keys = ["b", "bad", "a", "c"]
    got = await asyncio.gather(
        *(marks.write(Mark(k, update(outbox), {"k": k})) for k in keys), return_exceptions=True
    )
    assert [type(g).__name__ for g in got] == ["int", "RuntimeError", "int", "int"]
    assert sorted(k for keys in tx.committed for k in keys) == ["a", "b", "c"]


async def test_a_batch_whose_caller_is_cancelled_is_written_once() -> None:
    gate = asyncio.Event()
    committed: list[list[str]] = []

    class Slow(_Tx):
        async def __aexit__(self, kind: object, *_: object) -> None:
            await gate.wait()  # the commit under way when its caller is cancelled
            committed.append(self.keys)

    marks = Marks(lambda: Slow(_Failing()))
    first = asyncio.create_task(marks.write(Mark("a", update(outbox), {"k": "a"})))
    await asyncio.sleep(0)  # "a" is being written
    rest = [asyncio.create_task(marks.write(Mark(k, update(outbox), {"k": k}))) for k in ("c", "b")]
    await asyncio.sleep(0)
    first.cancel()  # its caller goes; its batch goes on, and the next one after it
    await asyncio.sleep(0)
    gate.set()
    assert await asyncio.gather(*rest) == [1, 1]
    assert first.cancelled()
    assert committed == [["a"], ["b", "c"]]
