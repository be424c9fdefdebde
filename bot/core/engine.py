"""The engine: an event in, actions out. Platform-neutral; adapters translate."""

from __future__ import annotations

import logging

from bot.core.actions import Action, Reply
from bot.core.attendance.hints import note
from bot.core.attendance.presence import observe
from bot.core.attendance.recorder import Recorder
from bot.core.commands import BUTTONS, SURVEY_SUBMIT, lookup
from bot.core.context import Services
from bot.core.domain import Program
from bot.core.events import (
    ButtonPressed,
    CommandInvoked,
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
        spec = lookup(ev.command)
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
