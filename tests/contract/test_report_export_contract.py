"""The lean export (Records.report_lines -> bot.core.reports.export) against the report
rows it replaces for `rollcall report --format csv|fhir|billing`: the same lines from
every store, and byte for byte the same text as the domain-object path gives."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta, tzinfo

from fhir.resources.R4B.bundle import Bundle

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
from bot.core.reports.render import COLUMNS, ReportRow, render, to_fhir
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
    out = await engine.reports.export(fmt, **kw)  # type: ignore[arg-type]
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
        # a session's start at either bound: the first is in, the last is not; bounds
        # given in a zone east of UTC too (bound as the store writes its datetimes, in
        # UTC, or the bounds' own local text would move them by hours)
        {"start_from": at(6 * DAY + 30), "start_to": at(12 * DAY + 30)},
        {"start_from": _east(at(6 * DAY + 30)), "start_to": _east(at(12 * DAY + 30))},
        {"group_id": "g1", "start_from": at(6 * DAY + 30), "start_to": at(8 * DAY + 30)},
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
        if kw.get("start_from") == at(6 * DAY + 30):
            starts = {line.session_start for line in got}
            assert at(6 * DAY + 30) in starts and at(12 * DAY + 30) not in starts


def _east(when: datetime) -> datetime:
    return when.astimezone(zone("Asia/Tokyo"))


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
        # the dashboard's export.csv (render, ending in one newline) is the same bytes
        dashboard = render("csv", rows, tz)
        assert (dashboard if dashboard.endswith("\n") else dashboard + "\n") == text
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


#: ids as operators type them: quotes, a backslash, spaces, non-ASCII, a line separator
ODD = 'p "q" \\ ü✓ \u2028'


async def _seed_every_kind(store: Store) -> None:
    """Records of every status, with and without flags, participation, presence and a
    verifier; ids that are no FHIR id; one session signed off by an odd facilitator."""
    for gid in ("g1", 'g "ü"'):
        await store.upsert_group(Group(id=gid, name=gid))
    people = ("p-1", ODD, "f 1", "p-4", "p-5")
    for pid in people:
        await store.upsert_person(person(pid))
    statuses = list(Status)
    for d, (sid, gid) in enumerate((("s-1", "g1"), ('s "2"/ü', 'g "ü"'), ("s-3", "g1"))):
        await store.add_session(session(sid, gid, d * DAY + 30, state=SessionState.ENDED))
        start = at(d * DAY + 30)
        await store.save_records(
            [
                record(
                    sid,
                    pid,
                    gid,
                    status=statuses[(d * len(people) + i) % len(statuses)],
                    attended_minutes=(0, 170, 45, 120, 10)[i],
                    camera_minutes=(i * 37) % 180,
                    first_seen=start + timedelta(minutes=i) if i % 2 else None,
                    last_seen=start + timedelta(minutes=100 + i) if i != 3 else None,
                    checked_in_at=start - timedelta(seconds=i * 61) if i > 1 else None,
                    flags=tuple(Flag)[d + i : d + 2 * i],
                    verified_by=(None, "f-1", "f 1", ODD, "")[(d + i) % 5],
                    makeup_for="s-1" if d and i == 2 else None,
                    participation=(None, *Participation)[(d + i) % 4],
                )
                for i, pid in enumerate(people)
            ]
        )
    await store.append_evidence(
        [
            entry(
                f"signoff:{sid}",
                kind=EvidenceKind.SIGNOFF,
                group_id=gid,
                session_id=sid,
                actor_id=by,
                at=at(d * DAY + 300),
                data={"attested": ""},
            )
            for d, sid, gid, by in ((0, "s-1", "g1", "f-1"), (1, 's "2"/ü', 'g "ü"', ODD))
        ]
    )


async def test_fhir_export_is_the_bundle_the_report_rows_give(store: Store) -> None:
    """The export's templates against the report rows' dict-by-dict bundle: the same
    text, so the same JSON, with every kind of record in it; valid FHIR R4B."""
    await _seed_every_kind(store)
    engine = _engine(store)
    tz = zone("America/New_York")
    rows = await engine.report_rows()
    text, n = await _text(engine, "fhir")
    want = to_fhir(rows, tz)
    assert n == len(rows) == 15
    assert json.loads(text) == json.loads(want)
    assert text == want
    Bundle.model_validate_json(text)
    resources = [e["resource"] for e in json.loads(text)["entry"]]
    encounters = [r for r in resources if r["resourceType"] == "Encounter"]
    assert {r["extension"][0]["valueCode"] for r in encounters} == {s.value for s in Status}
    assert {f["valueCode"] for r in encounters for f in r["extension"][1:-1] if "flag" in f["url"]}
    assert {"length", "participant"} <= {k for r in encounters for k in r}
    assert {r["subject"].get("identifier", {}).get("value") for r in encounters} >= {ODD, "f 1"}
    assert [r["resourceType"] for r in resources[-2:]] == ["Provenance", "Provenance"]
    who = [r["agent"][0]["who"] for r in resources[-2:]]
    assert who == [
        {"type": "Practitioner", "identifier": {"system": "urn:rollcall:person", "value": ODD}},
        {"reference": "Practitioner/f-1"},
    ]
    assert "\\u00fc" in text and "ü" not in text  # ASCII throughout, as json.dumps writes
