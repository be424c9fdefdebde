"""`GET /calendar/{token}.ics`: a person's private calendar feed (RFC 5545).

The engine answers who the token belongs to and what their upcoming sessions are
(`Engine.calendar_feed`); this module only writes them with `icalendar`. An unknown,
forged or revoked token is a bare 404: nothing tells a guesser what exists.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from aiohttp import web
from icalendar import Calendar, Event

from bot.core.engine import Engine
from bot.core.feed import CalendarFeed

ENGINE_KEY = web.AppKey("calendar_engine", Engine)
PRODID = "-//rollcall//calendar feed//EN"
HEADERS = {"Cache-Control": "no-store", "Content-Type": "text/calendar; charset=utf-8"}


def add_routes(app: web.Application, engine: Engine) -> None:
    app[ENGINE_KEY] = engine
    app.router.add_get("/calendar/{name}", feed_view)


async def feed_view(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    token = name.removesuffix(".ics")
    feed = None
    if token != name:
        feed = await request.app[ENGINE_KEY].calendar_feed(token)
    if feed is None:
        raise web.HTTPNotFound(text="not found", headers={"Cache-Control": "no-store"})
    now = request.app[ENGINE_KEY].now()
    return web.Response(body=render(feed, now), headers=HEADERS)


def render(feed: CalendarFeed, stamp: datetime) -> bytes:
    """The feed as an iCalendar: one VEVENT per session (UID `{session_id}@rollcall`, so
    apps update rather than duplicate), times in the program's zone with its VTIMEZONE,
    cancelled sessions as STATUS:CANCELLED."""
    tz = ZoneInfo(feed.timezone)
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", "My sessions")
    cal.add("x-wr-timezone", feed.timezone)
    for item in feed.events:
        event = Event()
        event.add("uid", f"{item.session_id}@rollcall")
        event.add("dtstamp", stamp)
        event.add("dtstart", item.start.astimezone(tz))
        event.add("dtend", item.end.astimezone(tz))
        event.add("summary", item.title)
        event.add("status", "CANCELLED" if item.cancelled else "CONFIRMED")
        event.add("sequence", 1 if item.cancelled else 0)
        event.add("transp", "TRANSPARENT" if item.cancelled else "OPAQUE")
        cal.add_component(event)
    if feed.events:
        cal.add_missing_timezones()
    ical: bytes = cal.to_ical()
    return ical
