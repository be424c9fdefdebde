"""The authorization matrix of the dashboard (issue 17): every dashboard route × every
role → the expected status; every refusal names nobody, and every refusal of a signed-in
viewer writes an audit row. The command and button matrix is tests/unit/test_authz_matrix.py.

Roles: anonymous (no cookie); a participant (holding a genuinely signed link: the sign-in
refuses it, so they stay anonymous); the facilitator of another group (f-002, group
"gb"); the facilitator (f-001, group "ga", whose session, group and participant the
routes name); an admin. Real routes, real SQLite, aiohttp's test client; one world for
the module, a fresh client (cookie jar) per role.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from aiohttp.test_utils import TestClient, TestServer

from bot.shell.web import make_web_app
from tests.adapters.web.world import World, build_world

pytestmark = [pytest.mark.timeout(180), pytest.mark.asyncio(loop_scope="module")]

ROLES = ("anonymous", "participant", "other-facilitator", "facilitator", "admin")
WHO = {
    "participant": "p-001",
    "other-facilitator": "f-002",
    "facilitator": "f-001",
    "admin": "a-001",
}
#: everyone of the world: no refusal may name any of them
NAMES = ("Jordan", "Morgan", "Avery", "Kendall", "Dr. Rivera", "Dr. Shah", "Coordinator Lee")
OUT = 401  # not signed in
NO = 403  # signed in, not theirs


def routes(world: World) -> list[tuple[str, str, dict[str, str] | None, dict[str, int]]]:
    """(method, path, form or None, {role: status}) for every dashboard route; the
    session, group and participant are group "ga"'s (the facilitator's)."""
    sid = world.sessions[("ga", 0, 2)].id

    def st(other: int, own: int) -> dict[str, int]:
        return {
            "anonymous": OUT, "participant": OUT, "other-facilitator": other,
            "facilitator": own, "admin": own,
        }  # fmt: skip

    return [
        ("GET", "/dashboard", None, st(200, 200)),
        ("GET", "/dashboard/", None, st(200, 200)),
        ("GET", f"/dashboard/sessions/{sid}", None, st(NO, 200)),
        ("POST", f"/dashboard/sessions/{sid}/mark", {"person": "p-004", "status": "excused"},
         st(NO, 303)),
        ("GET", "/dashboard/groups/ga", None, st(NO, 200)),
        ("GET", "/dashboard/participants/p-002", None, st(NO, 200)),
        ("POST", "/dashboard/participants/p-002/outreach",
         {"how": "call", "outcome": "left_message"}, st(NO, 303)),
        # the whole-program views are scoped, not refused: what the other facilitator
        # gets holds none of group ga's people (checked below)
        ("GET", "/dashboard/billing", None, st(200, 200)),
        ("GET", "/dashboard/billing?week=2026-W49", None, st(200, 200)),
        ("GET", "/dashboard/export.csv?group=ga", None, st(NO, 200)),
        ("GET", "/dashboard/export.csv", None, st(200, 200)),
        ("GET", "/dashboard/export.fhir.json?group=ga", None, st(NO, 200)),
        ("GET", "/dashboard/export.fhir.json", None, st(200, 200)),
        ("GET", "/dashboard/export.billing.csv", None, st(200, 200)),
        ("GET", "/dashboard/no-such-page", None, {r: 404 for r in ROLES}),
    ]  # fmt: skip


#: the routes the matrix must cover: every one `DashboardAdapter.add_routes` registers
REGISTERED = {
    ("GET", "/dashboard/login/{token}"), ("POST", "/dashboard/logout"),
    ("GET", "/dashboard"), ("GET", "/dashboard/"),
    ("GET", "/dashboard/sessions/{session_id}"), ("POST", "/dashboard/sessions/{session_id}/mark"),
    ("GET", "/dashboard/groups/{group_id}"), ("GET", "/dashboard/participants/{person_id}"),
    ("POST", "/dashboard/participants/{person_id}/outreach"), ("GET", "/dashboard/billing"),
    ("GET", "/dashboard/export.csv"), ("GET", "/dashboard/export.fhir.json"),
    ("GET", "/dashboard/export.billing.csv"), ("*", "/dashboard/{tail}"),
}  # fmt: skip
CELLS = {"checked": 0}


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def world(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[World]:
    w = await build_world(tmp_path_factory.mktemp("authz"), 0)
    yield w
    await w.app.close()


async def _client(world: World) -> TestClient:  # type: ignore[type-arg]
    app = make_web_app(world.app.store)
    world.dashboard.add_routes(app)
    client: TestClient = TestClient(TestServer(app))  # type: ignore[type-arg]
    await client.start_server()
    return client


async def _sign_in(world: World, client: TestClient, role: str) -> str:  # type: ignore[type-arg]
    """Open the person's genuinely signed link; their CSRF token ("" if refused)."""
    if role == "anonymous":
        return ""
    link = world.dashboard.signin.link(WHO[role], world.clock.now())
    resp = await client.get("/" + link.split("/", 3)[3], allow_redirects=False)
    if role == "participant":
        assert resp.status == 403 and "Set-Cookie" not in resp.headers
        return ""
    assert resp.status == 303 and resp.headers["Location"] == "/dashboard"
    m = re.search(r'name="csrf" value="([^"]+)"', await (await client.get("/dashboard")).text())
    assert m
    return m.group(1)


