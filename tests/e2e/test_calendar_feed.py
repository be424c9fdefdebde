"""The calendar feed through its real surfaces: /calendar typed in chat (the in-memory
adapter on the real engine and a real SQLite file), `GET /calendar/{token}.ics` from the
running aiohttp server, parsed back with icalendar, and `rollcall calendar revoke P` as
a subprocess. The weekly group meets across the end of daylight saving time in New York
(2026-11-01): 18:00 local is 22:00 UTC before it and 23:00 UTC after."""

from __future__ import annotations

import asyncio
import hashlib
import sqlite3
from collections.abc import AsyncIterator
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import aiohttp
import pytest
from icalendar import Calendar

from adapters.memory import MemoryAdapter
from bot.config import parse_config
from bot.core.actions import Button, DirectMessage, Reply
from bot.core.clock import FakeClock
from bot.core.domain import SessionState
from bot.shell.app import App, add_calendar_feed, open_app
from bot.shell.web import bound_port, make_web_app, start_server
from tests.e2e.conftest import Cli, assert_ok
from tests.fakes.casts import NEW_YORK, config_text, facilitator, group, person

TZ = ZoneInfo(NEW_YORK)
PUBLIC = "https://rollcall.example.test/"
#: a Tuesday evening, after that day's session
NOW = datetime(2026, 10, 27, 20, 0, tzinfo=TZ)


def _config_text(db: Path) -> str:
    return config_text(
        storage=f"sqlite:///{db}",
        server={"host": "127.0.0.1", "port": 0, "public_url": PUBLIC},
        program={"name": "Test IOP", "timezone": NEW_YORK},
        people=[
            facilitator("f-001", "Dr. Rivera"),
            person("p-001", "Jordan"),
            person("p-002", "Morgan"),
        ],
        groups=[
            group(
                "tue-sat",
                "Evening Circle",
                schedule={"rrule": "FREQ=WEEKLY;BYDAY=TU,SA", "start": "18:00", "minutes": 90},
                facilitators=["f-001"],
                participants=["p-001"],
            ),
            group("day", "Day Circle", facilitators=["f-001"], participants=["p-002"]),
        ],
    )


@dataclass
class World:
    app: App
    chat: MemoryAdapter
    base: str
    http: aiohttp.ClientSession
    cli: Cli
    db: Path

    async def ask_link(self, person_id: str) -> str:
        actions = await self.chat.send(person_id, "/calendar")
        replies = [a for a in actions if isinstance(a, Reply)]
        dms = [a for a in actions if isinstance(a, DirectMessage)]
        assert [r.text for r in replies] == ["I've sent you a private calendar link by DM."]
        assert all(r.ephemeral for r in replies)
        (dm,) = dms
        assert dm.person_id == person_id
        link = next(w for w in dm.text.split() if w.startswith("https://"))
        assert link.startswith("https://rollcall.example.test/calendar/")
        assert link.endswith(".ics")
        return link.removeprefix("https://rollcall.example.test")

    async def get(self, path: str) -> tuple[int, dict[str, str], bytes]:
        async with self.http.get(self.base + path) as r:
            return r.status, dict(r.headers), await r.read()


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    db = tmp_path / "db.sqlite"
    conf = tmp_path / "config.toml"
    conf.write_text(_config_text(db), encoding="utf-8")
    app = await open_app(parse_config(conf.read_text()), clock=FakeClock(NOW))
    web_app = make_web_app(app.store)
    add_calendar_feed(web_app, app.engine)
    runner = await start_server(web_app, "127.0.0.1", 0)
    try:
        async with aiohttp.ClientSession() as http:
            yield World(
                app=app,
                chat=MemoryAdapter(engine=app.engine),
                base=f"http://127.0.0.1:{bound_port(runner)}",
                http=http,
                cli=Cli(config=conf, cwd=tmp_path),
                db=db,
            )
    finally:
        await runner.cleanup()
        await app.close()


def _events(body: bytes) -> list[Calendar]:
    cal = Calendar.from_ical(body)
    return list(cal.walk("VEVENT"))


async def _book_makeup(w: World) -> str:
    """p-001 misses today's session, then books a one-off of the other group."""
    engine = w.app.engine
    (today,) = await engine.list_sessions(
        group_id="tue-sat", start_from=NOW - timedelta(hours=3), start_to=NOW
    )
    await engine.end_session(today.id, actor_id="f-001")
    option = await engine.create_session(
        group_id="day",
        start=datetime(2026, 11, 5, 10, 0, tzinfo=TZ),
        minutes=60,
        actor_id="f-001",
    )
    (offer,) = [a for a in await w.chat.send("p-001", "/makeup") if isinstance(a, Reply)]
    button: Button = next(b for b in offer.buttons if b.value.endswith(option.id))
    (booked,) = await w.chat.press("p-001", button.action, button.value)
    assert isinstance(booked, Reply) and booked.text.startswith("Booked:"), booked
    return option.id


