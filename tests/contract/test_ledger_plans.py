"""The ledger's queries are read from an index that fits them, on SQLite files: each
shape of `evidence` the core asks for (found with `grep -rn "evidence(" bot`) is
planned by SQLite (EXPLAIN QUERY PLAN, on the migrated schema) as a search of the
named index with the named constraints, never a scan of the ledger. A group's
presence in a window, asked at every records recompute, uses all three columns of
(group_id, kind, at); with a year of history, the old (group_id, person_id, at)
read every row of the group instead.

PostgreSQL plans from its statistics (a small table is scanned whatever the index),
so it is not held to a plan here."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.dialects import sqlite

from bot.core.domain import EvidenceKind as K
from storage._ledger import evidence_query
from storage.migrate import upgrade

AT = datetime(2026, 5, 4, 17, 0, tzinfo=UTC)
HOURS = timedelta(hours=3)

SHAPES: dict[str, tuple[dict[str, Any], str]] = {
    # presence.py, tail.py: a group's presence around a session
    "group presence in a window": (
        dict(group_id="g1", kinds=[K.PRESENCE], at_from=AT, at_to=AT + HOURS),
        "ix_ledger_group_id_kind_at (group_id=? AND kind=? AND at>? AND at<?)",
    ),
    # reconcile.py: since a lookback
    "group presence since": (
        dict(group_id="g1", kinds=[K.PRESENCE], at_from=AT),
        "ix_ledger_group_id_kind_at (group_id=? AND kind=? AND at>?)",
    ),
    # links.py, overview/views.py
    "group links": (dict(group_id="g1", kinds=[K.GUEST_LINK]), "ix_ledger_group_id_kind_at"),
    "group surveys": (dict(group_id="g1", kinds=[K.SURVEY]), "ix_ledger_group_id_kind_at"),
    # presence.py: room markers (no person, no guest); no index holds group and person
    # together since 0007, so this reads every group's person-less rows (markers and
    # unmatched guests) in the window, then keeps the group's markers
    "group presence unattributed": (
        dict(group_id="g1", kinds=[K.PRESENCE], at_from=AT, at_to=AT + HOURS, unattributed=True),
        "ix_ledger_person_id_at (person_id=? AND at>? AND at<?)",
    ),
    # recorder.py: one person's presence around a session
    "a person's presence in a group": (
        dict(group_id="g1", person_id="p1", kinds=[K.PRESENCE], at_from=AT, at_to=AT + HOURS),
        "ix_ledger_person_id_at (person_id=? AND at>? AND at<?)",
    ),
    # links.py: a person's own guest links; overview/views.py: a person's answers in a group
    "a person's links in a group": (
        dict(group_id="g1", person_id="p1", kinds=[K.GUEST_LINK]),
        "ix_ledger_group_id_kind_at (group_id=? AND kind=?)",
    ),
    "a person's surveys in a group": (
        dict(group_id="g1", person_id="p1", kinds=[K.SURVEY]),
        "ix_ledger_group_id_kind_at (group_id=? AND kind=?)",
    ),
    # recorder.py: a linked guest's presence around a session
    "a guest's presence in a window": (
        dict(group_id="g1", guest_key="x", kinds=[K.PRESENCE], at_from=AT, at_to=AT + HOURS),
        "ix_ledger_group_id_kind_at (group_id=? AND kind=? AND at>? AND at<?)",
    ),
    # guests.py
    "a guest's presence": (
        dict(group_id="g1", guest_key="x", kinds=[K.PRESENCE]),
        "ix_ledger_guest_key (guest_key=?)",
    ),
    # privacy.py, outreach_log.py, makeup.py, risk.py
    "a person's evidence": (dict(person_id="p1"), "ix_ledger_person_id_at (person_id=?)"),
    "a person's outreach since": (
        dict(person_id="p1", kinds=[K.OUTREACH], at_from=AT),
        "ix_ledger_person_id_at (person_id=? AND at>?)",
    ),
    # roster.py, recorder.py, signoff.py, makeup.py
    "a session's evidence": (dict(session_id="s1"), "ix_ledger_session_id_kind (session_id=?)"),
    "a session's evidence of a kind": (
        dict(session_id="s1", kinds=[K.SIGNOFF]),
        "ix_ledger_session_id_kind (session_id=? AND kind=?)",
    ),
    "a person's check-in to a session": (
        dict(session_id="s1", person_id="p1", kinds=[K.CHECKIN]),
        "ix_ledger_session_id_kind (session_id=? AND kind=?)",
    ),
}


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("plans") / "rollcall.db"
    asyncio.run(upgrade(f"sqlite:///{path}"))
    return path


def _plan(db: Path, filters: dict[str, Any]) -> list[str]:
    sql = evidence_query(**filters).compile(
        dialect=sqlite.dialect(), compile_kwargs={"literal_binds": True}
    )
    with sqlite3.connect(db) as conn:
        return [str(r[3]) for r in conn.execute(f"EXPLAIN QUERY PLAN {sql}")]


@pytest.mark.parametrize("shape", SHAPES)
def test_each_evidence_query_searches_its_index(db: Path, shape: str) -> None:
    filters, expected = SHAPES[shape]
    plan = _plan(db, filters)
    searches = [p for p in plan if "ledger" in p]
    assert len(searches) == 1, plan
    assert searches[0].startswith("SEARCH ledger USING INDEX"), plan
    assert expected in searches[0], plan
