"""The dashboard's routes on the one aiohttp server (see bot.shell.web).

Every response carries the security headers; every page needs a live cookie session
(from a one-time link that /dashboard sends by DM); every form carries the session's
CSRF token; every view, download and refusal writes an audit row. The core is reached
only through the engine's public methods.
"""

from __future__ import annotations

import hmac
import logging
import re
import secrets
from collections.abc import Awaitable, Callable

from aiohttp import web

from adapters.web import pages
from adapters.web.auth import COOKIE, Sessions, Viewer
from bot.core.engine import Engine
from bot.core.errors import UserError
from bot.core.ports import Clock
from bot.core.signin import SignIn

log = logging.getLogger("rollcall.web.dashboard")

CSP = (
    "default-src 'none'; img-src 'self' data:; style-src 'nonce-{nonce}'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
#: link-preview fetchers of chat apps and mail scanners (User-Agent)
_LINK_PREVIEW = re.compile(
    r"Slackbot|Slack-ImgProxy|Discordbot|facebookexternalhit|Twitterbot|TelegramBot|"
    r"WhatsApp|SkypeUriPreview|LinkedInBot|Google-Safety|BingPreview",
    re.IGNORECASE,
)
Handler = Callable[["Viewer", web.Request], Awaitable[web.StreamResponse]]


def secure_headers(resp: web.StreamResponse, nonce: str) -> web.StreamResponse:
    resp.headers["Content-Security-Policy"] = CSP.format(nonce=nonce)
    resp.headers["Cache-Control"] = "no-store"
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Referrer-Policy"] = "no-referrer"
    resp.headers["X-Frame-Options"] = "DENY"
    return resp


class DashboardAdapter:
    name = "dashboard"

    def __init__(
        self,
        engine: Engine,
        *,
        signin: SignIn,
        clock: Clock,
        timezone: str,
        program_name: str,
    ) -> None:
        self.engine = engine
        self.signin = signin
        self.clock = clock
        self.sessions = Sessions()
        self.secure = signin.public_url.startswith("https://")
        self.pages = pages.Pages(engine, clock=clock, timezone=timezone, program_name=program_name)

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    def add_routes(self, app: web.Application) -> None:
        r = app.router
        r.add_get("/dashboard/login/{token}", self._plain(self.login))
        r.add_post("/dashboard/logout", self._plain(self.logout))
        r.add_get("/dashboard", self._page(self.pages.home))
        r.add_get("/dashboard/", self._page(self.pages.home))
        r.add_get("/dashboard/sessions/{session_id}", self._page(self.pages.session))
        r.add_post("/dashboard/sessions/{session_id}/mark", self._page(self.pages.mark))
        r.add_get("/dashboard/groups/{group_id}", self._page(self.pages.group))
        r.add_get("/dashboard/participants/{person_id}", self._page(self.pages.participant))
        r.add_post("/dashboard/participants/{person_id}/outreach", self._page(self.pages.outreach))
        r.add_get("/dashboard/billing", self._page(self.pages.billing))
        r.add_get("/dashboard/export.csv", self._page(self.pages.export_csv))
        r.add_get("/dashboard/export.fhir.json", self._page(self.pages.export_fhir))
        r.add_get("/dashboard/export.billing.csv", self._page(self.pages.export_billing))
        # anything else under /dashboard: a plain 404 that still carries the headers
        r.add_route("*", "/dashboard/{tail:.*}", self._plain(self.nothing))

    # -- plumbing ---------------------------------------------------------------------

    def _plain(
        self, handler: Callable[[web.Request, str], Awaitable[web.StreamResponse]]
    ) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        async def wrapped(request: web.Request) -> web.StreamResponse:
            nonce = secrets.token_urlsafe(12)
            return secure_headers(await handler(request, nonce), nonce)

        return wrapped

    def _page(self, handler: Handler) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        async def wrapped(request: web.Request) -> web.StreamResponse:
            nonce = secrets.token_urlsafe(12)
            now = self.clock.now()
            session = self.sessions.get(request.cookies.get(COOKIE), now)
            if session is None:
                return secure_headers(self.pages.message(401, pages.SIGN_IN, nonce), nonce)
            scope = await self.engine.scope(session.person_id)
            if scope is None:  # demoted or forgotten since signing in
                self.sessions.close(request.cookies.get(COOKIE))
                return secure_headers(self.pages.message(403, pages.FORBIDDEN, nonce), nonce)
            viewer = Viewer(scope=scope, session=session, nonce=nonce)
            if request.method == "POST":
                form = await request.post()
                sent = str(form.get("csrf", ""))
                if not hmac.compare_digest(sent.encode(), session.csrf.encode()):
                    await self.engine.audit(
                        actor_id=scope.person.id, action="dashboard.csrf_refused",
                        target=request.path,
                    )  # fmt: skip
                    return secure_headers(
                        self.pages.message(403, "That form has expired; reload the page.", nonce),
                        nonce,
                    )
            try:
                resp = await handler(viewer, request)
            except pages.Forbidden:
                await self.engine.audit(
                    actor_id=scope.person.id, action="dashboard.denied", target=request.path
                )
                resp = self.pages.message(403, pages.FORBIDDEN, nonce)
            except (KeyError, LookupError):
                resp = self.pages.message(404, "There's nothing here.", nonce)
            except UserError as e:
                resp = self.pages.message(400, str(e), nonce)
            return secure_headers(resp, nonce)

        return wrapped

    # -- sign-in and out ----------------------------------------------------------------

    async def login(self, request: web.Request, nonce: str) -> web.StreamResponse:
        if request.method == "HEAD" or _LINK_PREVIEW.search(request.headers.get("User-Agent", "")):
            # chat apps fetch links to preview them: that must not spend a one-time link
            return self.pages.message(200, pages.OPEN_IN_BROWSER, nonce)
        now = self.clock.now()
        grant = self.signin.check(request.match_info["token"], now)
        if grant is None or not self.sessions.spend(grant.nonce, grant.expires_at, now):
            await self.engine.audit(
                actor_id=grant.person_id if grant else "web", action="dashboard.login_refused"
            )
            return self.pages.message(403, pages.LINK_REFUSED, nonce)
        if await self.engine.scope(grant.person_id) is None:
            await self.engine.audit(actor_id=grant.person_id, action="dashboard.login_refused")
            return self.pages.message(403, pages.FORBIDDEN, nonce)
        sid = self.sessions.open(grant.person_id, now)
        await self.engine.audit(actor_id=grant.person_id, action="dashboard.login")
        resp = web.HTTPSeeOther("/dashboard")
        resp.set_cookie(
            COOKIE,
            sid,
            path="/dashboard",
            httponly=True,
            samesite="Strict",
            secure=self.secure,
            max_age=None,
        )
        return resp

    async def nothing(self, request: web.Request, nonce: str) -> web.StreamResponse:
        return self.pages.message(404, "There's nothing here.", nonce)

    async def logout(self, request: web.Request, nonce: str) -> web.StreamResponse:
        sid = request.cookies.get(COOKIE)
        session = self.sessions.get(sid, self.clock.now())
        if session is not None:
            form = await request.post()
            if not hmac.compare_digest(str(form.get("csrf", "")).encode(), session.csrf.encode()):
                return self.pages.message(403, "That form has expired; reload the page.", nonce)
            self.sessions.close(sid)
            await self.engine.audit(actor_id=session.person_id, action="dashboard.logout")
        resp = self.pages.message(200, pages.SIGNED_OUT, nonce)
        resp.del_cookie(COOKIE, path="/dashboard")
        return resp
