"""Real `rollcall run` processes: the outbox delivered exactly once across processes,
a scheduler leader that is replaced when killed, and a SIGKILL between claim and send.

Messages go by SMS to the fake Twilio-compatible API (tests/fakes/sms.py), which
counts what it answered with 2xx (delivered) per phone number.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.conftest import scan_child_logs
from tests.fakes.casts import sms_crowd_cast
from tests.fakes.sms import FakeSms

SID = "AC0123"


def write_config(path: Path, storage: str, sms_base: str, people: int) -> Path:
    text = sms_crowd_cast(storage=storage, sms_base=sms_base, sms_sid=SID, people=people)
    path.write_text(text)
    return path


async def cli(config: Path, *args: str) -> str:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.shell.cli",
        "--config",
        str(config),
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    scan_child_logs(f"rollcall {args[0]}", err)
    assert proc.returncode == 0, err.decode()
    return out.decode()


class Bot:
    """`rollcall run` in a subprocess; stdin stays open so the console keeps running."""

    def __init__(self, config: Path, log: Path, env: dict[str, str]) -> None:
        self.config, self.log, self.env = config, log, env
        self.proc: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot.shell.cli",
            "--config",
            str(self.config),
            "run",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=self.log.open("wb"),
            env={**os.environ, **self.env},
        )

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    @property
    def leader(self) -> bool:
        return "this process is the scheduler leader" in self.text()

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)

    async def stop(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.proc.wait(), 15)
            except TimeoutError:
                self.proc.kill()
                await self.proc.wait()
        if self.proc is not None:
            scan_child_logs("rollcall run", self.text())


async def until(predicate: Callable[[], bool], limit: float, what: str) -> float:
    """Poll `predicate()` until true; returns the seconds it took."""
    start = asyncio.get_running_loop().time()
    while True:
        if predicate():
            return asyncio.get_running_loop().time() - start
        if asyncio.get_running_loop().time() - start > limit:
            raise AssertionError(f"timed out after {limit}s waiting for {what}")
        await asyncio.sleep(0.2)


def due_soon() -> str:
    # a session starting in 59 minutes: its "1h" reminders are due now
    return (datetime.now(UTC) + timedelta(minutes=59)).replace(microsecond=0).isoformat()


@pytest.mark.timeout(180)
async def test_two_processes_on_postgres_deliver_exactly_once_and_fail_over(
    request: pytest.FixtureRequest, tmp_path: Path, twilio: FakeSms
) -> None:
    fake, base = twilio, twilio.base_url
    pg_url: str = request.getfixturevalue("pg_url")
    config = write_config(tmp_path / "c.toml", pg_url, base, people=200)
    await cli(config, "db", "upgrade")
    await cli(config, "session", "create", "--group", "g", "--start", due_soon(), "--minutes", "60")
    env = {"ROLLCALL_TICK_SECONDS": "2"}
    bots = [Bot(config, tmp_path / f"bot{i}.log", env) for i in range(2)]
    try:
        for b in bots:
            await b.start()
        await until(lambda: sum(fake.delivered.values()) >= 200, 60, "200 deliveries")
        await asyncio.sleep(3)  # let any double delivery show up
        assert len(fake.delivered) == 200
        assert set(fake.delivered.values()) == {1}, "each person got exactly one reminder"
        await until(lambda: any(b.leader for b in bots), 10, "a leader")
        leader = next(b for b in bots if b.leader)
        other = next(b for b in bots if b is not leader)
        assert "scheduler not started here" in other.text()
        leader.kill()
        took = await until(lambda: other.leader, 30, "the other process to take over")
        assert took < 30
        # the new leader plans: a session created now gets its reminders
        fake.delivered.clear()
        await cli(
            config, "session", "create", "--group", "g2", "--start", due_soon(), "--minutes", "30"
        )
        await until(lambda: sum(fake.delivered.values()) >= 200, 60, "200 more deliveries")
        assert set(fake.delivered.values()) == {1}
    finally:
        for b in bots:
            await b.stop()


@pytest.mark.timeout(120)
async def test_sigkill_between_claim_and_send_delivers_exactly_once(
    tmp_path: Path, twilio: FakeSms
) -> None:
    fake, base = twilio, twilio.base_url
    config = write_config(tmp_path / "c.toml", "sqlite:///db.sqlite", base, people=1)
    await cli(config, "db", "upgrade")
    await cli(config, "session", "create", "--group", "g", "--start", due_soon(), "--minutes", "60")
    env = {"ROLLCALL_TICK_SECONDS": "1", "ROLLCALL_OUTBOX_LEASE_SECONDS": "3"}
    fake.hold = True
    first = Bot(config, tmp_path / "first.log", env)
    await first.start()
    try:
        await asyncio.wait_for(fake.got_request.wait(), 30)  # claimed, sending, no answer
        first.kill()
        assert first.proc is not None
        await first.proc.wait()
    finally:
        await first.stop()
    assert sum(fake.delivered.values()) == 0
    fake.hold = False
    fake.released.set()
    await asyncio.sleep(0.2)
    fake.delivered.clear()  # the hung request of the killed process does not count
    second = Bot(config, tmp_path / "second.log", env)
    await second.start()
    try:
        await until(lambda: sum(fake.delivered.values()) >= 1, 30, "the re-claimed message")
        await asyncio.sleep(3)
        assert sum(fake.delivered.values()) == 1
    finally:
        await second.stop()


async def test_a_second_process_on_the_same_sqlite_file_does_not_schedule(
    tmp_path: Path, twilio: FakeSms
) -> None:
    base = twilio.base_url
    config = write_config(tmp_path / "c.toml", "sqlite:///db.sqlite", base, people=1)
    await cli(config, "db", "upgrade")
    env = {"ROLLCALL_TICK_SECONDS": "1"}
    a, b = Bot(config, tmp_path / "a.log", env), Bot(config, tmp_path / "b.log", env)
    try:
        await a.start()
        await until(lambda: a.leader, 20, "the first process to lead")
        await b.start()
        await until(lambda: "scheduler not started here" in b.text(), 20, "the refusal")
        assert "already runs the scheduler for this SQLite database" in b.text()
        assert not b.leader
    finally:
        with contextlib.suppress(ProcessLookupError):
            await a.stop()
            await b.stop()
