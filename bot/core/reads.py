"""Named read models: what a surface (App Home, the console, a platform's directory
lookups, a voice room's reconciliation) may read, offered as public Engine methods.

Adapters and CLI verbs read the core only through these (and `Engine.handle`); they
never touch the engine's services, its recorder or a store.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo

from bot.core import replies
from bot.core.actions import Action, Reply
from bot.core.attendance.reconcile import RoomSnapshot, reconcile_room
from bot.core.attendance.signoff import unsigned_sessions
from bot.core.context import NOT_ENROLLED, Services
from bot.core.domain import Enrollment, Group, Person, Program, Role, Session, SessionState
from bot.core.events import Actor, CommandInvoked, PresenceObserved
from bot.core.timeutil import day_date_time, zone, zone_label


@dataclass(frozen=True, slots=True, kw_only=True)
class Home:
    """A person's own page (Slack's App Home): their record, and for facilitators and
    admins the names of their groups. Nobody else's data."""

    known: bool
    intro: str
    record_text: str | None = None
    groups: tuple[str, ...] = ()


class ReadModels:
    """Mixed into Engine: its read-only public API."""

    _services: Services

    async def command(self, ev: CommandInvoked) -> list[Action]:
        raise NotImplementedError  # the Engine's

    async def observe(self, event: PresenceObserved) -> None:
        raise NotImplementedError  # the Engine's

    # -- the program and its clock -------------------------------------------------
    @property
    def program(self) -> Program:
        return self._services.program

    @property
    def timezone(self) -> tzinfo:
        return zone(self._services.program.timezone)

    def now(self) -> datetime:
        return self._services.clock.now()

    # -- the directory -----------------------------------------------------------
    async def person_by_phone(self, number: str) -> str | None:
        """The id of the person with this phone number, if any (SMS replies)."""
        found = await replies.person_by_phone(self._services, number)
        return found.id if found else None

    async def person(self, person_id: str) -> Person | None:
        return await self._services.store.get_person(person_id)

    async def person_on(self, platform: str, user_id: str) -> Person | None:
        """The person a platform's user id belongs to."""
        return await self._services.store.find_person(platform=platform, user_id=user_id)

    async def people(self) -> list[Person]:
        return await self._services.store.list_people()

    async def group(self, group_id: str) -> Group | None:
        return await self._services.store.get_group(group_id)

    async def groups(self) -> list[Group]:
        return await self._services.store.list_groups()

    async def enrollments_of(self, person_id: str) -> list[Enrollment]:
        return await self._services.store.enrollments(person_id=person_id)

    async def list_sessions(
        self,
        *,
        group_id: str | None = None,
        start_from: datetime | None = None,
        start_to: datetime | None = None,
        states: Sequence[SessionState] | None = None,
    ) -> list[Session]:
        return await self._services.store.list_sessions(
            group_id=group_id, start_from=start_from, start_to=start_to, states=states
        )

    async def session(self, session_id: str) -> Session:
        """A session by id; UserError when unknown."""
        return await self._services.sessions.get(session_id)

    async def open_sessions(self, group_ids: Sequence[str], at: datetime) -> list[Session]:
        """The sessions of these groups open for check-in at `at`."""
        return await self._services.sessions.open_sessions(group_ids, at)

    async def participants(self, session: Session) -> list[str]:
        """Who a session's records are kept for: its group's active enrollees, plus
        anyone with evidence in it."""
        return await self._services.recorder.participants(session)

    async def unsigned_sessions(self, start_from: datetime, start_to: datetime) -> list[Session]:
        """Sessions that started in [start_from, start_to), have ended and are not signed
        off (for the weekly summary)."""
        return await unsigned_sessions(
            self._services.store,
            start_from=start_from,
            start_to=start_to,
            now=self._services.clock.now(),
        )

    # -- surfaces -----------------------------------------------------------------
    async def home(self, actor: Actor, *, intro: str, request_id: str) -> Home:
        """The viewer's own record (their /attendance) and, for facilitators, their groups."""
        person = await self.person_on(actor.platform, actor.user_id)
        if person is None or person.forgotten:
            return Home(known=False, intro=NOT_ENROLLED)
        record_text = None
        if await self.enrollments_of(person.id):
            actions = await self.command(
                CommandInvoked(
                    actor=actor,
                    command="attendance",
                    is_dm=True,
                    at=self.now(),
                    request_id=request_id,
                )
            )
            record_text = next((a.text for a in actions if isinstance(a, Reply)), None)
        groups = await self.groups()
        if person.role is not Role.ADMIN:
            groups = [g for g in groups if person.id in g.facilitators]
        names = tuple(g.name for g in groups) if person.role is not Role.PARTICIPANT else ()
        return Home(known=True, intro=intro, record_text=record_text, groups=names)

    async def reconcile_room(
        self,
        snapshot: RoomSnapshot,
        *,
        at: datetime,
        left_at: datetime | None = None,
        known_users: Sequence[str] = (),
    ) -> list[PresenceObserved]:
        """Make the ledger agree with who a platform says is in a room now: the
        presence events that were missing, each handled as if it had arrived."""
        events = await reconcile_room(
            self._services.store, snapshot, at=at, left_at=left_at, known_users=known_users
        )
        for ev in events:
            await self.observe(ev)
        return events

    async def link_session(self, session_id: str) -> str | None:
        """For a reply link's page: "Group A on Mon Nov 30, 6:00 PM EST", or None."""
        session = await self._services.store.get_session(session_id)
        if session is None:
            return None
        group = await self._services.store.get_group(session.group_id)
        tz = zone(self._services.program.timezone)
        when = f"{day_date_time(session.start, tz)} {zone_label(session.start, tz)}"
        return f"{group.name if group else 'your group'} on {when}"
