"""The SQLite ledger writer binds each row through a tuple built for the ledger's own
columns (storage._sqlite_writer._row_maker); it must give exactly the parameters of the
general way (`rows.ledger_values` through every column's SQLAlchemy bind processor, the
dialect's own: what SQLAlchemy itself hands sqlite3), and store the same bytes."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, event
from sqlalchemy.ext.asyncio import create_async_engine

from bot.core.domain import EvidenceKind, LedgerEntry
from bot.core.ledger import GENESIS, Append, Link, chain_append
from storage import rows
from storage._sqlite_writer import (
    _PROBES,
    SqliteLedgerWriter,
    _agrees,
    _direct,
    _general,
    _row_maker,
    _stamp,
    _steps,
    bound_row,
)
from storage.tables import UTCDateTime, chain_heads, ledger, ledger_notes

T0 = datetime(2026, 5, 4, 22, 5, tzinfo=UTC)
DIALECT = create_async_engine("sqlite+aiosqlite://").dialect


def entries() -> list[LedgerEntry]:
    est = timezone(timedelta(hours=-5))
    return [
        LedgerEntry(
            key=f"zoom:k{i}",
            kind=kind,
            group_id="g-1",
            at=(T0 + timedelta(seconds=i, microseconds=i * 137)).astimezone(est if i % 2 else UTC),
            recorded_at=T0 if i % 3 else T0.replace(microsecond=5),
            source="zoom",
            session_id=None if i % 2 else "s-1",
            person_id="p-ü" if i % 4 else None,
            guest_key=None if i % 4 else "zoom:abc",
            actor_id="f-1" if i == 3 else None,
            data={"action": "join", "n": i, "x": 0.1, "ok": None, "s": "✓ \u2028", "l": [1]}
            if i % 5
            else {},
        )
        for i, kind in enumerate([*EvidenceKind, EvidenceKind.PRESENCE])
    ]


@pytest.fixture
def writer() -> SqliteLedgerWriter:
    return SqliteLedgerWriter(":memory:", DIALECT)


def sent_by_sqlalchemy(links: list[Link]) -> list[tuple[Any, ...]]:
    """The parameters SQLAlchemy itself hands sqlite3 for these rows (an insert of
    `rows.ledger_values` through a real engine, caught at the cursor)."""
    engine = create_engine("sqlite://")
    ledger.create(engine)
    sent: list[tuple[Any, ...]] = []

    @event.listens_for(engine, "before_cursor_execute")
    def catch(conn: Any, cursor: Any, statement: str, params: Any, ctx: Any, many: bool) -> None:
        if statement.startswith("INSERT INTO ledger"):
            sent.extend(tuple(p) for p in (params if many else [params]))

    values = [
        rows.ledger_values(link.entry, seq=link.seq, prev_hash=link.prev_hash, hash=link.hash)
        for link in links
    ]
    with engine.begin() as conn:
        conn.execute(ledger.insert(), values)  # executemany
        conn.execute(ledger.delete())
        for one in values:
            conn.execute(ledger.insert(), one)  # one row
    engine.dispose()
    assert len(sent) == 2 * len(links)
    assert sent[: len(links)] == sent[len(links) :]
    return sent[: len(links)]


def adapted(row: tuple[Any, ...]) -> tuple[Any, ...]:
    """A row as sqlite3 stores it (its registered adapters applied)."""
    return tuple(
        sqlite3.adapters[(type(v), sqlite3.PrepareProtocol)](v) if type(v) is datetime else v
        for v in row
    )


def test_the_ledger_row_is_the_general_row(writer: SqliteLedgerWriter) -> None:
    links = chain_append((0, GENESIS), [Append(entries())], set()).links
    direct = _direct(writer._procs, _steps(DIALECT))
    assert sorted(direct) == ["at", "data", "recorded_at"]  # every probe agreed
    fast = _row_maker(writer._procs, direct)
    plain = _row_maker(writer._procs)
    assert fast.__name__ == plain.__name__ == "row"  # the tuple, not the fallback
    sqlalchemys = sent_by_sqlalchemy(links)
    for _ in range(2):  # the second time, recorded_at's text comes from the memo
        for link, sent in zip(links, sqlalchemys, strict=True):
            general = bound_row(writer._procs, link)
            assert plain(link) == general == sent
            assert fast(link) == adapted(general) == sent == writer._row(link)
            assert [type(v) for v in fast(link)] == [type(v) for v in sent]
    # a whole second's text, as SQLite's DATETIME writes it (no offset, microseconds)
    assert sqlalchemys[0][9] == "2026-05-04 22:05:00.000000"


def test_a_converter_that_disagrees_on_a_probe_is_not_used() -> None:
    def stamp(value: datetime) -> str:
        return value.isoformat(" ")  # no naive check, and no conversion to UTC

    utc = UTCDateTime()
    dialects = _general(utc.dialect_impl(DIALECT).bind_processor(DIALECT), None)
    assert not _agrees(stamp, dialects, _PROBES["at"])
    # sqlite3's adapter text of the aware UTC value (what the writer once stored): the
    # check against the dialect's own processor refuses it
    assert not _agrees(
        lambda v: adapted((utc.process_bind_param(v, DIALECT),))[0], dialects, _PROBES["at"]
    )
    # the writer's own stamp agrees, with its memo too
    step = _steps(DIALECT)["at"]
    assert _agrees(_stamp(step, dialects, memo=False), dialects, _PROBES["at"])
    assert _agrees(_stamp(step, dialects, memo=True), dialects, [*_PROBES["at"]] * 2)
    # given the decorator's processor alone (an aware datetime, sqlite3's adapter then
    # storing "+00:00"), the writer's stamp is not used: it is not what that stores
    alone = dict(_direct([("at", utc.bind_processor(DIALECT))], _steps(DIALECT)))
    assert "at" not in alone
    assert _agrees(json.dumps, json.dumps, _PROBES["data"])
    assert not _agrees(lambda v: json.dumps(v, sort_keys=True), json.dumps, _PROBES["data"])


def test_a_table_it_was_not_written_for_falls_back_to_the_general_row(
    writer: SqliteLedgerWriter,
) -> None:
    (link,) = chain_append((0, GENESIS), [Append(entries()[:1])], set()).links
    procs: list[tuple[str, Any]] = list(writer._procs)
    reordered = _row_maker([procs[1], procs[0], *procs[2:]])
    assert reordered(link) == bound_row([procs[1], procs[0], *procs[2:]], link)
    converted = _row_maker([(n, (lambda v: f"<{v}>") if n == "key" else p) for n, p in procs])
    assert converted(link)[1] == "<zoom:k0>"


async def test_stored_bytes_are_the_general_rows_bytes(tmp_path: Path) -> None:
    """The rows the writer stores, column by column and type by type, are what
    SQLAlchemy's insert of the general rows stores (its executemany)."""
    engine = create_async_engine("sqlite+aiosqlite://")
    db = tmp_path / "ledger.db"
    sqlite3.connect(db).close()
    writer = SqliteLedgerWriter(str(db), engine.dialect)
    sync = create_engine(f"sqlite:///{db}")
    for table in (ledger, ledger_notes, chain_heads):
        table.create(sync)
    general_db = tmp_path / "general.db"
    sync_general = create_engine(f"sqlite:///{general_db}")
    for table in (ledger, ledger_notes, chain_heads):
        table.create(sync_general)
    try:
        batch = [Append(entries())]
        await writer.append(batch)
        links = chain_append((0, GENESIS), batch, set()).links
        with sync_general.begin() as conn:
            conn.execute(
                ledger.insert(),
                [
                    rows.ledger_values(
                        link.entry, seq=link.seq, prev_hash=link.prev_hash, hash=link.hash
                    )
                    for link in links
                ],
            )
    finally:
        await writer.close()
        sync.dispose()
        sync_general.dispose()
    select = "SELECT {} FROM ledger ORDER BY seq".format(
        ", ".join(f"{c}, typeof({c}), hex({c})" for c in rows.LEDGER_COLUMNS)
    )
    with sqlite3.connect(db) as a, sqlite3.connect(general_db) as b:
        stored, general = a.execute(select).fetchall(), b.execute(select).fetchall()
    assert len(stored) == len(entries())
    assert stored == general
