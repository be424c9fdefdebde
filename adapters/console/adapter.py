"""The console adapter: act as any configured person, type chat commands, read replies.

What a newcomer sees after `make run` when no chat platform is enabled.
"""

from __future__ import annotations

import asyncio
import re
import threading
import uuid
from collections.abc import Callable
from typing import TextIO

from adapters.console.translate import HELP, ConsoleInput, parse_line, render_action
from bot.core.actions import Action, Button, ChannelPost, DirectMessage
from bot.core.domain import Group, Person
from bot.core.engine import Engine
from bot.core.errors import UserError
from bot.core.events import Actor, ButtonPressed, CommandInvoked, Identity, PresenceObserved
from bot.core.ports import Delivery
from bot.core.timeutil import day_date_time, local_day_bounds

PLATFORM = "console"


class ConsoleAdapter:
    def __init__(
        self,
        engine: Engine,
        *,
        stdin: TextIO,
        stdout: TextIO,
        prompt: bool = True,
    ) -> None:
        self.engine = engine
        self.stdin = stdin
        self.stdout = stdout
        self.prompt = prompt
        self.person_id: str | None = None
        self.where: str | None = None  # the group channel typed in, or None for a DM
        self.buttons: list[Button] = []
        self._stopping = asyncio.Event()
        self._lines: asyncio.Queue[str] | None = None

    def say(self, text: str) -> None:
        self.stdout.write(text + "\n")
        self.stdout.flush()

    async def _readline(self) -> str | None:
        if self.prompt:
            where = f"#{self.where}" if self.where else "dm"
            self.stdout.write(f"{self.person_id or '(nobody)'} {where}> ")
            self.stdout.flush()
        if self._lines is None:
            self._lines = _start_reader(self.stdin)
        line = await self._lines.get()
        return line if line else None

    async def run(self) -> None:
        """Until `quit` or end of input."""
        self.say(
            f"rollcall console — {self.engine.program.name}. "
            "Type `help`; start with `as PERSON_ID` (try `people`)."
        )
        while not self._stopping.is_set():
            line = await self._readline()
            if line is None:
                break
            if not await self.handle_line(line):
                break

    def stop(self) -> None:
        self._stopping.set()

    # -- the console is its own chat platform: DMs and channel posts are printed ----
    @property
    def notifier(self) -> ConsoleAdapter:
        return self

    @property
    def poster(self) -> ConsoleAdapter:
        return self

    channel = "chat"
    platform = PLATFORM

    async def deliver(self, person: Person, message: DirectMessage) -> Delivery:
        self.say(f"\n[DM to {person.id}] {message.text}")
        for b in message.buttons:
            self.say(f"  (button: {b.label} — type /{b.action} to use it)")
        return Delivery.DELIVERED

    async def post(self, group: Group, post: ChannelPost) -> Delivery:
        self.say(f"\n[#{group.id}] {post.text}")
        return Delivery.DELIVERED

    async def handle_line(self, line: str) -> bool:
        """One line of input; False when the console should end."""
        cmd = parse_line(line)
        handlers: dict[str, Callable[[ConsoleInput], object]] = {
            "as": self._as,
            "in": self._in,
            "command": self._command,
            "presence": self._presence,
            "press": self._press,
            "info": self._info,
            "start": self._start,
        }
        if cmd.verb == "quit":
            return False
        if cmd.verb == "help":
            self.say(HELP)
        elif cmd.verb == "error":
            self.say(cmd.text)
        elif cmd.verb in handlers:
            result = handlers[cmd.verb](cmd)
            if asyncio.iscoroutine(result):
                await result
        return True

    async def _as(self, cmd: ConsoleInput) -> None:
        if not cmd.args:
            self.say("Usage: as PERSON_ID")
            return
        person = await self.engine.person(cmd.args[0])
        if person is None:
            self.say(f"No person {cmd.args[0]!r} is configured (try `people`).")
            return
        self.person_id = person.id
        groups = await self.engine.enrollments_of(person.id)
        self.where = groups[0].group_id if groups else None
        self.say(f"You are now {person.display_name} ({person.id}, {person.role.value}).")

    async def _in(self, cmd: ConsoleInput) -> None:
        if not cmd.args or cmd.args[0].lower() == "dm":
            self.where = None
            self.say("Now typing in a direct message with rollcall.")
            return
        group = await self.engine.group(cmd.args[0])
        if group is None:
            self.say(f"No group {cmd.args[0]!r} (try `groups`).")
            return
        self.where = group.id
        self.say(f"Now typing in #{group.id} ({group.name}).")

    def _who(self) -> str | None:
        if self.person_id is None:
            self.say("Who are you? Start with `as PERSON_ID` (try `people`).")
        return self.person_id

    async def _command(self, cmd: ConsoleInput) -> None:
        who = self._who()
        if who is None:
            return
        event = CommandInvoked(
            actor=Actor(platform=PLATFORM, user_id=who),
            command=cmd.args[0],
            text=cmd.text,
            channel_id=self.where,
            is_dm=self.where is None,
            at=self.engine.now(),
            request_id=uuid.uuid4().hex,
        )
        self.show(await self.engine.handle(event))

    async def _press(self, cmd: ConsoleInput) -> None:
        who = self._who()
        if who is None:
            return
        if not self.buttons:
            self.say("The last reply has no buttons to press.")
            return
        try:
            button = self.buttons[int(cmd.args[0]) - 1]
        except (IndexError, ValueError):
            self.say(f"Press a button by its number, 1 to {len(self.buttons)}.")
            return
        event = ButtonPressed(
            actor=Actor(platform=PLATFORM, user_id=who),
            action=button.action,
            value=button.value,
            channel_id=self.where,
            at=self.engine.now(),
            request_id=uuid.uuid4().hex,
        )
        self.show(await self.engine.handle(event))

    async def _presence(self, cmd: ConsoleInput) -> None:
        who = self._who()
        if who is None:
            return
        action, rest = cmd.args[0], cmd.args[1:]
        group_id = rest[0] if rest else self.where
        if group_id is None:
            self.say("Which group's room? e.g. `join evening-a`")
            return
        if await self.engine.group(group_id) is None:
            self.say(f"No group {group_id!r} (try `groups`).")
            return
        await self.engine.handle(
            PresenceObserved(
                source=PLATFORM,
                room_id=group_id,
                identity=Identity(platform_user_id=who),
                action=action,
                at=self.engine.now(),
                stream="console",
                key=uuid.uuid4().hex,
            )
        )
        words = {
            "join": "You joined",
            "leave": "You left",
            "camera_on": "Camera on in",
            "camera_off": "Camera off in",
        }
        self.say(f"{words[action]} the {group_id} room.")

    async def _start(self, cmd: ConsoleInput) -> None:
        """An ad-hoc session starting now, so a newcomer can try /checkin at once."""
        group_id = cmd.args[0] if cmd.args else self.where
        if group_id is None:
            self.say("Usage: start GROUP [MINUTES]")
            return
        try:
            minutes = int(cmd.args[1]) if len(cmd.args) > 1 else 60
        except ValueError:
            self.say("Usage: start GROUP [MINUTES]")
            return
        try:
            session = await self.engine.create_session(
                group_id=group_id,
                start=self.engine.now().replace(microsecond=0),
                minutes=minutes,
                actor_id=self.person_id or "console",
            )
        except UserError as e:
            self.say(str(e))
            return
        self.say(f"Session {session.id} is open now for {minutes} minutes.")

    async def _info(self, cmd: ConsoleInput) -> None:
        tz = self.engine.timezone
        what = cmd.args[0]
        if what == "people":
            for p in await self.engine.people():
                self.say(f"  {p.id:10} {p.role.value:12} {p.display_name}")
        elif what == "groups":
            for g in await self.engine.groups():
                self.say(f"  {g.id:12} {g.name}")
        elif what == "now":
            self.say(day_date_time(self.engine.now(), tz))
        else:
            today = self.engine.now().astimezone(tz).date()
            upcoming = await self.engine.list_sessions(start_from=local_day_bounds(today, tz)[0])
            for s in upcoming[:10]:
                self.say(f"  {s.id:28} {day_date_time(s.start, tz)} ({s.state.value})")
            if not upcoming:
                self.say("  No sessions from today on. Open one now: start GROUP [MINUTES]")

    def show(self, actions: list[Action]) -> None:
        tz = self.engine.timezone
        self.buttons = []
        for action in actions:
            text, buttons = render_action(action, tz)
            offset = len(self.buttons)
            if offset and buttons:
                text = _renumber(text, offset)
            self.buttons.extend(buttons)
            self.say(text)


def _start_reader(stdin: TextIO) -> asyncio.Queue[str]:
    """Lines of `stdin` ("" at the end), read by a daemon thread.

    Not `asyncio.to_thread`: a read blocked in the default executor keeps `asyncio.run`
    from returning (it joins the executor's threads), so SIGTERM or Ctrl-C would wait
    for the next line of input. A daemon thread is left behind at exit instead.
    """
    loop = asyncio.get_running_loop()
    lines: asyncio.Queue[str] = asyncio.Queue()

    def pump() -> None:
        line = "x"
        while line:
            try:
                line = stdin.readline()
            except (OSError, ValueError):
                line = ""
            try:
                loop.call_soon_threadsafe(lines.put_nowait, line)
            except RuntimeError:  # the loop is closed: nobody is listening any more
                return

    threading.Thread(target=pump, name="console-stdin", daemon=True).start()
    return lines


def _renumber(text: str, offset: int) -> str:
    return re.sub(r"\[(\d+)\]", lambda m: f"[{int(m.group(1)) + offset}]", text)
