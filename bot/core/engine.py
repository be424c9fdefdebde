"""The engine: an event in, actions out. Platform-neutral; adapters translate."""

from __future__ import annotations

import logging
from typing import overload

from bot.core.actions import Action, Recorded, Reply
from bot.core.attendance.batch import PresenceBatches
from bot.core.attendance.hints import note
from bot.core.attendance.presence import catch_up, record_room_closed
from bot.core.attendance.recorder import Recorder
from bot.core.commands import BUTTONS, SURVEY_SUBMIT, lookup
from bot.core.context import Services
from bot.core.domain import Program
from bot.core.events import (
    ButtonPressed,
    CommandInvoked,
    LinkNotice,
    PresenceBatch,
    PresenceCatchUp,
    PresenceHint,
    PresenceObserved,
    PresenceSettled,
    RoomClosed,
    SurveySubmitted,
    TextReplied,
)
from bot.core.operations import Operations
from bot.core.overview import Overview
from bot.core.pipeline import COMMANDS_TOTAL, Request, dispatch
from bot.core.ports import Clock, Store, Telemetry
from bot.core.reads import ReadModels
from bot.core.replies import handle_link, handle_text
from bot.core.sessions import SessionService
from bot.core.settings import DEFAULT_SURVEY_QUESTIONS, SurveyQuestion
from bot.core.signin import SignIn
from bot.core.telemetry import NULL as NULL_TELEMETRY

log = logging.getLogger("rollcall.engine")

#: the events Engine.handle answers with actions
Event = (
    CommandInvoked
    | ButtonPressed
    | PresenceObserved
    | SurveySubmitted
    | PresenceHint
    | PresenceSettled
    | PresenceCatchUp
    | TextReplied
    | LinkNotice
)

UNKNOWN_COMMAND = (
    "I don't know that command. I know /checkin, /checkout, /absent, /attendance, /makeup "
    "and /survey (facilitators also /roster, /verify, /enroll, /unenroll)."
)
STALE_BUTTON = "That button is out of date."
PRESENCE_EVENTS = "rollcall_presence_events_total"


class Engine(ReadModels, Operations, Overview):
    def __init__(
        self,
        *,
        store: Store,
        clock: Clock,
        program: Program,
        survey: tuple[SurveyQuestion, ...] = DEFAULT_SURVEY_QUESTIONS,
        telemetry: Telemetry = NULL_TELEMETRY,
        public_url: str = "http://127.0.0.1:8080",
        signin: SignIn | None = None,
        recorder: Recorder | None = None,
    ) -> None:
        # `recorder`: one the caller shares (bot.shell.app: with the report's desk);
        # on `store`, `clock` and `program`
        if recorder is None:
            recorder = Recorder(store, clock, program)
        self._services = Services(
            store=store,
            clock=clock,
            program=program,
            recorder=recorder,
            sessions=SessionService(recorder),
            survey=survey,
            telemetry=telemetry,
            public_url=public_url,
            signin=signin,
        )
        self._recorder = recorder
        self._batches = PresenceBatches(recorder)

    @overload
    async def handle(self, event: PresenceBatch | RoomClosed) -> Recorded: ...
    @overload
    async def handle(self, event: Event) -> list[Action]: ...
    async def handle(self, event: Event | PresenceBatch | RoomClosed) -> list[Action] | Recorded:
        """The one door: an event in, actions out (a presence batch or a closed room
        answers with what it stored)."""
        if isinstance(event, LinkNotice):
            return await handle_link(self._services, event)
        if isinstance(event, TextReplied):
            return await handle_text(self._services, event)
        if isinstance(event, CommandInvoked):
            return await self.command(event)
        if isinstance(event, ButtonPressed):
            return await self.button(event)
        if isinstance(event, SurveySubmitted):
            return await self.survey_submitted(event)
        if isinstance(event, PresenceHint):
            await note(self._services.store, event)
            return []
        if isinstance(event, PresenceBatch):
            # counted by the adapter as each webhook is accepted
            return Recorded(entries=tuple(await self._batches.record(event.events)))
        if isinstance(event, RoomClosed):
            marker = await record_room_closed(
                self._recorder,
                source=event.source,
                room_id=event.room_id,
                key=event.key,
                at=event.at,
            )
            return Recorded(entries=(marker,))
        if isinstance(event, PresenceSettled):
            await self._batches.settle(event.entries)
            return []
        if isinstance(event, PresenceCatchUp):
            await catch_up(self._recorder, source=event.source, since=event.since)
            return []
        self._services.telemetry.count(PRESENCE_EVENTS, source=event.source)
        await self._batches.observe(event)
        return []

    async def observe(self, event: PresenceObserved) -> None:
        await self._batches.observe(event)

    async def survey_submitted(self, ev: SurveySubmitted) -> list[Action]:
        extra = {f"answer:{qid}": value for qid, value in ev.answers}
        extra["session_id"] = ev.session_id
        req = Request(
            services=self._services,
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
            self._count_unknown("unknown", ev.actor.platform)
            return [Reply(text=UNKNOWN_COMMAND)]
        req = Request(
            services=self._services,
            spec=spec,
            actor=ev.actor,
            args=ev.text.split(),
            at=ev.at,
            request_id=ev.request_id,
            channel_id=ev.channel_id,
            is_dm=ev.is_dm,
        )
        return await dispatch(req)

    def _count_unknown(self, command: str, platform: str) -> None:
        self._services.telemetry.count(
            COMMANDS_TOTAL, command=command, platform=platform, outcome="unknown_command"
        )

    async def button(self, ev: ButtonPressed) -> list[Action]:
        spec = BUTTONS.get(ev.action)
        if spec is None:
            self._count_unknown("button", ev.actor.platform)
            return [Reply(text=STALE_BUTTON)]
        req = Request(
            services=self._services,
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
