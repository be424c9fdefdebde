"""The lean export (Records.report_lines -> bot.core.reports.export) against the report
rows it replaces for `rollcall report --format csv|fhir|billing`: the same lines from
every store, and byte for byte the same text as the domain-object path gives."""

from __future__ import annotations

import csv
import io
from datetime import timedelta, tzinfo

from bot.core.clock import FakeClock
from bot.core.domain import (
    EvidenceKind,
    Flag,
    Group,
    Participation,
    Program,
    ReportLine,
    SessionState,
    Status,
)
from bot.core.engine import Engine
from bot.core.escaping import csv_cell
from bot.core.ports import Store
from bot.core.reports import billing
from bot.core.reports.render import COLUMNS, ReportRow, to_fhir
from bot.core.timeutil import zone
from tests.contract.factories import at, entry, person, record, session

DAY = 24 * 60


async def _seed(store: Store) -> None:
    for gid in ("g1", "=g2"):
        await store.upsert_group(Group(id=gid, name=gid))
    for pid in ("p-1", "p-2", "+p-3", "f-1"):
        await store.upsert_person(person(pid))
    # three weeks, two groups; one cancelled session whose records never show
    for d in range(0, 21, 2):
        for gid in ("g1", "=g2"):
            sid = f"{gid}-{d:02d}"
            state = SessionState.CANCELLED if d == 4 and gid == "g1" else SessionState.ENDED
            await store.add_session(session(sid, gid, d * DAY + 30, state=state))
            start = at(d * DAY + 30)
            await store.save_records(
                [
                    record(
                        sid,
                        "p-1",
                        gid,
                        attended_minutes=170,
                        camera_minutes=d,
                        first_seen=start,
                        last_seen=start + timedelta(minutes=170),
                        checked_in_at=start - timedelta(seconds=d),
                    ),
                    record(sid, "p-2", gid, status=Status.ABSENT),
                    record(
                        sid,
                        "+p-3",
                        gid,
                        status=Status.PARTIAL if d % 4 else Status.LATE,
                        attended_minutes=40 + d,
                        flags=(Flag.ATTESTED_MINUTES, Flag.AMENDED),
                        verified_by="f-1",
                        makeup_for="=g2-00" if d > 10 else None,
                        participation=Participation.HIGH,
                        first_seen=start + timedelta(minutes=5, microseconds=d),
                    ),
                ]
            )
    await store.append_evidence(
        [
            entry(
                "signoff:g1-02",
                kind=EvidenceKind.SIGNOFF,
                group_id="g1",
                session_id="g1-02",
                actor_id="f-1",
                at=at(2 * DAY + 300),
                data={"attested": "p-1=present:170"},
            ),
        ]
    )


def _engine(store: Store) -> Engine:
    program = Program(timezone="America/New_York")
    return Engine(store=store, clock=FakeClock(at(40 * DAY)), program=program)


async def _text(engine: Engine, fmt: str, **kw: object) -> tuple[str, int]:
    out = await engine.export(fmt, **kw)  # type: ignore[arg-type]
    text = "".join([piece async for piece in out])
    return text, out.rows


def _reference_csv(rows: list[ReportRow], tz: tzinfo) -> str:
    """The CSV as the report rows give it: `ReportRow.cells`, words escaped."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(COLUMNS)
    texts = {
        "session_id",
        "group_id",
        "participant_id",
        "status",
        "flags",
        "verified_by",
        "makeup_for",
    }
    for row in rows:
        cells = row.cells(tz)
        writer.writerow([csv_cell(cells[c]) if c in texts else cells[c] for c in COLUMNS])
    return buf.getvalue()


async def test_report_lines_are_the_records_of_sessions_not_cancelled(store: Store) -> None:
    await _seed(store)
    for kw in (
        {},
        {"group_id": "=g2"},
        {"person_id": "+p-3"},
        {"start_from": at(6 * DAY), "start_to": at(12 * DAY)},
    ):
        sessions = {s.id: s for s in await store.list_sessions()}
        want = [
            ReportLine.of(sessions[r.session_id], r)
            for r in await store.records(**kw)  # type: ignore[arg-type]
            if sessions[r.session_id].state is not SessionState.CANCELLED
        ]
        chunks = [c async for c in store.report_lines(chunk=7, **kw)]  # type: ignore[arg-type]
        assert all(0 < len(c) <= 7 for c in chunks)
        got = [line for c in chunks for line in c]
        assert got == want and got
        assert all(line.session_start.utcoffset() == timedelta(0) for line in got)


async def test_lean_export_is_byte_for_byte_the_report_rows_text(store: Store) -> None:
    await _seed(store)
    engine = _engine(store)
    tz = zone("America/New_York")
    for kw in (
        {},
        {"group_id": "=g2"},
        {"person_id": "+p-3"},
        {"start_from": at(6 * DAY), "start_to": at(12 * DAY)},
    ):
        rows = await engine.report_rows(**kw)  # type: ignore[arg-type]
        assert rows
        text, n = await _text(engine, "csv", **kw)
        assert (text, n) == (_reference_csv(rows, tz), len(rows))
        text, n = await _text(engine, "fhir", **kw)
        assert (text, n) == (to_fhir(rows, tz), len(rows))
        assert '"resourceType":"Provenance"' in text or "group_id" in kw or "start_from" in kw
    first, last = at(0).date(), at(15 * DAY).date()
    for kw in ({}, {"group_id": "g1"}, {"person_id": "+p-3", "day_from": first, "day_to": last}):
        days = await engine.billing(
            group_ids=[kw["group_id"]] if "group_id" in kw else None,  # type: ignore[list-item]
            person_id=kw.get("person_id"),  # type: ignore[arg-type]
            day_from=kw.get("day_from"),  # type: ignore[arg-type]
            day_to=kw.get("day_to"),  # type: ignore[arg-type]
        )
        assert days
        text, n = await _text(engine, "billing", **kw)
        assert (text, n) == (billing.to_csv(days), len(days))
