"""On a SQLite file, the audit append goes to the ledger's writer thread and a few small
reads (chain heads, who a channel cannot reach, presence hints) to a reader thread, each
one hand-off on a plain sqlite3 connection. They must store the very bytes, and read
back the very values, of the general way through SQLAlchemy (the same store with both
threads turned off), and chain alike with rows the general way wrote."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from bot.core.domain import AuditEntry, Hint
from bot.core.ledger import verify_chain
from storage.migrate import upgrade
from storage.sql import SqlStore, open_store
from tests.contract.factories import audit_entry, entry

T0 = datetime(2026, 5, 4, 22, 5, 0, 137, tzinfo=UTC)
EST = timezone(timedelta(hours=-5))


async def _store(path: Path, *, fast: bool) -> SqlStore:
    url = f"sqlite:///{path}"
    await upgrade(url)
    store = await open_store(url, cache_seconds=0)
    if not fast:
        assert store._writer is not None and store._reader is not None
        await store._writer.close()
        await store._reader.close()
        store._writer = store._reader = None
    return store


async def _fill(store: SqlStore, fast_first: SqlStore | None = None) -> None:
    await store.append_evidence([entry("k1"), entry("k2", at=T0.astimezone(EST))])
    for i, (when, detail) in enumerate(
        [
            (T0, {"platform": "slack"}),
            (T0.astimezone(EST) + timedelta(microseconds=5), {"n": 3, "x": 0.1, "s": "ü ✓ \u2028"}),
            (T0.replace(microsecond=0), {}),
        ]
    ):
        await store.append_audit(audit_entry(at=when, target=f"s-{i}", detail=detail))
    await store.set_hint(Hint(person_id="p-2", source="slack", since=T0.astimezone(EST)))
    await store.set_hint(Hint(person_id="p-1", source="zoom", since=T0))
    await store.set_hint(Hint(person_id="p-1", source="discord", since=T0.replace(microsecond=0)))
    await store.mark_unreachable("p-1", "chat", T0)
    await store.mark_unreachable("p-3", "chat", T0)
    await store.mark_unreachable("p-2", "sms", T0)


def _dump(path: Path) -> dict[str, list[tuple[object, ...]]]:
    out = {}
    with sqlite3.connect(path) as conn:
        for table in ("audit", "chain_heads", "presence_hints"):
            columns = [r[1] for r in conn.execute(f"PRAGMA table_info({table})")]
            cells = ", ".join(f"typeof({c}), hex({c})" for c in columns)
            out[table] = conn.execute(f"SELECT {cells} FROM {table} ORDER BY 2, 4").fetchall()
    return out


async def test_fast_paths_store_and_read_what_the_general_way_does(tmp_path: Path) -> None:
    fast = await _store(tmp_path / "fast.db", fast=True)
    general = await _store(tmp_path / "general.db", fast=False)
    try:
        for store in (fast, general):
            await _fill(store)
        assert _dump(tmp_path / "fast.db") == _dump(tmp_path / "general.db")
        for chain in ("ledger", "audit"):
            assert await fast.chain_head(chain) == await general.chain_head(chain)
        assert (
            await fast.unreachable_on("chat")
            == await general.unreachable_on("chat")
            == {
                "p-1",
                "p-3",
            }
        )
        assert await fast.unreachable_on("nowhere") == set()
        wanted = ["p-2", "p-1", "p-9", "p-1"]
        got, want = await fast.hints(wanted), await general.hints(wanted)
        assert got == want and len(got) == 3
        assert [type(h.since) for h in got] == [type(h.since) for h in want]
        assert [h.since.utcoffset() for h in got] == [timedelta(0)] * 3
        assert await fast.hints([]) == []
    finally:
        await fast.close()
        await general.close()


async def test_audit_rows_chain_alike_whichever_way_wrote_them(tmp_path: Path) -> None:
    """Rows written the general way (another process, an older version) and by the
    writer thread, interleaved, form one chain that verifies."""
    path = tmp_path / "mixed.db"
    fast = await _store(path, fast=True)
    general = await open_store(f"sqlite:///{path}", cache_seconds=0)
    assert general._writer is not None and general._reader is not None
    await general._writer.close()
    await general._reader.close()
    general._writer = general._reader = None
    try:
        for i in range(6):
            store = fast if i % 2 else general
            await store.append_audit(audit_entry(at=T0 + timedelta(seconds=i), target=f"s-{i}"))
            assert await fast.chain_head("audit") == await general.chain_head("audit")
        assert (await fast.chain_head("audit"))[0] == 6
        for store in (fast, general):

            async def page(after: int, store: SqlStore = store) -> Sequence[AuditEntry]:
                return await store.audit_page(after_seq=after)

            assert await verify_chain("audit", page, await store.chain_head("audit")) is None
        # what either way reads back is the same row
        assert await fast.audit_page() == await general.audit_page()
    finally:
        await fast.close()
        await general.close()
