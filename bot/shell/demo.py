"""`rollcall demo`: a scripted week of one group on a fake clock, through the in-memory
adapter and an in-memory store (your database is not touched). Prints what each
person saw, the facilitator's rosters and the week's report."""

from __future__ import annotations

import sys
from datetime import datetime, time, timedelta
from typing import TextIO
from zoneinfo import ZoneInfo

from bot.config import Config
from bot.core.actions import Action, Reply
from bot.core.attendance.roster import render_roster
from bot.core.clock import FakeClock
from bot.core.domain import Group, Person, Program, Role, Schedule
from bot.core.events import Identity
from bot.core.reports.render import render
from bot.core.seed import materialize, seed
from bot.shell.app import memory_world

TZ = "America/New_York"
ROOM = "demo-room"
MONDAY = datetime(2026, 11, 30, tzinfo=ZoneInfo(TZ))

CAST = (
    Person(id="f-001", display_name="Dr. R.", role=Role.FACILITATOR),
    Person(id="p-001", display_name="J.", zoom_email="p-001@example.org"),
    Person(id="p-002", display_name="M.", zoom_email="p-002@example.org"),
    Person(id="p-003", display_name="A.", zoom_email="p-003@example.org"),
    Person(id="p-004", display_name="K.", zoom_email="p-004@example.org"),
)
GROUP = Group(
    id="evening-a",
    name="Evening Group A",
    schedule=Schedule(rrule="FREQ=WEEKLY;BYDAY=MO,WE,TH", start=time(18, 0), minutes=180),
    facilitators=("f-001",),
    participants=("p-001", "p-002", "p-003", "p-004"),
    zoom_meeting_id=ROOM,
)


class Demo:
    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.program = Program(name="Evening IOP (demo)", timezone=TZ)
        self.tz = ZoneInfo(TZ)
        self.clock = FakeClock(MONDAY - timedelta(days=1) + timedelta(hours=12))
        self.store, self.engine, self.chat = memory_world(self.program, self.clock)

    def say(self, text: str = "") -> None:
        self.out.write(text + "\n")

    def at(self, day: int, hh: int, mm: int = 0) -> None:
        """Move the fake clock to day `day` of the week (0 = Monday) at hh:mm local."""
        local = (MONDAY + timedelta(days=day)).replace(hour=hh, minute=mm)
        self.clock.set(local)

    def show(self, who: str, typed: str, actions: list[Action]) -> None:
        stamp = self.clock.now().astimezone(self.tz).strftime("%a %H:%M")
        self.say(f"{stamp}  {who}: {typed}")
        for a in actions:
            if isinstance(a, Reply):
                body = render_roster(a.view, self.tz) if a.view else a.text
                for line in body.splitlines():
                    self.say(f"           → {line}")

    async def cmd(self, who: str, typed: str, channel: str | None = "evening-a") -> None:
        self.show(who, typed, await self.chat.send(who, typed, channel=channel))

    async def room(self, who: str, action: str) -> None:
        await self.chat.presence(
            source="zoom",
            room_id=ROOM,
            identity=Identity(email=f"{who}@example.org"),
            action=action,
            stream=f"zoom-{who}",
        )
        stamp = self.clock.now().astimezone(self.tz).strftime("%a %H:%M")
        self.say(f"{stamp}  [zoom] {who} {action.replace('_', ' ')}")

    async def end(self, day: int) -> None:
        local = (MONDAY + timedelta(days=day)).replace(hour=18)
        sid = f"evening-a-{local:%Y%m%d-%H%M}"
        self.at(day, 21, 5)
        await self.engine.end_session(sid, actor_id="system")
        self.say(f"{self.clock.now().astimezone(self.tz):%a %H:%M}  session {sid} ended")
        self.say()

    async def run(self) -> None:
        config = Config(program=self.program, people=CAST, groups=(GROUP,))
        await seed(self.store, config, self.clock.now())
        await materialize(self.store, config, self.clock.now())
        self.say(f"rollcall demo — {GROUP.name}, Mon/Wed/Thu 6–9 PM ({TZ}), on a fake clock")
        self.say("Presence comes from a simulated Zoom room; chat through the in-memory adapter.")
        self.say()

        self.say("— Sunday —")
        await self.cmd("p-004", "/absent mon family visit", channel=None)
        self.say()

        self.say("— Monday: a reconnect, a late arrival, an early leave, an advance notice —")
        self.at(0, 17, 50)
        await self.cmd("p-001", "/checkin")
        self.at(0, 17, 58)
        await self.room("p-001", "join")
        await self.room("p-003", "join")
        self.at(0, 18, 0)
        await self.cmd("p-003", "/checkin")
        await self.cmd("p-001", "/checkin")
        self.at(0, 18, 25)
        await self.room("p-002", "join")
        await self.cmd("p-002", "/checkin running late, sorry")
        self.at(0, 19, 0)
        await self.room("p-001", "leave")
        self.at(0, 19, 1)
        await self.room("p-001", "join")
        self.at(0, 19, 30)
        await self.room("p-003", "leave")
        self.at(0, 19, 45)
        await self.cmd("p-002", "/roster")
        await self.cmd("f-001", "/roster")
        await self.end(0)

        self.say("— Wednesday: a late notice, a check-in never seen, an override —")
        self.at(2, 16, 0)
        await self.cmd("p-003", "/absent today not feeling up to it", channel=None)
        self.at(2, 17, 55)
        for who in ("p-001", "p-004"):
            await self.room(who, "join")
            await self.cmd(who, "/checkin")
        await self.room("p-004", "camera_on")
        self.at(2, 18, 5)
        await self.cmd("p-002", "/checkin")
        self.at(2, 19, 0)
        await self.cmd("f-001", "/roster")
        self.at(2, 20, 0)
        await self.room("p-004", "camera_off")
        await self.cmd("f-001", "/verify @p-002 present participation=medium joined by phone")
        await self.end(2)

        self.say("— Thursday: someone checks in twice; someone misses again —")
        self.at(3, 17, 50)
        for who in ("p-001", "p-003", "p-004"):
            await self.room(who, "join")
            await self.cmd(who, "/checkin")
        self.at(3, 17, 52)
        await self.cmd("p-001", "/checkin")
        self.at(3, 18, 30)
        await self.cmd("p-001", "/attendance", channel=None)
        await self.end(3)

        self.at(4, 9, 0)
        await self.cmd("p-002", "/attendance", channel=None)
        self.say()
        rows = await self.engine.report_rows()
        self.say("— The week's report —")
        self.say(render("table", rows, self.tz))
        self.say("— The same, as the billing CSV —")
        self.say(render("csv", rows, self.tz))


async def run_demo(config: Config | None = None, out: TextIO | None = None) -> int:
    await Demo(out or sys.stdout).run()
    return 0
