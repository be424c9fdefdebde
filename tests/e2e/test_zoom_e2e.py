"""Zoom end to end: signed webhooks over HTTP to a running bot (real aiohttp server on
127.0.0.1, SQLite file, fake clock), then the CSV report row by row, to the second —
in-process and through `rollcall report --format csv` run as a subprocess on the same file.

One 3-hour session (18:00-21:00 program time) of a group bound to a Zoom meeting:

- p-001 (zoom_email, sent in capitals) joins 17:55; the join is delivered twice and
  redelivered a minute later; drops at 19:00 and is back at 19:01:30 (a 90 s gap:
  merged); goes to a breakout room and back (no split); still in the meeting when it
  ends at 21:00:30 (meeting.ended closes the stay) → present, 180 min.
- p-002 (registrant id) waits in the waiting room from 18:20, is admitted at 18:25:30
  (Zoom reports "admitted" and "joined": one event), leaves at 21:00 → late, 154.5 min
  rounds half up to 155.
- p-003 (display-name alias) joins 18:00, leaves early at 20:00; the leave is delivered
  first and the join 2 hours late → partial, 120 min, left_early.
- p-004 (zoom_email) is in the room 19:55-20:30 but both events reach us only after the
  session ended (the join first: the meeting-end closure it gets is superseded by the
  leave) → absent in the report at first, then partial 35 min.
- "Robin's iPhone" matches nobody: a guest on the facilitator's roster, never a row of
  the report; linked to p-005 with `rollcall guest link` → present, 168 min.
- A bad signature, a stale timestamp and a malformed body are refused; nothing stored.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any

from bot.core.actions import Reply
from bot.core.attendance.presence import guest_key
from bot.core.clock import FakeClock
from bot.core.domain import EvidenceKind
from bot.core.events import Actor, CommandInvoked, Identity
from bot.core.reports.render import to_csv
from storage.sql import open_store
from tests.adapters.zoom.harness import ZoomBot, running_bot
from tests.e2e.conftest import TZ, Cli, assert_ok, scenario_day
from tests.fakes.casts import zoom_cast
from tests.fakes.zoom import (
    joined,
    left,
    meeting_ended,
    participant_event,
)

GROUP = "evening-a"
HEADER = (
    "session_id,group_id,session_start,session_end,participant_id,status,attended_minutes,"
    "camera_minutes,first_seen,last_seen,checked_in_at,flags,verified_by,makeup_for"
)
ROBIN = "Robin's iPhone"
ROBIN_KEY = guest_key("zoom", Identity(display_name=ROBIN))


JORDAN = {"uuid": "u-jordan", "name": "Jordan Q", "email": "JORDAN@example.org"}
MORGAN = {"uuid": "u-morgan", "name": "Morgan", "registrant_id": "reg-002"}
AVERY = {"uuid": "u-avery", "name": "  sam   k "}
KENDALL = {"uuid": "u-kendall", "name": "K", "email": "kendall@example.org"}
GUEST = {"uuid": "u-robin", "name": ROBIN}


class Day:
    def __init__(self) -> None:
        self.day = scenario_day()

    def at(self, hh: int, mm: int = 0, ss: int = 0) -> datetime:
        return datetime.combine(self.day, time(hh, mm, ss), tzinfo=TZ)

    def iso(self, hh: int, mm: int = 0, ss: int = 0) -> str:
        return self.at(hh, mm, ss).isoformat(timespec="seconds")


def rows(text: str) -> dict[str, dict[str, str]]:
    lines = text.strip().splitlines()
    assert lines[0] == HEADER
    return {r["participant_id"]: r for r in csv.DictReader(io.StringIO(text))}


def expected(
    d: Day, session_id: str, *, after_late: bool, linked: bool
) -> dict[str, dict[str, str]]:
    common = {
        "session_id": session_id,
        "group_id": GROUP,
        "session_start": d.iso(18),
        "session_end": d.iso(21),
        "camera_minutes": "0",
        "checked_in_at": "",
        "verified_by": "",
        "makeup_for": "",
    }
    absent = {"status": "absent", "attended_minutes": "0", "first_seen": "", "last_seen": ""}

    def row(pid: str, **cells: str) -> dict[str, str]:
        return {**common, "participant_id": pid, "flags": "", **cells}

    return {
        "p-001": row(
            "p-001",
            status="present",
            attended_minutes="180",
            first_seen=d.iso(17, 55),
            last_seen=d.iso(21, 0, 30),
            flags="seen_not_checked_in",
        ),
        "p-002": row(
            "p-002",
            status="late",
            attended_minutes="155",
            first_seen=d.iso(18, 25, 30),
            last_seen=d.iso(21),
            flags="seen_not_checked_in",
        ),
        "p-003": row(
            "p-003",
            status="partial",
            attended_minutes="120",
            first_seen=d.iso(18),
            last_seen=d.iso(20),
            flags="seen_not_checked_in;left_early",
        ),
        "p-004": row(
            "p-004",
            status="partial",
            attended_minutes="35",
            first_seen=d.iso(19, 55),
            last_seen=d.iso(20, 30),
            flags="seen_not_checked_in;left_early",
        )
        if after_late
        else row("p-004", **absent),
        "p-005": row(
            "p-005",
            status="present",
            attended_minutes="168",
            first_seen=d.iso(18, 2),
            last_seen=d.iso(20, 50),
            flags="seen_not_checked_in",
        )
        if linked
        else row("p-005", **absent),
    }


async def report_csv(bot: ZoomBot) -> str:
    got = await bot.app.engine.report_rows(group_id=GROUP)
    return to_csv(got, TZ)


def ev(event: str, at: datetime, who: dict[str, str], **kw: Any) -> dict[str, Any]:
    return participant_event(f"meeting.participant_{event}", at=at, **who, **kw)  # type: ignore[arg-type]


def _bytes_mention(folder: Path, pattern: str, text: str) -> bool:
    """Whether any file (the database, its WAL) still holds `text` anywhere."""
    return any(text.encode() in p.read_bytes() for p in folder.glob(pattern))


async def test_a_zoom_session_end_to_end(tmp_path: Path) -> None:
    d = Day()
    db = tmp_path / "db.sqlite"
    config_path = tmp_path / "config.toml"
    config_path.write_text(zoom_cast(db, group_id=GROUP, full=False), encoding="utf-8")
    clock = FakeClock(d.at(17))

    async with running_bot(config_path.read_text(), clock) as bot:
        session = await bot.app.engine.create_session(
            group_id=GROUP, start=d.at(18), minutes=180, actor_id="test"
        )

        async def deliver(when: datetime, doc: dict[str, Any], status: str = "stored") -> None:
            clock.set(when)
            r = await bot.send(doc)
            assert (r.status, r.body) == (200, {"status": status}), doc["event"]

        await deliver(d.at(17, 55, 3), joined(at=d.at(17, 55), **JORDAN))
        await deliver(d.at(17, 55, 4), joined(at=d.at(17, 55), **JORDAN), "unchanged")
        await deliver(d.at(17, 56), joined(at=d.at(17, 55), **JORDAN), "unchanged")
        await deliver(d.at(18, 2, 1), joined(at=d.at(18, 2), **GUEST))
        await deliver(d.at(18, 20, 1), ev("joined_waiting_room", d.at(18, 20), MORGAN), "ignored")
        await deliver(d.at(18, 25, 31), ev("admitted", d.at(18, 25, 30), MORGAN))
        await deliver(d.at(18, 25, 32), joined(at=d.at(18, 25, 30), **MORGAN), "unchanged")
        await deliver(d.at(19, 0, 1), left(at=d.at(19), **JORDAN))
        await deliver(d.at(19, 1, 31), joined(at=d.at(19, 1, 30), **JORDAN))

        # the facilitator's roster: the guest by label and key, never as a participant
        clock.set(d.at(19, 5))
        (reply,) = await bot.app.engine.handle(
            CommandInvoked(
                actor=Actor(platform="console", user_id="f-001"),
                command="roster",
                channel_id=GROUP,
                at=clock.now(),
                request_id="roster-1",
            )
        )
        assert isinstance(reply, Reply) and reply.ephemeral and reply.view is not None
        assert reply.view.guests == (f"{ROBIN} ({ROBIN_KEY})",)
        in_room = {r.person_id for r in reply.view.rows if r.in_room}
        assert in_room == {"p-001", "p-002"}

        breakout = "left the meeting to join breakout room"
        await deliver(
            d.at(19, 30, 1), left(at=d.at(19, 30), leave_reason=breakout, **JORDAN), "ignored"
        )
        await deliver(d.at(19, 30, 6), ev("joined_breakout_room", d.at(19, 30, 5), JORDAN))
        # Avery's leave comes first; it is kept, and paired when the join arrives
        await deliver(d.at(20, 0, 2), left(at=d.at(20), **AVERY))
        await deliver(d.at(20, 0, 4), ev("left_breakout_room", d.at(20, 0, 3), JORDAN), "ignored")
        await deliver(d.at(20, 0, 5), joined(at=d.at(20, 0, 3), **JORDAN))
        kept = await bot.app.store.evidence(person_id="p-003", kinds=[EvidenceKind.PRESENCE])
        assert [(e.data["action"], e.at) for e in kept] == [("leave", d.at(20))]
        await deliver(d.at(20, 5), joined(at=d.at(18), **AVERY))
        await deliver(d.at(20, 50, 1), left(at=d.at(20, 50), **GUEST))
        await deliver(d.at(21, 0, 1), left(at=d.at(21), **MORGAN))
        await deliver(d.at(21, 0, 31), meeting_ended(d.at(21, 0, 30)))
        await deliver(d.at(21, 0, 40), meeting_ended(d.at(21, 0, 30)), "unchanged")

        clock.set(d.at(21, 5))
        await bot.app.engine.end_session(session.id, actor_id="system")
        want = expected(d, session.id, after_late=False, linked=False)
        assert rows(await report_csv(bot)) == want

        # Kendall's events reach us after the session ended: the report follows
        await deliver(d.at(21, 20), joined(at=d.at(19, 55), **KENDALL))
        mid = rows(await report_csv(bot))["p-004"]
        assert (mid["attended_minutes"], mid["last_seen"]) == ("65", d.iso(21, 0, 30))
        await deliver(d.at(21, 25), left(at=d.at(20, 30), **KENDALL))

        # refused: bad signature, stale timestamp, malformed body — nothing stored
        size = await bot.ledger_size()
        late = joined(at=d.at(20, 40), **KENDALL)
        assert (await bot.send(late, secret="wrong")).status == 401
        stale = int((clock.now() - timedelta(minutes=6)).timestamp())
        assert (await bot.send(late, timestamp=stale)).status == 401
        assert (await bot.send(b'{"event": "meeting.participant_joined"')).status == 400
        assert await bot.ledger_size() == size

        want = expected(d, session.id, after_late=True, linked=False)
        assert rows(await report_csv(bot)) == want

    # the coordinator links the guest from the command line, then exports the report
    cli = Cli(config=config_path, cwd=tmp_path)
    listed = assert_ok(cli.run("guest", "list", "--group", GROUP))
    assert listed.out_lines == [f"{ROBIN_KEY}\t{GROUP}\t{d.iso(18, 2)}\t-\t{ROBIN}"]
    linked = assert_ok(cli.run("guest", "link", ROBIN_KEY, "p-005"))
    assert linked.out_lines == [f"linked {ROBIN_KEY} to p-005 in {GROUP}; 1 session(s) recomputed"]
    report, verified, audit = (
        assert_ok(r)
        for r in cli.run_all(
            ("report", "--group", GROUP, "--format", "csv"), ("audit", "verify"), ("audit", "log")
        )
    )
    want = expected(d, session.id, after_late=True, linked=True)
    assert rows(report.stdout) == want
    columns = HEADER.split(",")
    assert report.stdout.splitlines() == [
        HEADER,
        *(",".join(r[c] for c in columns) for r in want.values()),
    ]
    assert ROBIN not in report.stdout and ROBIN_KEY not in report.stdout
    assert "hash chains intact" in verified.stdout
    assert f"guest.link\t{GROUP}/{ROBIN_KEY}" in audit.stdout

    # the name Zoom showed is not in the hash-chained ledger, and it can be erased
    store = await open_store(f"sqlite:///{db}")
    try:
        chained = json.dumps([dict(e.data) for e in await store.ledger_page(limit=10_000)])
    finally:
        await store.close()
    assert ROBIN not in chained
    forgot = assert_ok(cli.run("guest", "forget", ROBIN_KEY))
    assert forgot.out_lines[0].startswith(f"forgot what {ROBIN_KEY} was called")
    listed = assert_ok(cli.run("guest", "list", "--group", GROUP))
    assert listed.out_lines == [f"{ROBIN_KEY}\t{GROUP}\t{d.iso(18, 2)}\tp-005\tguest"]
    assert not await asyncio.to_thread(_bytes_mention, tmp_path, "db.sqlite*", ROBIN)
    audit = assert_ok(cli.run("audit", "log"))
    assert f"guest.forget\t{ROBIN_KEY}" in audit.stdout
