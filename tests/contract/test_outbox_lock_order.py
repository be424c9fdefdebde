"""On PostgreSQL, a batch of the outbox's marks (storage._marks) takes its rows' locks in
key order; an erasure, or retention's purge, that rewrites several of a person's queued
messages must take theirs in the same order, or the two can deadlock (PostgreSQL then
aborts one: an erasure refused, to be run again). Driven by hand: a transaction holds
the first row as a mark batch would, the erasure starts, and the batch then goes on to
the second row: without the ordered lock the erasure failed with "deadlock detected"
(retention's purge happened to scan in key order; it is held to it here all the same).
SQLite has one write lock for the whole file: no order to keep."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import text, update
from sqlalchemy.ext.asyncio import create_async_engine

from bot.core.outbox import OutboxStatus
from bot.core.ports import Store
from storage.sql import open_store
from storage.tables import outbox
from tests.contract.factories import at, audit_entry, person
from tests.contract.test_outbox_contract import item


@pytest.mark.parametrize("erase", ["forget_person", "purge_notes"])
async def test_an_erasure_and_a_mark_batch_never_deadlock(pg_migrated_url: str, erase: str) -> None:
    store = await open_store(pg_migrated_url)
    batch = create_async_engine(pg_migrated_url)
    try:
        # "k-b" is stored first: a scan of the table meets it before "k-a"
        await store.upsert_person(person("p-1"))
        await store.enqueue([item("k-b"), item("k-a")])
        if erase == "purge_notes":
            await _finish_both(store)
        async with batch.connect() as conn:
            # a mark batch in key order: "k-a" now, "k-b" once the erasure waits
            trans = await conn.begin()
            await conn.execute(text("SET LOCAL deadlock_timeout = '100ms'"))
            mark = update(outbox).values(attempts=outbox.c.attempts)
            await conn.execute(mark.where(outbox.c.key == "k-a"))
            if erase == "forget_person":
                erasing = asyncio.ensure_future(
                    store.forget_person("p-1", audit=audit_entry("forget", target="p-1"))
                )
            else:
                erasing = asyncio.ensure_future(
                    store.purge_notes(at(60), audit=audit_entry("retention"))
                )
            await asyncio.sleep(0.5)  # the erasure is now waiting on a lock
            assert not erasing.done()
            await conn.execute(mark.where(outbox.c.key == "k-b"))
            await trans.commit()
        await asyncio.wait_for(erasing, 10)
        assert [i.text for i in await store.outbox_items()] == ["", ""]
    finally:
        await batch.dispose()
        await store.close()


async def _finish_both(store: Store) -> None:
    """Both messages sent (retention only clears what is finished)."""
    await store.claim_due(at(0), worker="w", limit=10, lease=timedelta(minutes=5))
    for key in ("k-a", "k-b"):
        await store.finish(key, OutboxStatus.SENT, at=at(1), channel="slack")
