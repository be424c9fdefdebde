"""The engine: an event in, actions out. Platform-neutral; adapters translate."""

from __future__ import annotations

import logging
from datetime import datetime

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
from bot.core.domain import Program
from bot.core.events import (
    ButtonPressed,
    CommandInvoked,
    LinkNotice,
    PresenceHint,
    PresenceObserved,
    SurveySubmitted,
    TextReplied,
)
from bot.core.outreach.replies import handle_link, handle_text, person_by_phone
from bot.core.pipeline import Request, dispatch
from bot.core.ports import Clock, Store
from bot.core.sessions import SessionService
from bot.core.settings import DEFAULT_SURVEY_QUESTIONS, SurveyQuestion
from bot.core.timeutil import day_date_time, zone, zone_label

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
        event: CommandInvoked
        | ButtonPressed
        | PresenceObserved
        | SurveySubmitted
        | PresenceHint
        | TextReplied
        | LinkNotice,
    ) -> list[Action]:
        if isinstance(event, LinkNotice):
            return await handle_link(self.services, event)
        if isinstance(event, TextReplied):
            return await handle_text(self.services, event)
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

    def now(self) -> datetime:
        """The engine's clock (adapters stamp what arrives without a time of its own)."""
        return self.services.clock.now()

    async def link_session(self, session_id: str) -> str | None:
        """Read model for a link's page: "Group A on Mon Nov 30, 6:00 PM EST", or None."""
        session = await self.services.store.get_session(session_id)
        if session is None:
            return None
        group = await self.services.store.get_group(session.group_id)
        tz = zone(self.services.program.timezone)
        when = f"{day_date_time(session.start, tz)} {zone_label(session.start, tz)}"
        return f"{group.name if group else 'your group'} on {when}"

    async def person_by_phone(self, number: str) -> str | None:
        """Read model: the id of the person with this phone number, if any."""
        person = await person_by_phone(self.services, number)
        return person.id if person else None

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
