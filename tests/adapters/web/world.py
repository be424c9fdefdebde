"""A program with two weeks of attendance for the dashboard tests, on a real SQLite file.

Group A (f-001): Jordan attends everything; Morgan missed this Monday and Wednesday
(two in a row, 60 % over 14 days, 9 h out of reach); Kendall missed Wednesday (6 h at
most this week). Group B (f-002): Avery, whom f-001 must never see. "Now" is Wednesday
22:00 in New York, after Wednesday's group; Thursday's is still to come.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from adapters.memory import MemoryAdapter
from adapters.web.adapter import DashboardAdapter
from bot.config import Config, load_config
from bot.core.clock import FakeClock
from bot.core.domain import Session
from bot.core.events import Actor, SurveySubmitted
from bot.shell.app import App, build_dashboard, open_app

TZ_NAME = "America/New_York"
TZ = ZoneInfo(TZ_NAME)
THIS_MONDAY = datetime(2026, 11, 30, 18, tzinfo=TZ)
NOW = THIS_MONDAY + timedelta(days=2, hours=4)  # Wednesday 22:00

CONFIG = """\
people = [
    {{ id = "f-001", display_name = "Dr. Rivera", role = "facilitator" }},
    {{ id = "f-002", display_name = "Dr. Shah", role = "facilitator" }},
    {{ id = "a-001", display_name = "Coordinator Lee", role = "admin" }},
    {{ id = "p-001", display_name = "Jordan" }},
    {{ id = "p-002", display_name = "Morgan" }},
    {{ id = "p-003", display_name = "Avery" }},
    {{ id = "p-004", display_name = "Kendall <b>K</b>" }},
]
groups = [
    {{ id = "ga", name = "Evening Group A", facilitators = ["f-001"], participants = [
        "p-001", "p-002", "p-004"] }},
    {{ id = "gb", name = "Group B", facilitators = ["f-002"], participants = ["p-003"] }},
]

[storage]
url = "sqlite:///db.sqlite"

[server]
host = "127.0.0.1"
port = {port}
public_url = "http://127.0.0.1:{port}"
dashboard_secret = "test-secret-0123456789"

[program]
name = "Test IOP"
timezone = "{tz}"
"""

#: who attends which session: (week offset, weekday offset) -> people present
ATTENDS = {
    (-1, 0): {"p-001", "p-002", "p-004", "p-003"},
    (-1, 2): {"p-001", "p-002", "p-004", "p-003"},
    (-1, 3): {"p-001", "p-002", "p-004"},
    (0, 0): {"p-001", "p-004"},
    (0, 2): {"p-001"},
}


#: how helpful each found the group (1–5); Kendall's drops this week
RATINGS = {"p-001": 5, "p-002": 3, "p-004": 4, "p-003": 4}


@dataclass(kw_only=True)
class World:
    app: App
    clock: FakeClock
    chat: MemoryAdapter
    dashboard: DashboardAdapter
    config: Config
    config_path: Path
    sessions: dict[tuple[str, int, int], Session]
    thursday: Session


async def build_world(tmp: Path, port: int) -> World:
    path = tmp / "config.toml"
    path.write_text(CONFIG.format(port=port, tz=TZ_NAME))
    config = load_config(str(path))
    clock = FakeClock(THIS_MONDAY - timedelta(days=8))
    app = await open_app(config, clock=clock)
    chat = MemoryAdapter(engine=app.engine)
    sessions: dict[tuple[str, int, int], Session] = {}
    for (week, day), present in sorted(ATTENDS.items()):
        for gid in ("ga", "gb"):
            start = THIS_MONDAY + timedelta(weeks=week, days=day)
            s = await app.engine.create_session(
                group_id=gid, start=start, minutes=180, actor_id="test"
            )
            sessions[(gid, week, day)] = s
            clock.set(start - timedelta(minutes=5))
            members = {"ga": ("p-001", "p-002", "p-004"), "gb": ("p-003",)}[gid]
            for pid in members:
                if pid in present:
                    await chat.send(pid, "/checkin", channel=gid)
            clock.set(start + timedelta(minutes=180))
            await app.engine.end_session(s.id, actor_id="test")
            for pid in sorted(present & set(members)):
                rating = RATINGS.get(pid, 4) - (week == 0 and pid == "p-004")
                await app.engine.handle(
                    SurveySubmitted(
                        actor=Actor(platform="console", user_id=pid),
                        session_id=s.id,
                        answers=(("attended", "yes"), ("helpful", str(rating))),
                        at=clock.now(),
                        request_id=f"survey-{s.id}-{pid}",
                    )
                )
    thursday = await app.engine.create_session(
        group_id="ga", start=THIS_MONDAY + timedelta(days=3), minutes=180, actor_id="test"
    )
    clock.set(NOW)
    dashboard = build_dashboard(config, app.engine, clock)
    assert isinstance(dashboard, DashboardAdapter)
    return World(
        app=app,
        clock=clock,
        chat=chat,
        dashboard=dashboard,
        config=config,
        config_path=path,
        sessions=sessions,
        thursday=thursday,
    )


async def link_for(world: World, person_id: str) -> str:
    """What /dashboard sends by DM: the one-time link."""
    from bot.core.actions import DirectMessage

    actions = await world.chat.send(person_id, "/dashboard")
    (dm,) = [a for a in actions if isinstance(a, DirectMessage)]
    return dm.text.split()[-1]
