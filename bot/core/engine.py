"""The engine: an event in, actions out. Platform-neutral; adapters translate."""

from __future__ import annotations

import logging
from datetime import datetime

from bot.core.actions import Action, Reply
from bot.core.attendance.hints import note
from bot.core.attendance.imported import ImportResult, import_report
from bot.core.attendance.makeup import book_button
from bot.core.attendance.presence import observe
from bot.core.attendance.recorder import Recorder
from bot.core.attendance.signoff import unsigned_sessions
from bot.core.attendance.surveys import submit, survey_button
from bot.core.commands import COMMANDS, help_command
from bot.core.commands.checkin import checkin_to
from bot.core.commands.roster import page_button
from bot.core.commands.signoff import signoff_button
from bot.core.commands.verify import engage_button, mark_button
from bot.core.context import Access, CommandSpec, Context, Services
from bot.core.domain import Program, Session
from bot.core.events import (
    ButtonPressed,
    CommandInvoked,
    PlatformReport,
    PresenceHint,
    PresenceObserved,
    SurveySubmitted,
)
from bot.core.pipeline import Request, dispatch
from bot.core.ports import Clock, Store
from bot.core.sessions import SessionService
from bot.core.settings import DEFAULT_SURVEY_QUESTIONS, SurveyQuestion

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
    "engage": CommandSpec(
        name="engage",
        handler=engage_button,
        access=Access.FACILITATOR,
        usage="",
        summary="roster participation button",
        denied="Only this group's facilitators can change attendance.",
    ),
    "page": CommandSpec(
        name="page",
        handler=page_button,
        access=Access.FACILITATOR,
        usage="",
        summary="roster page button",
        denied="Only this group's facilitators can see the roster.",
    ),
    "signoff": CommandSpec(
        name="signoff",
        handler=signoff_button,
        access=Access.FACILITATOR,
        usage="",
        summary="end pass button",
        denied="Only this group's facilitators can sign off its sessions.",
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
    ) -> None:
        recorder = Recorder(store, clock, program)
        self.services = Services(
            store=store,
            clock=clock,
            program=program,
            recorder=recorder,
            sessions=SessionService(recorder),
            survey=survey,
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

    async def session(self, session_id: str) -> Session:
        """A session by id (read model); UserError when unknown."""
        return await self.sessions.get(session_id)

    async def unsigned_sessions(self, start_from: datetime, start_to: datetime) -> list[Session]:
        """Sessions that started in [start_from, start_to), have ended and are not signed
        off (read model for the weekly summary)."""
        return await unsigned_sessions(
            self.services.store,
            start_from=start_from,
            start_to=start_to,
            now=self.services.clock.now(),
        )

    async def import_report(
        self, session_id: str, report: PlatformReport, *, actor_id: str
    ) -> ImportResult:
        """A meeting platform's participant report as imported presence (see
        bot.core.attendance.imported); UserError, nothing written, when it cannot apply."""
        session = await self.sessions.get(session_id)
        return await import_report(self.recorder, session, report, actor_id=actor_id)

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
