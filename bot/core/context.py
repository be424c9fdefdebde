"""What every command handler gets, and how commands are declared."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from enum import StrEnum

from bot.core.actions import Action, Reply
from bot.core.attendance.recorder import Recorder
from bot.core.command_options import Option
from bot.core.domain import (
    EvidenceKind,
    Group,
    JSONScalar,
    LedgerEntry,
    Person,
    Program,
    Session,
)
from bot.core.events import Actor
from bot.core.ports import Clock, Store, Telemetry
from bot.core.sessions import SessionService
from bot.core.settings import SurveyQuestion
from bot.core.signin import SignIn
from bot.core.telemetry import NULL as NULL_TELEMETRY
from bot.core.timeutil import zone

NOT_ENROLLED = "You're not enrolled in a group here — ask your facilitator."


class Access(StrEnum):
    KNOWN = "known"  # anyone configured
    ENROLLED = "enrolled"  # a participant with an active enrollment
    FACILITATOR = "facilitator"  # a facilitator of the group (or of some group), or an admin


@dataclass(frozen=True, slots=True, kw_only=True)
class Services:
    store: Store
    clock: Clock
    program: Program
    recorder: Recorder
    sessions: SessionService
    survey: tuple[SurveyQuestion, ...] = ()
    #: one-time links to the web dashboard; None when it is not served
    signin: SignIn | None = None
    #: counts for operators (bot.shell.metrics gives the real one)
    telemetry: Telemetry = NULL_TELEMETRY
    #: where people reach our web server ([server] public_url): calendar feed links
    public_url: str = "http://127.0.0.1:8080"


@dataclass(kw_only=True)
class Context:
    services: Services
    actor: Actor
    person: Person
    command: str
    args: list[str]
    at: datetime
    request_id: str
    channel_id: str | None = None
    is_dm: bool = False
    #: the group whose channel the command came from, if any
    group: Group | None = None
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def store(self) -> Store:
        return self.services.store

    @property
    def tz(self) -> tzinfo:
        return zone(self.person.timezone, self.services.program.timezone)

    def reply(self, text: str, **kw: object) -> list[Action]:
        return [Reply(text=text, **kw)]  # type: ignore[arg-type]

    def own_evidence(
        self,
        kind: EvidenceKind,
        session: Session,
        key: str,
        data: Mapping[str, JSONScalar] | None = None,
    ) -> LedgerEntry:
        """Evidence the person gives about themselves for a session, now, by this actor."""
        return LedgerEntry(
            key=key,
            kind=kind,
            group_id=session.group_id,
            session_id=session.id,
            person_id=self.person.id,
            actor_id=self.person.id,
            at=self.at,
            recorded_at=self.services.clock.now(),
            source=self.actor.platform,
            data=dict(data or {}),
        )


Handler = Callable[[Context], Awaitable[list[Action]]]


@dataclass(frozen=True, slots=True, kw_only=True)
class CommandSpec:
    name: str
    handler: Handler
    access: Access
    usage: str
    summary: str
    denied: str = "Only facilitators can do that."
    #: its arguments, in order, for platforms that show them (Discord's options,
    #: Slack's usage hint); None: the arguments are one free-text option
    options: tuple[Option, ...] | None = None
    #: other names the command answers to (say, where a platform reserves the name)
    aliases: tuple[str, ...] = ()
    #: shown by /help
    listed: bool = True
    #: may take longer than a platform's ack deadline: acknowledge first, answer later
    slow: bool = False
