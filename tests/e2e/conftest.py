"""Shared fixtures for the end-to-end tests of the real surfaces (CLI, console, server, demo).

- `write_config(dir)` writes the e2e cast (tests/fakes/casts.py: a facilitator, an admin,
  eight participants and two groups without a schedule, ad-hoc sessions only), a SQLite
  file `db.sqlite` relative to the config's directory and `[server] port = 0`.
- `Cli` runs `python -m bot.shell.cli` (or the installed `rollcall` script) as a subprocess with a
  timeout; `Cli.run_all` runs independent invocations concurrently, since each start-up
  costs most of a second.
- `scenario_site` is a directory with that config and a database holding one ended session
  of the "adhoc" group driven through the engine in-process (see `build_scenario`).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from adapters.memory import MemoryAdapter
from bot.config import Config, parse_config
from bot.core.clock import FakeClock
from bot.core.events import Identity
from bot.shell.app import open_app
from tests.conftest import scan_child_logs
from tests.fakes.casts import E2E_GROUP, E2E_OTHER_GROUP, e2e_cast

TZ_NAME = "America/New_York"
TZ = ZoneInfo(TZ_NAME)
CONFIG_NAME = "config.toml"
DB_NAME = "db.sqlite"
GROUP = E2E_GROUP
OTHER_GROUP = E2E_OTHER_GROUP
TIMEOUT = 30.0
ROLLCALL_SCRIPT = Path(sys.executable).with_name("rollcall")


def write_config(
    directory: Path, *, storage_url: str = f"sqlite:///{DB_NAME}", port: int = 0
) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / CONFIG_NAME
    path.write_text(e2e_cast(storage_url=storage_url, port=port), encoding="utf-8")
    return path


def child_env(**extra: str) -> dict[str, str]:
    """The environment for a child process: ours, without a ROLLCALL_CONFIG or a database
    key of our own (a test that wants one passes it)."""
    env = {k: v for k, v in os.environ.items() if k not in ("ROLLCALL_CONFIG", "ROLLCALL_DB_KEY")}
    env.update(extra)
    return env


@dataclass(frozen=True, slots=True, kw_only=True)
class Result:
    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    @property
    def out_lines(self) -> list[str]:
        return self.stdout.splitlines()

    @property
    def err_lines(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if line.strip()]

    def __str__(self) -> str:
        return (
            f"rollcall {' '.join(self.args)} -> {self.returncode}\n"
            f"--- stdout ---\n{self.stdout}--- stderr ---\n{self.stderr}"
        )


def assert_clean(r: Result) -> None:
    """No traceback, anywhere."""
    assert "Traceback" not in r.stdout, str(r)
    assert "Traceback" not in r.stderr, str(r)


def assert_ok(r: Result) -> Result:
    assert r.returncode == 0, str(r)
    assert_clean(r)
    return r


def assert_user_error(r: Result, *needles: str) -> str:
    """Non-zero exit, nothing on stdout, exactly one line on stderr that says what is wrong."""
    assert r.returncode != 0, str(r)
    assert_clean(r)
    assert r.stdout == "", str(r)
    assert len(r.err_lines) == 1, str(r)
    line = r.err_lines[0]
    assert line.startswith("rollcall: "), str(r)
    for needle in needles:
        assert needle in line, str(r)
    return line


@dataclass(frozen=True, slots=True, kw_only=True)
class Cli:
    """`rollcall` against one config, run as a real subprocess."""

    config: Path | None
    cwd: Path
    env: dict[str, str] | None = None
    script: bool = False  # the installed console script instead of `python -m bot.shell.cli`

    def argv(self, args: Sequence[str]) -> list[str]:
        head = [str(ROLLCALL_SCRIPT)] if self.script else [sys.executable, "-m", "bot.shell.cli"]
        conf = ["--config", str(self.config)] if self.config is not None else []
        return [*head, *conf, *args]

    def run(self, *args: str, stdin: str | None = None, timeout: float = TIMEOUT) -> Result:
        done = subprocess.run(
            self.argv(args),
            cwd=self.cwd,
            env=self.env if self.env is not None else child_env(),
            input=stdin if stdin is not None else "",
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        scan_child_logs(f"rollcall {' '.join(args[:2])}", done.stderr)
        return Result(
            args=tuple(args), returncode=done.returncode, stdout=done.stdout, stderr=done.stderr
        )

    def run_all(self, *calls: Sequence[str]) -> list[Result]:
        """Independent invocations, concurrently; results in the order given."""
        return parallel(*(lambda args=args: self.run(*args) for args in calls))

    @property
    def db(self) -> Path:
        assert self.config is not None
        return self.config.parent / DB_NAME


def parallel(*thunks: Callable[[], Result]) -> list[Result]:
    """Run independent subprocess invocations concurrently; results in the order given."""
    with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2)) as pool:
        return list(pool.map(lambda thunk: thunk(), thunks))


def db_rows(db: Path, sql: str, *params: object) -> list[tuple[Any, ...]]:
    con = sqlite3.connect(db)
    try:
        return list(con.execute(sql, params))
    finally:
        con.close()


def db_rows_write(db: Path, sql: str, *params: object) -> None:
    """Change the database behind rollcall's back (to play the tamperer)."""
    con = sqlite3.connect(db)
    try:
        con.execute(sql, params)
        con.commit()
    finally:
        con.close()


SNAPSHOT_TABLES = (
    "people",
    "groups",
    "enrollments",
    "sessions",
    "ledger",
    "ledger_notes",
    "audit",
    "chain_heads",
    "attendance_records",
)


