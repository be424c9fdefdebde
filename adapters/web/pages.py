"""The dashboard's pages and downloads (handlers behind adapters.web.adapter's guard)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import jinja2
from aiohttp import web

from adapters.web import charts
from adapters.web.translate import date_range, iso_week_days
from bot.core.domain import VERIFIABLE, Flag, SessionState, Status
from bot.core.errors import UserError
from bot.core.events import Actor, ButtonPressed
from bot.core.outreach_log import HOWS, OUTCOMES
from bot.core.overview.views import SurveyPoint
from bot.core.ports import Clock
from bot.core.reports import billing as billing_csv
from bot.core.reports.render import render
from bot.core.timeutil import day_date_time, parse_date, zone

if TYPE_CHECKING:
    from adapters.web.auth import Viewer
    from bot.core.engine import Engine

SIGN_IN = "You're not signed in. Send /dashboard in chat to get a private sign-in link."
FORBIDDEN = "You don't have access to this page."
LINK_REFUSED = (
    "This sign-in link can't be used: it was used already, it has expired, or it isn't "
    "genuine. Send /dashboard in chat for a new one."
)
OPEN_IN_BROWSER = "This is a private sign-in link: open it in your browser."
SIGNED_OUT = "You're signed out. Send /dashboard in chat to sign in again."
REFRESH_SECONDS = 30
STATUS_CLASSES = {s.value: s.value for s in Status}


class Forbidden(Exception):
    """The viewer may not see this (403, audited)."""


ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("adapters.web", "templates"),
    autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
    undefined=jinja2.StrictUndefined,
)


class Pages:
    def __init__(self, engine: Engine, *, clock: Clock, timezone: str, program_name: str) -> None:
        self.engine = engine
        self.clock = clock
        self.tz = zone(timezone)
        self.program_name = program_name

    # -- rendering -------------------------------------------------------------------------

    def _html(self, template: str, status: int = 200, **ctx: Any) -> web.Response:
        ctx.setdefault("program", self.program_name)
        ctx.setdefault("viewer", None)
        ctx.setdefault("refresh", None)
        ctx["when"] = lambda dt: day_date_time(dt, self.tz) if dt else ""
        ctx["day"] = lambda dt: dt.astimezone(self.tz).strftime("%a %m-%d")
        ctx["clock"] = lambda dt: dt.astimezone(self.tz).strftime("%H:%M") if dt else ""
        text = ENV.get_template(template).render(**ctx)
        return web.Response(text=text, status=status, content_type="text/html", charset="utf-8")

    def message(self, status: int, text: str, nonce: str) -> web.Response:
        return self._html("message.html", status, message=text, nonce=nonce)

    def _page(self, viewer: Viewer, template: str, **ctx: Any) -> web.Response:
        groups = viewer.scope.groups
        return self._html(
            template,
            viewer=viewer.scope.person,
            csrf=viewer.session.csrf,
            nonce=viewer.nonce,
            nav_groups=groups,
            **ctx,
        )

    async def _view(self, viewer: Viewer, target: str) -> None:
        await self.engine.audit(
            actor_id=viewer.scope.person.id, action="dashboard.view", target=target
        )

    async def _person_visible(self, viewer: Viewer, person_id: str) -> None:
        if not await self.engine.sees_person(viewer.scope, person_id):
            raise Forbidden

    def _visible_groups(self, viewer: Viewer) -> set[str] | None:
        return None if viewer.scope.admin else set(viewer.scope.group_ids)

    # -- pages -----------------------------------------------------------------------------

    async def home(self, viewer: Viewer, request: web.Request) -> web.StreamResponse:
        ids = viewer.scope.group_ids
        today = await self.engine.today(ids)
        board = await self.engine.risk_board(ids)
        names = await self.engine.display_names(e.person_id for e in board)
        await self._view(viewer, "home")
        return self._page(
            viewer,
            "home.html",
            today=today,
            board=board,
            names=names,
            group_names={g.id: g.name for g in viewer.scope.groups},
            hows=HOWS,
            outcomes=OUTCOMES,
        )

    async def session(self, viewer: Viewer, request: web.Request) -> web.StreamResponse:
        sid = request.match_info["session_id"]
        try:
            session, records = await self.engine.live_records(sid)
        except Exception as e:
            raise LookupError(sid) from e
        if not viewer.scope.sees_group(session.group_id):
            raise Forbidden
        now = self.engine_now()
        running = (
            session.state is SessionState.SCHEDULED
            and session.start - timedelta(minutes=30) <= now < session.end
        )
        names = await self.engine.display_names(r.person_id for r in records)
        await self._view(viewer, f"session/{sid}")
        return self._page(
            viewer,
            "session.html",
            session=session,
            records=sorted(records, key=lambda r: (r.status.value != "absent", names[r.person_id])),
            names=names,
            running=running,
            refresh=REFRESH_SECONDS if running else None,
            marks=[s.value for s in (Status.PRESENT, Status.LATE, Status.ABSENT, Status.EXCUSED)],
            group_name=_group_name(viewer, session.group_id),
            attested=Flag.ATTESTED_MINUTES,
        )

    def engine_now(self) -> datetime:
        return self.clock.now()

    async def mark(self, viewer: Viewer, request: web.Request) -> web.StreamResponse:
        sid = request.match_info["session_id"]
        form = await request.post()
        person_id, word = str(form.get("person", "")), str(form.get("status", ""))
        if word not in {s.value for s in VERIFIABLE}:
            raise UserError("Pick one of the marks.")
        session, records = await self.engine.live_records(sid)
        if not viewer.scope.sees_group(session.group_id):
            raise Forbidden
        if person_id not in {r.person_id for r in records}:
            raise UserError("That person isn't on this session's roster.")
        await self.engine.handle(
            ButtonPressed(
                actor=Actor(platform="web", user_id=viewer.scope.person.id),
                action="mark",
                value=f"{sid}|{person_id}|{word}",
                at=self.engine_now(),
                request_id=f"web-{viewer.nonce}",
            )
        )
        return web.HTTPSeeOther(f"/dashboard/sessions/{sid}")

    async def group(self, viewer: Viewer, request: web.Request) -> web.StreamResponse:
        gid = request.match_info["group_id"]
        if not viewer.scope.sees_group(gid):
            raise Forbidden
        m = await self.engine.matrix(gid)
        names = await self.engine.display_names(m.people)
        labels = [w.week for w in m.weeks]
        await self._view(viewer, f"group/{gid}")
        return self._page(
            viewer,
            "group.html",
            group_name=_group_name(viewer, gid),
            m=m,
            names=names,
            statuses=[s.value for s in Status],
            rate_svg=charts.rate_trend(labels, [w.rate for w in m.weeks], viewer.nonce),
            ratings_svg=self._ratings_svg(m.ratings, viewer.nonce),
        )

    def _ratings_svg(self, ratings: Sequence[SurveyPoint], nonce: str) -> str:
        """The survey-ratings chart (one line a question, one point a session), labelled
        by local date; nothing without ratings."""
        if not ratings:
            return ""
        when = sorted({(p.at, p.session_id) for p in ratings})
        value: dict[tuple[str, str], float] = {}
        for p in ratings:  # the first point of a (session, question) counts
            value.setdefault((p.session_id, p.question), p.value)
        series = {
            q: [value.get((sid, q)) for _, sid in when]
            for q in sorted({p.question for p in ratings})
        }
        dates = [at.astimezone(self.tz).strftime("%m-%d") for at, _ in when]
        return charts.ratings(dates, series, nonce)

    async def participant(self, viewer: Viewer, request: web.Request) -> web.StreamResponse:
        pid = request.match_info["person_id"]
        await self._person_visible(viewer, pid)
        h = await self.engine.history(pid, self._visible_groups(viewer))
        alerts = [
            e for e in await self.engine.risk_board(viewer.scope.group_ids) if e.person_id == pid
        ]
        names = await self.engine.display_names([pid, *(o.by or "" for o in h.outreach)])
        labels = [w.week for w in h.weeks]
        await self._view(viewer, f"participant/{pid}")
        return self._page(
            viewer,
            "participant.html",
            pid=pid,
            name=names[pid],
            h=h,
            alerts=alerts[0].reasons if alerts else (),
            names=names,
            group_names={g.id: g.name for g in viewer.scope.groups},
            hows=HOWS,
            outcomes=OUTCOMES,
            attested=Flag.ATTESTED_MINUTES,
            hours_svg=charts.weekly_hours(
                labels, [w.minutes / 60 for w in h.weeks], h.weekly_min_minutes / 60, viewer.nonce
            ),
            rate_svg=charts.rate_trend(labels, [w.rate for w in h.weeks], viewer.nonce),
            ratings_svg=self._ratings_svg(h.ratings, viewer.nonce),
        )

    async def outreach(self, viewer: Viewer, request: web.Request) -> web.StreamResponse:
        pid = request.match_info["person_id"]
        await self._person_visible(viewer, pid)
        form = await request.post()
        await self.engine.record_outreach(
            person_id=pid,
            how=str(form.get("how", "")),
            outcome=str(form.get("outcome", "")),
            note=str(form.get("note", "")) or None,
            resolves=form.get("resolves") == "yes",
            actor_id=viewer.scope.person.id,
            source="web",
            within=self._visible_groups(viewer),
        )
        back = "/dashboard" if form.get("back") == "home" else f"/dashboard/participants/{pid}"
        return web.HTTPSeeOther(back)

    async def billing(self, viewer: Viewer, request: web.Request) -> web.StreamResponse:
        monday = iso_week_days(request.query.get("week"), self.engine_now(), self.tz)
        sunday = monday + timedelta(days=6)
        days = await self.engine.billing(
            group_ids=self._visible_groups(viewer), day_from=monday, day_to=sunday
        )
        names = await self.engine.display_names(d.participant_id for d in days)
        await self._view(viewer, f"billing/{billing_csv.iso_week(monday)}")
        prev_week, next_week = monday - timedelta(days=7), monday + timedelta(days=7)
        return self._page(
            viewer,
            "billing.html",
            week=billing_csv.iso_week(monday),
            prev_week=billing_csv.iso_week(prev_week),
            next_week=billing_csv.iso_week(next_week),
            days=days,
            names=names,
            rules=self.engine.billing_rules,
        )

    # -- downloads -------------------------------------------------------------------------

    async def _rows(
        self, viewer: Viewer, request: web.Request
    ) -> tuple[list[Any], str, dict[str, str | None]]:
        """The rows asked for, the target, and the range applied (for the audit row)."""
        group = request.query.get("group") or None
        if group is not None and not viewer.scope.sees_group(group):
            raise Forbidden
        start, end = date_range(request.query.get("from"), request.query.get("to"), self.tz)
        ids = [group] if group else self._visible_groups(viewer)
        rows = await self.engine.report_rows_in(ids, start_from=start, start_to=end)
        return rows, group or "all", _applied(request)

    async def _download(
        self,
        viewer: Viewer,
        asked: dict[str, str | None],
        body: str,
        fmt: str,
        target: str,
        rows: int,
        name: str,
        ctype: str,
    ) -> web.Response:
        # the range applied is part of what was exported (dates and a week only: what
        # the export used, normalized, never the URL's text, see `_applied`)
        await self.engine.audit(
            actor_id=viewer.scope.person.id,
            action="dashboard.export",
            target=target,
            detail={"format": fmt, **asked, "rows": rows},
        )
        return web.Response(
            body=body.encode("utf-8"),
            headers={
                "Content-Type": ctype,
                "Content-Disposition": f'attachment; filename="{name}"',
            },
        )

    async def export_csv(self, viewer: Viewer, request: web.Request) -> web.StreamResponse:
        rows, target, asked = await self._rows(viewer, request)
        text = render("csv", rows, self.tz)
        # `rollcall report --format csv` prints the same text, ending in one newline
        text = text if text.endswith("\n") else text + "\n"
        return await self._download(
            viewer,
            asked,
            text,
            "csv",
            target,
            len(rows),
            "attendance.csv",
            "text/csv; charset=utf-8",
        )

    async def export_fhir(self, viewer: Viewer, request: web.Request) -> web.StreamResponse:
        rows, target, asked = await self._rows(viewer, request)
        return await self._download(
            viewer,
            asked,
            render("fhir", rows, self.tz),
            "fhir",
            target,
            len(rows),
            "attendance.fhir.json",
            "application/fhir+json",
        )

    async def export_billing(self, viewer: Viewer, request: web.Request) -> web.StreamResponse:
        if request.query.get("week"):
            day_from: date | None = iso_week_days(
                request.query.get("week"), self.engine_now(), self.tz
            )
            day_to: date | None = day_from + timedelta(days=6) if day_from else None
            asked = _applied(request, week=day_from)
        else:
            start, end = date_range(request.query.get("from"), request.query.get("to"), self.tz)
            day_from = start.astimezone(self.tz).date() if start else None
            day_to = (end - timedelta(seconds=1)).astimezone(self.tz).date() if end else None
            asked = _applied(request)
        days = await self.engine.billing(
            group_ids=self._visible_groups(viewer), day_from=day_from, day_to=day_to
        )
        return await self._download(
            viewer,
            asked,
            billing_csv.to_csv(days),
            "billing",
            "all",
            len(days),
            "billing.csv",
            "text/csv; charset=utf-8",
        )


def _group_name(viewer: Viewer, group_id: str) -> str:
    return next((g.name for g in viewer.scope.groups if g.id == group_id), group_id)


def _applied(request: web.Request, *, week: date | None = None) -> dict[str, str | None]:
    """The range an export applied, for its audit row: the Monday's ISO week when it
    went by `week`, else its `from`/`to` dates (already checked by `date_range`),
    normalized. A parameter the export did not use is not recorded, and no text from
    the URL reaches the append-only audit log as it was typed."""
    if week is not None:
        return {"from": None, "to": None, "week": billing_csv.iso_week(week)}
    return {
        "from": _iso_day(request.query.get("from")),
        "to": _iso_day(request.query.get("to")),
        "week": None,
    }


def _iso_day(text: str | None) -> str | None:
    return parse_date(text).isoformat() if text else None