async def test_the_feed_lists_upcoming_sessions_across_dst_with_makeups_and_cancellations(
    world: World,
) -> None:
    w = world
    engine = w.app.engine
    makeup_id = await _book_makeup(w)
    scheduled = await engine.list_sessions(group_id="tue-sat", start_from=NOW)
    by_day = {s.start.astimezone(TZ).date().isoformat(): s for s in scheduled}
    assert {"2026-10-31", "2026-11-03", "2026-11-07"} <= set(by_day)
    cancelled = by_day["2026-11-07"]
    await engine.cancel_session(cancelled.id, actor_id="f-001")

    path = await w.ask_link("p-001")
    status, headers, body = await w.get(path)
    assert status == 200
    assert headers["Cache-Control"] == "no-store"
    assert headers["Content-Type"].startswith("text/calendar")
    cal = Calendar.from_ical(body)
    assert [str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")] == [NEW_YORK]
    events = {str(e["UID"]): e for e in cal.walk("VEVENT")}
    expected = {f"{s.id}@rollcall" for s in scheduled} | {f"{makeup_id}@rollcall"}
    assert set(events) == expected  # today's ended session is gone; no other group's

    for s in scheduled:
        e = events[f"{s.id}@rollcall"]
        start, end = e.decoded("DTSTART"), e.decoded("DTEND")
        assert e["DTSTART"].params["TZID"] == NEW_YORK
        assert start == s.start and end == s.end  # the same instants as the schedule
        assert (start.astimezone(TZ).hour, start.astimezone(TZ).minute) == (18, 0)
        assert str(e["SUMMARY"]) == "Evening Circle"  # the group's name only
        want = "CANCELLED" if s.id == cancelled.id else "CONFIRMED"
        assert str(e["STATUS"]) == want
    # 18:00 in New York is 22:00 UTC before the change and 23:00 UTC after it
    before, after = by_day["2026-10-31"], by_day["2026-11-03"]
    assert events[f"{before.id}@rollcall"].decoded("DTSTART").astimezone(TZ).utcoffset() == (
        timedelta(hours=-4)
    )
    assert before.start.astimezone(ZoneInfo("UTC")).hour == 22
    assert after.start.astimezone(ZoneInfo("UTC")).hour == 23
    assert events[f"{after.id}@rollcall"].decoded("DTSTART").utcoffset() == timedelta(hours=-5)
    makeup = events[f"{makeup_id}@rollcall"]
    assert str(makeup["SUMMARY"]) == "Day Circle"
    assert makeup.decoded("DTSTART") == datetime(2026, 11, 5, 10, 0, tzinfo=TZ)

    # fetched again: the same UIDs (apps update instead of duplicating)
    _, _, again = await w.get(path)
    assert {str(e["UID"]) for e in _events(again)} == expected
    assert cancelled.state is SessionState.SCHEDULED  # (the stored one was changed)


async def test_tokens_are_hashed_fresh_each_time_and_revocable_from_the_cli(
    world: World,
) -> None:
    w = world
    first = await w.ask_link("p-001")
    second = await w.ask_link("p-001")
    assert first != second
    assert (await w.get(first))[0] == 404  # a fresh link revokes the previous one
    assert (await w.get(second))[0] == 200
    token = second.removeprefix("/calendar/").removesuffix(".ics")
    assert len(token) >= 40
    with closing(sqlite3.connect(w.db)) as conn:
        stored = conn.execute("SELECT person_id, token_hash FROM calendar_tokens").fetchall()
        issued = conn.execute(
            "SELECT actor_id, target FROM audit WHERE action = 'calendar.issue'"
        ).fetchall()
    assert stored == [("p-001", hashlib.sha256(token.encode()).hexdigest())]
    assert issued == [("p-001", "p-001"), ("p-001", "p-001")]
    assert token.encode() not in w.db.read_bytes()  # only its hash is on disk

    r = assert_ok(await asyncio.to_thread(w.cli.run, "calendar", "revoke", "p-001"))
    assert r.stdout == "revoked the calendar link of p-001\n"
    r = assert_ok(await asyncio.to_thread(w.cli.run, "calendar", "revoke", "p-001"))
    assert "no calendar link" in r.stdout
    with closing(sqlite3.connect(w.db)) as conn:
        assert conn.execute("SELECT count(*) FROM calendar_tokens").fetchone() == (0,)
        revoked = conn.execute(
            "SELECT actor_id, target FROM audit WHERE action = 'calendar.revoke'"
        ).fetchall()
    assert revoked == [("cli", "p-001"), ("cli", "p-001")]
    unknown = await asyncio.to_thread(w.cli.run, "calendar", "revoke", "nobody")
    assert unknown.returncode != 0 and "unknown participant" in unknown.stderr
    assert "Traceback" not in unknown.stderr


async def test_a_revoked_link_404s(world: World) -> None:
    w = world
    link = await w.ask_link("p-001")
    assert (await w.get(link))[0] == 200
    # the engine method `rollcall calendar revoke` calls, in the server's own process
    assert await w.app.engine.revoke_calendar("p-001", actor_id="cli") is True
    status, headers, body = await w.get(link)
    assert (status, body) == (404, b"not found")
    assert headers["Cache-Control"] == "no-store"


async def test_a_revoke_by_another_process_reaches_the_running_server(world: World) -> None:
    w = world
    link = await w.ask_link("p-001")
    assert (await w.get(link))[0] == 200
    assert_ok(await asyncio.to_thread(w.cli.run, "calendar", "revoke", "p-001"))
    assert (await w.get(link))[0] == 404


@pytest.mark.parametrize(
    "path",
    [
        "/calendar/" + "A" * 43 + ".ics",  # forged
        "/calendar/.ics",
        "/calendar/not-even-ics",
        "/calendar/" + "x" * 5000 + ".ics",
        "/calendar/%00%ff.ics",
    ],
)
async def test_forged_and_malformed_tokens_404_without_detail(world: World, path: str) -> None:
    await world.ask_link("p-001")  # a live link exists; guessing still finds nothing
    status, _, body = await world.get(path)
    assert status == 404
    assert body == b"not found"


async def test_people_not_enrolled_get_no_link(world: World) -> None:
    actions = await world.chat.send("f-001", "/calendar")
    assert all(not isinstance(a, DirectMessage) for a in actions)
