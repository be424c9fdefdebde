"""The engine: an event in, actions out. Platform-neutral; adapters translate."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import date, datetime

from bot.core.actions import Action, Reply
from bot.core.attendance.hints import note
from bot.core.attendance.makeup import book_button
from bot.core.attendance.presence import observe
from bot.core.attendance.recorder import Recorder
from bot.core.attendance.surveys import submit, survey_button
from bot.core.commands import COMMANDS, help_command
from bot.core.commands.checkin import checkin_to
from bot.core.commands.verify import mark_button
from bot.core.context import Access, CommandSpec, Context, Services
from bot.core.domain import (
    AttendanceRecord,
    AuditEntry,
    BillingRules,
    JSONScalar,
    Program,
    Session,
)
from bot.core.events import (
    ButtonPressed,
    CommandInvoked,
    PresenceHint,
    PresenceObserved,
    SurveySubmitted,
)
from bot.core.outreach.log import OutreachEntry, outreach_log, record_outreach
from bot.core.pipeline import Request, dispatch
from bot.core.ports import Clock, Store
from bot.core.reads import views
from bot.core.reads.risk import RiskEntry, risk_board
from bot.core.reads.scope import Scope, scope_of, sees_person
from bot.core.reports.billing import BillingDay, billing_days
from bot.core.reports.collect import collect
from bot.core.reports.render import ReportRow, sort_rows
from bot.core.sessions import SessionService
from bot.core.settings import DEFAULT_SURVEY_QUESTIONS, SurveyQuestion
from bot.core.signin import SignIn
from bot.core.timeutil import week_bounds, zone

log = logging.getLogger("rollcall.engine")

UNKNOWN_COMMAND = (
    "I don't know that command. I know /checkin, /checkout, /absent, /attendance, /makeup "
    "and /survey (facilitators also /roster, /verify, /enroll, /unenroll)."
)
STALE_BUTTON = "That button is out of date."


async def _checkin_button(ctx: Context) -> list[Action]:
    session = await ctx.services.sessions.get(ctx.extra["value"])
    enrolled = {e.group_id for e in await ctx.store.enrollments(person_id=ctx.person.id)}
    if session.group_id not in enrolled or not session.is_open(ctx.at, ctx.services.program.policy):
        return ctx.reply("That session isn't open for check-in any more.")
    return await checkin_to(ctx, session, None)


BUTTONS: dict[str, CommandSpec] = {
    "mark": CommandSpec(
        name="mark",
        handler=mark_button,
        access=Access.FACILITATOR,
        usage="",
        summary="roster button",
        denied="Only this group's facilitators can change attendance.",
    ),
    "checkin": CommandSpec(
        name="checkin", handler=_checkin_button, access=Access.ENROLLED, usage="", summary=""
    ),
    "survey": CommandSpec(
        name="survey", handler=survey_button, access=Access.ENROLLED, usage="", summary=""
    ),
    "makeup": CommandSpec(
        name="makeup", handler=book_button, access=Access.ENROLLED, usage="", summary=""
    ),
}


HELP = CommandSpec(
    name="help", handler=help_command, access=Access.KNOWN, usage="/help", summary=""
)


SURVEY_SUBMIT = CommandSpec(
    name="survey-submit", handler=submit, access=Access.ENROLLED, usage="", summary=""
)


class Engine:
    def __init__(
        self,
        *,
        store: Store,
        clock: Clock,
        program: Program,
        survey: tuple[SurveyQuestion, ...] = DEFAULT_SURVEY_QUESTIONS,
        signin: SignIn | None = None,
    ) -> None:
        recorder = Recorder(store, clock, program)
        self.services = Services(
            store=store,
            clock=clock,
            program=program,
            recorder=recorder,
            sessions=SessionService(recorder),
            survey=survey,
            signin=signin,
        )

    @property
    def recorder(self) -> Recorder:
        return self.services.recorder

    @property
    def sessions(self) -> SessionService:
        return self.services.sessions

    async def handle(
        self,
        event: CommandInvoked | ButtonPressed | PresenceObserved | SurveySubmitted | PresenceHint,
    ) -> list[Action]:
        if isinstance(event, CommandInvoked):
            return await self.command(event)
        if isinstance(event, ButtonPressed):
            return await self.button(event)
        if isinstance(event, SurveySubmitted):
            return await self.survey_submitted(event)
        if isinstance(event, PresenceHint):
            await note(self.services.store, event)
            return []
        await observe(self.recorder, event)
        return []

    async def survey_submitted(self, ev: SurveySubmitted) -> list[Action]:
        extra = {f"answer:{qid}": value for qid, value in ev.answers}
        extra["session_id"] = ev.session_id
        req = Request(
            services=self.services,
            spec=SURVEY_SUBMIT,
            actor=ev.actor,
            args=[],
            at=ev.at,
            request_id=ev.request_id,
            channel_id=None,
            is_dm=True,
            extra=extra,
        )
        return await dispatch(req)

    async def command(self, ev: CommandInvoked) -> list[Action]:
        name = ev.command.strip().lstrip("/").lower()
        spec = COMMANDS.get(name) or (HELP if name == "help" else None)
        if spec is None:
            return [Reply(text=UNKNOWN_COMMAND)]
        req = Request(
            services=self.services,
            spec=spec,
            actor=ev.actor,
            args=ev.text.split(),
            at=ev.at,
            request_id=ev.request_id,
            channel_id=ev.channel_id,
            is_dm=ev.is_dm,
        )
        return await dispatch(req)

    async def button(self, ev: ButtonPressed) -> list[Action]:
        spec = BUTTONS.get(ev.action)
        if spec is None:
            return [Reply(text=STALE_BUTTON)]
        req = Request(
            services=self.services,
            spec=spec,
            actor=ev.actor,
            args=[],
            at=ev.at,
            request_id=ev.request_id,
            channel_id=ev.channel_id,
            is_dm=ev.channel_id is None,
            extra={"value": ev.value},
        )
        return await dispatch(req)

    # ---- named read models (the dashboard, the CLI's reports) --------------------------

    async def report_rows(
        self,
        *,
        group_id: str | None = None,
        person_id: str | None = None,
        start_from: datetime | None = None,
        start_to: datetime | None = None,
    ) -> list[ReportRow]:
        """The attendance report's rows (`rollcall report`), running sessions recomputed."""
        return await collect(
            self.recorder,
            group_id=group_id,
            person_id=person_id,
            start_from=start_from,
            start_to=start_to,
        )

    async def report_rows_in(
        self,
        group_ids: Iterable[str] | None,
        *,
        person_id: str | None = None,
        start_from: datetime | None = None,
        start_to: datetime | None = None,
    ) -> list[ReportRow]:
        """`report_rows` over several groups (None: every group), in report order."""
        if group_ids is None:
            return await self.report_rows(
                person_id=person_id, start_from=start_from, start_to=start_to
            )
        rows: list[ReportRow] = []
        for gid in sorted(set(group_ids)):
            rows += await self.report_rows(
                group_id=gid, person_id=person_id, start_from=start_from, start_to=start_to
            )
        return sort_rows(rows)

    async def billing(
        self,
        *,
        group_ids: Iterable[str] | None = None,
        person_id: str | None = None,
        day_from: date | None = None,
        day_to: date | None = None,
    ) -> list[BillingDay]:
        """Billing days from `day_from` to `day_to` (inclusive, program time zone) in
        these groups (None: all); week totals always count the whole ISO weeks those
        days fall in."""
        program = self.services.program
        tz = zone(program.timezone)
        rows = await self.report_rows_in(
            group_ids,
            person_id=person_id,
            start_from=week_bounds(day_from, tz)[0] if day_from else None,
            start_to=week_bounds(day_to, tz)[1] if day_to else None,
        )
        return [
            d
            for d in billing_days(rows, tz, program.billing)
            if (day_from is None or d.date >= day_from) and (day_to is None or d.date <= day_to)
        ]

    @property
    def billing_rules(self) -> BillingRules:
        return self.services.program.billing

    async def scope(self, person_id: str) -> Scope | None:
        """What a dashboard viewer may see (None: nothing — participants, strangers)."""
        return await scope_of(self.services.store, person_id)

    async def sees_person(self, viewer: Scope, person_id: str) -> bool:
        return await sees_person(self.services.store, viewer, person_id)

    async def risk_board(self, group_ids: Iterable[str]) -> list[RiskEntry]:
        s = self.services
        return await risk_board(
            s.store, s.program.policy, s.program.timezone, group_ids, s.clock.now()
        )

    async def today(self, group_ids: Iterable[str]) -> views.Today:
        s = self.services
        return await views.today(s.store, s.program, group_ids, s.clock.now())

    async def history(self, person_id: str, group_ids: Iterable[str] | None) -> views.History:
        s = self.services
        return await views.history(s.store, s.program, person_id, group_ids, s.clock.now())

    async def matrix(self, group_id: str) -> views.Matrix:
        s = self.services
        return await views.matrix(s.store, s.program, group_id, s.clock.now())

    async def live_records(self, session_id: str) -> tuple[Session, list[AttendanceRecord]]:
        """A session and its records as they stand now (recomputed while it runs)."""
        session = await self.sessions.get(session_id)
        if session.opens_at(self.services.program.policy) <= self.services.clock.now():
            records = await self.recorder.recompute(session)
            if records:
                return session, records
        return session, await self.services.store.records(session_id=session.id)

    async def display_names(self, person_ids: Iterable[str]) -> dict[str, str]:
        out = {}
        for pid in set(person_ids):
            p = await self.services.store.get_person(pid)
            out[pid] = p.display_name if p else pid
        return out

    async def record_outreach(
        self,
        *,
        person_id: str,
        how: str,
        outcome: str,
        actor_id: str,
        source: str,
        note: str | None = None,
        resolves: bool = False,
        within: Iterable[str] | None = None,
    ) -> OutreachEntry:
        return await record_outreach(
            self.services.store,
            person_id=person_id,
            how=how,
            outcome=outcome,
            actor_id=actor_id,
            at=self.services.clock.now(),
            source=source,
            note=note,
            resolves=resolves,
            within=within,
        )

    async def outreach_log(
        self,
        *,
        person_id: str | None = None,
        group_ids: set[str] | None = None,
        at_from: datetime | None = None,
        at_to: datetime | None = None,
    ) -> list[OutreachEntry]:
        return await outreach_log(
            self.services.store,
            person_id=person_id,
            group_ids=group_ids,
            at_from=at_from,
            at_to=at_to,
        )

    async def audit(
        self, *, actor_id: str, action: str, target: str = "", **detail: JSONScalar
    ) -> None:
        """An audit row for what a surface showed or exported (ids only)."""
        await self.services.store.append_audit(
            AuditEntry(
                at=self.services.clock.now(),
                actor_id=actor_id,
                action=action,
                target=target,
                detail=detail,
            )
        )
