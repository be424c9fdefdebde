"""The e-mail "can't make it" link: `GET|POST {public_url}/r/{token}`.

Mail scanners open links, so a GET only shows a page with one button; only the POST
of that button records the notice (through `Engine.handle(LinkNotice)`). A forged,
altered or expired token gets 403 and changes nothing. Pages carry no script, are
never cached and send no referrer."""

from __future__ import annotations

import html
import logging

from aiohttp import web

from bot.core.actions import Reply
from bot.core.engine import Engine
from bot.core.events import LinkNotice
from bot.core.links import LinkClaim, read_token

log = logging.getLogger("rollcall.email")

HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def _page(title: str, body: str, status: int = 200) -> web.Response:
    doc = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title></head><body>{body}</body></html>"
    )
    return web.Response(text=doc, status=status, content_type="text/html", headers=HEADERS)


class ReplyLinks:
    """Mounted on the one aiohttp server when e-mail links are configured."""

    name = "email-links"

    def __init__(self, engine: Engine, *, secret: str) -> None:
        self.engine = engine
        self.secret = secret

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get("/r/{token}", self.show)
        app.router.add_post("/r/{token}", self.record)

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    def _claim(self, request: web.Request) -> LinkClaim | None:
        return read_token(self.secret, request.match_info["token"], self.engine.now())

    async def show(self, request: web.Request) -> web.Response:
        claim = self._claim(request)
        what = await self.engine.link_session(claim.session_id) if claim else None
        if claim is None or what is None:
            return _gone()
        return _page(
            "Can't make it?",
            f"<h1>Can't make it?</h1><p>{html.escape(what)}</p>"
            '<form method="post"><button type="submit">I can\'t make it</button></form>'
            "<p>No need to explain.</p>",
        )

    async def record(self, request: web.Request) -> web.Response:
        claim = self._claim(request)
        if claim is None:
            return _gone()
        actions = await self.engine.handle(
            LinkNotice(person_id=claim.person_id, session_id=claim.session_id, at=self.engine.now())
        )
        text = " ".join(a.text for a in actions if isinstance(a, Reply))
        log.info("email link notice person=%s session=%s", claim.person_id, claim.session_id)
        return _page("Thank you", f"<p>{html.escape(text)}</p>")


def _gone() -> web.Response:
    return _page(
        "Link not valid",
        "<p>This link is not valid any more. Your facilitator can help.</p>",
        status=403,
    )
