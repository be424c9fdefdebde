"""The in-memory adapter: drives the engine like a chat platform would, and keeps
every action it was asked to perform. For end-to-end tests and `rollcall demo`."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from bot.core.actions import Action, ChannelPost, DirectMessage, Reply
from bot.core.commands import normalize
from bot.core.engine import Engine
from bot.core.events import Actor, ButtonPressed, CommandInvoked, Identity, PresenceObserved

PLATFORM = "console"  # identities are person ids, as on the console


@dataclass(kw_only=True)
class Delivered:
    to: str  # a person id, or "#group" for a channel post
    action: Action


@dataclass(kw_only=True)
class MemoryAdapter:
    engine: Engine
    delivered: list[Delivered] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def _perform(self, who: str, actions: list[Action]) -> list[Action]:
        for a in actions:
            if isinstance(a, Reply):
                self.delivered.append(Delivered(to=who, action=a))
            elif isinstance(a, DirectMessage):
                self.delivered.append(Delivered(to=a.person_id, action=a))
            elif isinstance(a, ChannelPost):
                self.delivered.append(Delivered(to=f"#{a.group_id}", action=a))
        return actions

    async def send(self, person_id: str, text: str, *, channel: str | None = None) -> list[Action]:
        """Type `text` ("/checkin note") as `person_id`, in a group channel or a DM."""
        command, _, rest = text.strip().partition(" ")
        event = CommandInvoked(
            actor=Actor(platform=PLATFORM, user_id=person_id),
            command=normalize(command),
            text=rest,
            channel_id=channel,
            is_dm=channel is None,
            at=self.engine.now(),
            request_id=f"mem-{next(self._ids)}",
        )
        return self._perform(person_id, await self.engine.handle(event))

    async def press(self, person_id: str, action: str, value: str) -> list[Action]:
        event = ButtonPressed(
            actor=Actor(platform=PLATFORM, user_id=person_id),
            action=action,
            value=value,
            at=self.engine.now(),
            request_id=f"mem-{next(self._ids)}",
        )
        return self._perform(person_id, await self.engine.handle(event))

    async def presence(
        self, *, source: str, room_id: str, identity: Identity, action: str, stream: str = ""
    ) -> None:
        """A room event at the clock's current time, as a meeting platform reports it."""
        await self.engine.handle(
            PresenceObserved(
                source=source,
                room_id=room_id,
                identity=identity,
                action=action,
                at=self.engine.now(),
                stream=stream,
                key=f"mem-{next(self._ids)}",
            )
        )
