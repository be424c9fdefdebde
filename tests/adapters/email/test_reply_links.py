"""The e-mail "can't make it" link: GET shows a page and changes nothing (mail scanners
open links); POST records the notice; forged or expired links get 403."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from adapters.email.links import ReplyLinks
from bot.core.domain import EvidenceKind, Person, Session
from bot.core.links import make_token
from tests.unit.test_autopilot import Inbox, Week, local

SECRET = "a-long-enough-link-secret"
MONDAY = "ga-20261130-1800"


class Mail(Inbox):
    channel = "email"


@dataclasses.dataclass
class World:
    w: Week
    mail: Mail
    server: TestServer
    http: aiohttp.ClientSession

    def url(self, text: str) -> str:
        (link,) = re.findall(r"https://rollcall\.example\.org/r/\S+", text)
        return str(self.server.make_url(link.removeprefix("https://rollcall.example.org")))


@pytest.fixture
async def world() -> AsyncIterator[World]:
    w = Week(local(2026, 11, 29, 12, 0))
    await w.start()
    p2 = await w.store.get_person("p-002")
    assert p2 is not None
    await w.store.upsert_person(dataclasses.replace(p2, email="m@example.org", channels=("email",)))
    mail = Mail(w.clock)

    def link(person: Person, session: Session) -> str:
        token = make_token(SECRET, person.id, session.id, session.end)
        return f"https://rollcall.example.org/r/{token}"

    w.pilot.dispatcher.notifiers = {"chat": [w.inbox], "email": [mail]}
    w.pilot.dispatcher.reply_link = link
    app = web.Application()
    ReplyLinks(w.engine, secret=SECRET).add_routes(app)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    async with aiohttp.ClientSession() as http:
        yield World(w=w, mail=mail, server=server, http=http)
    await server.close()


async def _notices(w: Week) -> list[str | None]:
    return [e.session_id for e in await w.store.evidence(kinds=[EvidenceKind.ABSENCE_NOTICE])]


async def test_get_changes_nothing_and_post_records_the_notice(world: World) -> None:
    w = world.w
    await w.run_until(local(2026, 11, 29, 18, 5))
    (text,) = [m.text for _, _, m in world.mail.sent]
    assert "open this link" in text and "/absent" not in text
    url = world.url(text)
    for _ in range(2):  # a mail scanner, then the person
        async with world.http.get(url) as resp:
            page = await resp.text()
            assert resp.status == 200 and '<form method="post">' in page
            assert "Group A on Mon Nov 30, 6:00 PM EST" in page
            assert resp.headers["Cache-Control"] == "no-store"
            assert "script" not in page.lower()
    assert await _notices(w) == []
    async with world.http.post(url) as resp:
        assert resp.status == 200 and "Thanks for letting us know" in await resp.text()
    assert await _notices(w) == [MONDAY]
    async with world.http.post(url) as resp:  # twice: one notice
        assert "already let us know" in await resp.text()
    assert await _notices(w) == [MONDAY]


async def test_forged_and_expired_links_get_403(world: World) -> None:
    w = world.w
    await w.run_until(local(2026, 11, 29, 18, 5))
    (text,) = [m.text for _, _, m in world.mail.sent]
    url = world.url(text)
    forged = url[:-3] + ("AAA" if not url.endswith("AAA") else "BBB")
    other = str(
        world.server.make_url(
            "/r/" + make_token("guessed-secret-xx", "p-002", MONDAY, w.clock.now())
        )
    )
    for bad in (forged, other, str(world.server.make_url("/r/nonsense"))):
        async with world.http.get(bad) as resp:
            assert resp.status == 403
        async with world.http.post(bad) as resp:
            assert resp.status == 403
    w.clock.set(local(2026, 11, 30, 21, 1))  # past the session's end
    async with world.http.post(url) as resp:
        assert resp.status == 403
    assert await _notices(w) == []