async def _audit_since(world: World, seq: int) -> list[tuple[str, str, str]]:
    return [
        (a.actor_id, a.action, a.target) for a in await world.app.store.audit_page(after_seq=seq)
    ]


@pytest.mark.parametrize("role", ROLES)
async def test_every_dashboard_route_for_every_role(world: World, role: str) -> None:
    client = await _client(world)
    try:
        csrf = await _sign_in(world, client, role)
        for method, path, form, want in routes(world):
            before = (await world.app.store.chain_head("audit"))[0]
            if method == "GET":
                resp = await client.get(path, allow_redirects=False)
            else:
                data = {**(form or {}), "csrf": csrf}
                resp = await client.post(path, data=data, allow_redirects=False)
            body = await resp.text()
            assert resp.status == want[role], (role, method, path, resp.status, body[:300])
            CELLS["checked"] += 1
            assert resp.headers["Cache-Control"] == "no-store", (role, path)
            if resp.status >= 400:
                # a refusal is generic: it names nobody
                assert not [n for n in NAMES if n in body], (role, path, body[:300])
            if resp.status == NO:
                audited = await _audit_since(world, before)
                assert (WHO[role], "dashboard.denied", path.split("?")[0]) in audited, audited
            if role == "other-facilitator" and resp.status == 200:
                # scoped: nothing of group ga (its people, its sessions) in what they get
                for leak in ("Jordan", "Morgan", "Kendall", "p-001", "p-002", "p-004", "ga-"):
                    assert leak not in body, (path, leak)
        # a form without its CSRF token: refused (and audited) for anyone signed in
        post = await client.post(
            "/dashboard/participants/p-002/outreach",
            data={"how": "call", "outcome": "reached"},
            allow_redirects=False,
        )
        assert post.status == (OUT if role in ("anonymous", "participant") else NO)
        assert not [n for n in NAMES if n in await post.text()]
        # and signing out: always a plain page, the session gone after it
        out = await client.post("/dashboard/logout", data={"csrf": csrf})
        assert out.status == 200
        assert (await client.get("/dashboard", allow_redirects=False)).status == OUT
        CELLS["checked"] += 3
    finally:
        await client.close()


async def test_the_matrix_covers_every_dashboard_route(world: World) -> None:
    client = await _client(world)
    try:
        registered = {
            (r.method, re.sub(r"\{tail:[^}]*\}", "{tail}", r.resource.canonical))
            for r in client.app.router.routes()  # type: ignore[union-attr]
            if r.resource is not None and r.resource.canonical.startswith("/dashboard")
        }
    finally:
        await client.close()
    registered.discard(("HEAD", "/dashboard/login/{token}"))
    registered = {(m, p) for m, p in registered if m != "HEAD"}
    assert registered == REGISTERED
    templates = set()
    for method, path, _, _ in routes(world):
        templates.add((method, path.split("?")[0]))
    covered = {
        re.sub(r"/sessions/[^/]+", "/sessions/{session_id}", p)
        .replace("/groups/ga", "/groups/{group_id}")
        .replace("/participants/p-002", "/participants/{person_id}")
        .replace("/no-such-page", "/{tail}")
        for _, p in templates
    }
    want = {p for _, p in REGISTERED} - {"/dashboard/login/{token}", "/dashboard/logout"}
    assert covered == want  # login and logout: every role's sign-in and sign-out above
    print(f"dashboard authorization matrix: {len(ROLES) * (len(templates) + 3)} cells")