def db_snapshot(db: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table we own, in a stable order."""
    return {t: sorted(db_rows(db, f"SELECT * FROM {t}"), key=repr) for t in SNAPSHOT_TABLES}


# -- the scenario ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Scenario:
    day: date  # the local date of the session (a Tuesday two weeks before this week)
    session_id: str

    def at(self, hh: int, mm: int = 0, ss: int = 0, *, days: int = 0) -> datetime:
        """A local wall-clock time on the session's day (or `days` after it)."""
        return datetime.combine(self.day + timedelta(days=days), time(hh, mm, ss), tzinfo=TZ)

    def iso(self, hh: int, mm: int = 0, ss: int = 0) -> str:
        """What the report prints for that time: ISO 8601 with the program's UTC offset."""
        return self.at(hh, mm, ss).isoformat(timespec="seconds")

    @property
    def iso_week(self) -> str:
        y, w, _ = self.day.isocalendar()
        return f"{y}-W{w:02d}"


def scenario_day(today: date | None = None) -> date:
    today = today or datetime.now(TZ).date()
    return today - timedelta(days=today.weekday() + 14) + timedelta(days=1)


async def build_scenario(config: Config) -> Scenario:
    """One 60-minute session of "adhoc" at 18:00 local, driven through the engine in-process
    on a fake clock with the in-memory adapter (console presence: room id = group id):

    p-001 checks in 17:55, joins 17:56, camera 18:00-18:10, drops 18:20, back 18:21:30
          (a 90 s gap: merged), in the room until the end;
    p-002 never checks in, joins late 18:12, leaves early 18:40;
    p-003 checks in 18:11, joins 18:11:30, stays to the end (48.5 min: rounds up to 49);
    p-004 sends /absent 30 h ahead (excused), p-005 2 h ahead (late notice);
    p-006 checks in 18:02 and is never seen; the facilitator verifies them as partial;
    p-007 does nothing. The facilitator views the roster at 18:55; the session ends at 19:05;
    then the facilitator enrolls p-008 in the other group from chat.
    """
    day = scenario_day()
    start = datetime.combine(day, time(18, 0), tzinfo=TZ)
    clock = FakeClock(start - timedelta(days=2))
    app = await open_app(config, clock=clock)
    try:
        session = await app.engine.create_session(
            group_id=GROUP, start=start, minutes=60, actor_id="a-001"
        )
        scenario = Scenario(day=day, session_id=session.id)
        chat = MemoryAdapter(engine=app.engine)

        def at(hh: int, mm: int = 0, ss: int = 0, days: int = 0) -> None:
            clock.set(scenario.at(hh, mm, ss, days=days))

        async def say(who: str, text: str, channel: str | None = GROUP) -> str:
            return "\n".join(
                getattr(a, "text", "") for a in await chat.send(who, text, channel=channel)
            )

        async def room(who: str, action: str) -> None:
            await chat.presence(
                source="console",
                room_id=GROUP,
                identity=Identity(platform_user_id=who),
                action=action,
                stream=f"console-{who}",
            )

        at(12, days=-1)
        assert "excused" in await say("p-004", "/absent family visit", channel=None)
        at(16)
        assert "less than 24 hours" in await say("p-005", "/absent feeling unwell", channel=None)
        at(17, 55)
        assert "checked in" in await say("p-001", "/checkin")
        at(17, 56)
        await room("p-001", "join")
        at(18, 0)
        await room("p-001", "camera_on")
        at(18, 2)
        assert "checked in" in await say("p-006", "/checkin on my phone today")
        at(18, 10)
        await room("p-001", "camera_off")
        at(18, 11)
        assert "checked in" in await say("p-003", "/checkin")
        at(18, 11, 30)
        await room("p-003", "join")
        at(18, 12)
        await room("p-002", "join")
        at(18, 20)
        await room("p-001", "leave")
        at(18, 21, 30)
        await room("p-001", "join")
        at(18, 40)
        await room("p-002", "leave")
        at(18, 50)
        reply = await say(
            "f-001", "/verify @p-006 partial participation=low left the call early", None
        )
        assert "Recorded Casey as partial" in reply
        at(18, 55)
        assert "Roster" in await say("f-001", "/roster", channel=None)
        at(19, 5)
        await app.engine.end_session(session.id, actor_id="f-001")
        at(19, 10)
        assert "Enrolled Sage" in await say("f-001", f"/enroll @p-008 {OTHER_GROUP}", None)
        return scenario
    finally:
        await app.close()


@dataclass(frozen=True, slots=True, kw_only=True)
class Site:
    dir: Path
    config: Path
    scenario: Scenario

    @property
    def db(self) -> Path:
        return self.dir / DB_NAME

    def cli(self) -> Cli:
        return Cli(config=self.config, cwd=self.dir)

    def copy_to(self, target: Path) -> Site:
        target.mkdir(parents=True, exist_ok=True)
        for f in self.dir.iterdir():
            if f.is_file():
                shutil.copy2(f, target / f.name)
        return Site(dir=target, config=target / CONFIG_NAME, scenario=self.scenario)


@pytest.fixture(scope="module")
def scenario_template(tmp_path_factory: pytest.TempPathFactory) -> Site:
    """Built once per module; tests work on their own copy (`scenario_site`)."""
    directory = tmp_path_factory.mktemp("scenario")
    path = write_config(directory)
    config = parse_config(
        path.read_text(encoding="utf-8"), {}, source=str(path), base_dir=directory
    )
    scenario = asyncio.run(build_scenario(config))
    return Site(dir=directory, config=path, scenario=scenario)


@pytest.fixture
def scenario_site(scenario_template: Site, tmp_path: Path) -> Site:
    return scenario_template.copy_to(tmp_path / "site")


@pytest.fixture
def config_dir(tmp_path: Path) -> Iterator[Path]:
    """A fresh directory holding only `config.toml` (no database yet)."""
    write_config(tmp_path / "site")
    yield tmp_path / "site"
