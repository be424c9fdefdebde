"""The dashboard over HTTP (aiohttp's test client against the real routes and SQLite)."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer
from fhir.resources.R4B.bundle import Bundle

from bot.shell.web import make_web_app
from tests.adapters.web.world import World, build_world, link_for

pytestmark = pytest.mark.timeout(180)


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    w = await build_world(tmp_path, 0)
    yield w
    await w.app.close()


@pytest.fixture
async def client(world: World) -> AsyncIterator[TestClient]:  # type: ignore[type-arg]
    app = make_web_app(world.app.store)
    world.dashboard.add_routes(app)
    async with TestClient(TestServer(app)) as c:
        yield c


def _path(link: str) -> str:
    return "/" + link.split("/", 3)[3]


async def _sign_in(world: World, client: TestClient, who: str) -> str:  # type: ignore[type-arg]
    resp = await client.get(_path(await link_for(world, who)), allow_redirects=False)
    assert resp.status == 303 and resp.headers["Location"] == "/dashboard"
    page = await (await client.get("/dashboard")).text()
    m = re.search(r'name="csrf" value="([^"]+)"', page)
    assert m
    return m.group(1)


def _headers_ok(resp) -> None:  # type: ignore[no-untyped-def]
    csp = resp.headers["Content-Security-Policy"]
    assert "script-src" not in csp and "default-src 'none'" in csp
    assert "frame-ancestors 'none'" in csp
    assert resp.headers["Cache-Control"] == "no-store"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Referrer-Policy"] == "no-referrer"


async def test_sign_in_cookie_and_one_time_link(world: World, client: TestClient) -> None:  # type: ignore[type-arg]
    resp = await client.get("/dashboard", allow_redirects=False)
    assert resp.status == 401 and "Send /dashboard in chat" in await resp.text()
    _headers_ok(resp)
    link = await link_for(world, "f-001")
    # chat apps' link previews (and HEAD requests) don't spend the link
    preview = await client.get(
        _path(link), headers={"User-Agent": "Slackbot-LinkExpanding 1.0"}, allow_redirects=False
    )
    assert preview.status == 200 and "Set-Cookie" not in preview.headers
    assert (await client.head(_path(link), allow_redirects=False)).status == 200
    first = await client.get(_path(link), allow_redirects=False)
    assert first.status == 303
    _headers_ok(first)
    cookie = first.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Secure" not in cookie
    # a second use is refused, with no cookie
    client.session.cookie_jar.clear()
    again = await client.get(_path(link), allow_redirects=False)
    assert again.status == 403 and "Set-Cookie" not in again.headers
    # forged and expired links too
    forged = await client.get(_path(link)[:-3] + "xyz", allow_redirects=False)
    assert forged.status == 403
    old = await link_for(world, "f-001")
    world.clock.advance(timedelta(minutes=10, seconds=1))
    assert (await client.get(_path(old), allow_redirects=False)).status == 403
    # a participant's link (had they one) signs nobody in
    assert (await client.get("/dashboard")).status == 401


async def test_risk_board_scope_and_audit(world: World, client: TestClient) -> None:  # type: ignore[type-arg]
    await _sign_in(world, client, "f-001")
    resp = await client.get("/dashboard")
    page = await resp.text()
    _headers_ok(resp)
    board = page.split('id="risk-board"', 1)[1].split("</table>", 1)[0]
    people = re.findall(r'data-person="([^"]+)"', board)
    assert people == ["p-002", "p-004"]
    assert "missed 2 in a row" in board and "can no longer be reached" in board
    assert "Kendall &lt;b&gt;K&lt;/b&gt;" in page  # autoescaped
    assert "<script" not in page
    # someone else's group and participant: 403 and an audit row
    assert (await client.get("/dashboard/groups/gb")).status == 403
    assert (await client.get("/dashboard/participants/p-003")).status == 403
    gb_session = world.sessions[("gb", 0, 0)].id
    assert (await client.get(f"/dashboard/sessions/{gb_session}")).status == 403
    assert (await client.get("/dashboard/export.csv?group=gb")).status == 403
    assert (await client.get("/dashboard/groups/ga")).status == 200
    audit = [(a.actor_id, a.action, a.target) for a in await world.app.store.audit_page()]
    assert ("f-001", "dashboard.denied", "/dashboard/groups/gb") in audit
    assert ("f-001", "dashboard.view", "home") in audit
    assert ("f-001", "dashboard.view", "group/ga") in audit


async def test_outreach_with_csrf_then_history(world: World, client: TestClient) -> None:  # type: ignore[type-arg]
    csrf = await _sign_in(world, client, "f-001")
    form = {"how": "call", "outcome": "left_message", "note": "asked about rides"}
    refused = await client.post("/dashboard/participants/p-002/outreach", data=form)
    assert refused.status == 403
    ok = await client.post(
        "/dashboard/participants/p-002/outreach",
        data={**form, "csrf": csrf},
        allow_redirects=False,
    )
    assert ok.status == 303
    page = await (await client.get("/dashboard/participants/p-002")).text()
    log = page.split('id="outreach-log"', 1)[1].split("</table>", 1)[0]
    assert "asked about rides" in log and "left message" in log and "Dr. Rivera" in log
    assert "<svg" in page and "<script" not in page
    bad = await client.post(
        "/dashboard/participants/p-002/outreach",
        data={"how": "pigeon", "outcome": "reached", "csrf": csrf},
    )
    assert bad.status == 400
    # resolving takes them off the board
    await client.post(
        "/dashboard/participants/p-002/outreach",
        data={"how": "call", "outcome": "reached", "resolves": "yes", "csrf": csrf},
    )
    page = await (await client.get("/dashboard")).text()
    assert re.findall(r'data-person="([^"]+)"', page) == ["p-004"]


async def test_mark_from_the_session_page_is_a_verification(
    world: World, client: TestClient
) -> None:  # type: ignore[type-arg]
    csrf = await _sign_in(world, client, "f-001")
    sid = world.sessions[("ga", 0, 2)].id
    resp = await client.post(
        f"/dashboard/sessions/{sid}/mark",
        data={"person": "p-004", "status": "excused", "csrf": csrf},
        allow_redirects=False,
    )
    assert resp.status == 303
    (rec,) = await world.app.store.records(session_id=sid, person_id="p-004")
    assert rec.status.value == "excused" and rec.verified_by == "f-001"
    audit = [(a.actor_id, a.action) for a in await world.app.store.audit_page()]
    assert ("f-001", "attendance.override") in audit


async def test_exports_billing_and_logout(world: World, client: TestClient) -> None:  # type: ignore[type-arg]
    csrf = await _sign_in(world, client, "a-001")
    csv_resp = await client.get("/dashboard/export.csv?group=ga&from=2026-11-23&to=2026-12-06")
    assert csv_resp.status == 200 and csv_resp.headers["Cache-Control"] == "no-store"
    body = await csv_resp.text()
    assert body.startswith("session_id,group_id,session_start,")
    assert body.count("\n") == 1 + 5 * 3
    fhir_text = await (await client.get("/dashboard/export.fhir.json")).text()
    bundle = Bundle.model_validate_json(fhir_text)  # a validator accepts it
    assert len(bundle.entry or []) == json.loads(fhir_text)["entry"].__len__() > 0
    billing = await (await client.get("/dashboard/export.billing.csv?week=2026-W48")).text()
    assert billing.splitlines()[0].startswith("participant_id,date,minutes,sessions,")
    assert "p-001,2026-11-23,180,1,true,2026-W48,540,3,true," in billing
    page = await (await client.get("/dashboard/billing?week=2026-W49")).text()
    assert 'id="billing"' in page
    assert (await client.get("/dashboard/billing?week=junk")).status == 400
    assert (await client.get("/dashboard/export.csv?from=nonsense")).status == 400
    audit = [(a.action, a.target) for a in await world.app.store.audit_page()]
    assert ("dashboard.export", "ga") in audit
    # what range was exported is on the record with the export
    asked = {
        (a.detail["format"], a.detail["from"], a.detail["to"], a.detail["week"])
        for a in await world.app.store.audit_page()
        if a.action == "dashboard.export"
    }
    assert asked == {
        ("csv", "2026-11-23", "2026-12-06", None),
        ("fhir", None, None, None),
        ("billing", None, None, "2026-W48"),
    }
    out = await client.post("/dashboard/logout", data={"csrf": csrf})
    assert out.status == 200
    assert (await client.get("/dashboard", allow_redirects=False)).status == 401


async def test_unknown_routes_still_carry_the_headers(client: TestClient) -> None:  # type: ignore[type-arg]
    for method, path in (("GET", "/dashboard/nope"), ("GET", "/dashboard/logout")):
        resp = await client.request(method, path)
        assert resp.status == 404
        _headers_ok(resp)


async def test_idle_session_ends(world: World, client: TestClient) -> None:  # type: ignore[type-arg]
    await _sign_in(world, client, "a-001")
    world.clock.advance(timedelta(minutes=14))
    assert (await client.get("/dashboard")).status == 200
    world.clock.advance(timedelta(minutes=15))
    assert (await client.get("/dashboard", allow_redirects=False)).status == 401


async def test_an_exports_audit_row_records_the_range_applied_never_raw_text(
    world: World,
    client: TestClient,  # type: ignore[type-arg]
) -> None:
    """The audit log is append-only and hash-chained: what an export's row says was
    exported must be what was (a parameter the export ignored is not on it), and only
    dates and weeks, never text typed into a URL (it could never be erased)."""
    await _sign_in(world, client, "a-001")
    free = "Jane Doe relapsed"
    for url in (
        f"/dashboard/export.csv?group=ga&week={free}",
        f"/dashboard/export.fhir.json?week={free}",
        f"/dashboard/export.billing.csv?week=2026-W48&from={free}&to={free}",
        "/dashboard/export.csv?from=2026-11-23&week=2026-W01",
    ):
        assert (await client.get(url)).status == 200, url
    details = [
        a.detail for a in await world.app.store.audit_page() if a.action == "dashboard.export"
    ]
    assert not any(free in json.dumps(d) for d in details)
    assert [(d["from"], d["to"], d["week"]) for d in details] == [
        (None, None, None),
        (None, None, None),
        (None, None, "2026-W48"),
        ("2026-11-23", None, None),
    ]
