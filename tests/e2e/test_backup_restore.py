"""`rollcall backup FILE` while a storm of check-ins is being written, `rollcall restore
FILE` into another place, and `rollcall audit verify` on what came back: every check-in
acknowledged before the backup began is in it, and the hash chains hold. A restore
refuses while a bot runs on the target, and refuses a backup whose chains are broken.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import shutil
import sqlite3
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from bot.config import parse_config
from bot.core.clock import FakeClock
from bot.shell.app import build_adapters, open_app
from bot.shell.web import bound_port, make_web_app, start_server
from tests.adapters.slack.harness import NOW, SECRET
from tests.conftest import scan_child_logs
from tests.e2e.conftest import CONFIG_NAME, DB_NAME, Cli, assert_ok, child_env, db_rows
from tests.e2e.test_run_server import rollcall_run
from tests.fakes.slack import FORM, FakeSlack, command_body, signed_headers

PEOPLE = 200
FIRST_WAVE = 20

CONFIG = """
[storage]
url = "sqlite:///{db}"
[slack]
enabled = true
bot_token = "xoxb-test"
signing_secret = "{secret}"
api_base_url = "{api}"
[program]
name = "Evening IOP"
timezone = "America/New_York"
[[groups]]
id = "evening-a"
name = "Evening Group A"
schedule = {{ rrule = "FREQ=DAILY", start = "18:00", minutes = 180 }}
facilitators = ["f-001"]
participants = [{participants}]
slack_channel = "C0001"
[[people]]
id = "f-001"
display_name = "Dr. R."
role = "facilitator"
slack_user_id = "U0F001"
"""


def config_text(db: Path, api: str) -> str:
    ids = [f"p-{i:03d}" for i in range(PEOPLE)]
    people = "".join(
        f'[[people]]\nid = "{pid}"\ndisplay_name = "Person {i}"\nslack_user_id = "U{1000 + i}"\n'
        for i, pid in enumerate(ids)
    )
    text = CONFIG.format(
        db=db, secret=SECRET, api=api, participants=", ".join(f'"{p}"' for p in ids)
    )
    return text + people


@contextlib.asynccontextmanager
async def slack_bot(directory: Path) -> AsyncIterator[str]:
    """The bot as `rollcall run` wires Slack (HTTP mode) on a SQLite file; its events URL."""
    fake = await FakeSlack().start()
    (directory / CONFIG_NAME).write_text(config_text(directory / DB_NAME, fake.api_url))
    config = parse_config((directory / CONFIG_NAME).read_text(), {})
    app = await open_app(config, clock=FakeClock(NOW))
    (adapter,) = build_adapters(config, app.engine)
    web_app = make_web_app(app.store)
    adapter.add_routes(web_app)
    runner = await start_server(web_app, "127.0.0.1", 0)
    await adapter.start()
    try:
        yield f"http://127.0.0.1:{bound_port(runner)}/slack/events"
    finally:
        await adapter.stop()
        await runner.cleanup()
        await app.close()
        await fake.close()


async def checkin(http: aiohttp.ClientSession, url: str, i: int) -> float:
    """One signed /checkin; the monotonic time its acknowledgement arrived."""
    body = command_body("/checkin", "", user_id=f"U{1000 + i}", channel_id="C0001")
    headers = signed_headers(SECRET, body, content_type=FORM)
    async with http.post(url, data=io.BytesIO(body.encode()), headers=headers) as resp:
        assert resp.status == 200
        answer = await resp.json()
    assert answer["text"].startswith("You're checked in"), answer
    return time.monotonic()


def checked_in(db: Path) -> set[str]:
    rows = db_rows(db, "SELECT person_id FROM ledger WHERE kind = 'checkin'")
    return {r[0] for r in rows}


async def rollcall(directory: Path, *args: str) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.shell.cli",
        "--config",
        str(directory / CONFIG_NAME),
        *args,
        cwd=directory,
        env=child_env(),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    scan_child_logs(f"rollcall {args[0]}", err)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


@pytest.mark.timeout(300)
async def test_backup_mid_storm_then_restore_keeps_every_acknowledged_checkin(
    tmp_path: Path,
) -> None:
    live, elsewhere = tmp_path / "live", tmp_path / "elsewhere"
    live.mkdir()
    elsewhere.mkdir()
    backup = tmp_path / "backup.db"
    async with slack_bot(live) as url, aiohttp.ClientSession() as http:
        acked = await asyncio.gather(*(checkin(http, url, i) for i in range(FIRST_WAVE)))
        began = time.monotonic()
        backing_up = asyncio.create_task(rollcall(live, "backup", str(backup)))
        # the storm goes on, a few at a time, while the backup runs; the rest after it
        rest = iter(range(FIRST_WAVE, PEOPLE))
        while not backing_up.done():
            wave = [i for _, i in zip(range(4), rest, strict=False)]
            if not wave:
                break
            acked += await asyncio.gather(*(checkin(http, url, i) for i in wave))
        code, out, err = await backing_up
        acked += await asyncio.gather(*(checkin(http, url, i) for i in rest))
    assert code == 0, err
    assert "hash chains intact" in out
    before_backup = {f"p-{i:03d}" for i, t in enumerate(acked) if t < began}
    assert len(before_backup) >= FIRST_WAVE
    assert before_backup <= checked_in(backup) <= checked_in(live / DB_NAME)
    assert len(checked_in(live / DB_NAME)) == PEOPLE  # nothing acknowledged was lost

    # restore the backup into a fresh place: the same config, another database file
    shutil.copy(live / CONFIG_NAME, elsewhere / CONFIG_NAME)
    conf = elsewhere / CONFIG_NAME
    conf.write_text(conf.read_text().replace(str(live / DB_NAME), str(elsewhere / DB_NAME)))
    code, out, err = await rollcall(elsewhere, "restore", str(backup))
    assert code == 0, err
    assert "hash chains intact" in out
    assert before_backup <= checked_in(elsewhere / DB_NAME)
    assert checked_in(elsewhere / DB_NAME) == checked_in(backup)
    verified = assert_ok(Cli(config=conf, cwd=elsewhere).run("audit", "verify"))
    assert verified.stdout.startswith("ok: ledger")


@pytest.mark.timeout(300)
async def test_restore_refuses_while_a_bot_runs_and_refuses_broken_chains(
    config_dir: Path, tmp_path: Path
) -> None:
    cli = Cli(config=config_dir / CONFIG_NAME, cwd=config_dir)
    assert_ok(cli.run("db", "upgrade"))
    assert_ok(cli.run("session", "create", "--group", "adhoc", "--start", "2026-05-05T18:00",
                      "--minutes", "60"))  # fmt: skip
    backup = tmp_path / "b.db"
    assert_ok(cli.run("backup", str(backup)))

    async with rollcall_run(config_dir) as running:
        code, out, err = await rollcall(config_dir, "restore", str(backup))
        assert code != 0 and out == ""
        assert "a rollcall process is running on this database; stop it first" in err
        assert "Traceback" not in err
        running.proc.terminate()
        await running.proc.wait()

    # a backup whose ledger was altered is refused whole; the database stays as it was
    con = sqlite3.connect(backup)
    with con:
        con.execute("UPDATE audit SET actor_id = 'mallory' WHERE seq = 1")
    con.close()
    before = db_rows(cli.db, "SELECT count(*) FROM audit")
    code, out, err = await rollcall(config_dir, "restore", str(backup))
    assert code != 0 and "hash chains are broken; nothing was restored" in err, err
    assert db_rows(cli.db, "SELECT count(*) FROM audit") == before

    # anything but a SQLite file is refused with one line
    (tmp_path / "notes.txt").write_text("hello")
    code, _, err = await rollcall(config_dir, "restore", str(tmp_path / "notes.txt"))
    notes = tmp_path / "notes.txt"
    assert code != 0
    assert err.strip() == f"rollcall: {notes} is not a SQLite database (a rollcall backup)"


def test_on_postgresql_backup_and_restore_print_the_commands(tmp_path: Path) -> None:
    conf = tmp_path / CONFIG_NAME
    conf.write_text(
        '[storage]\nurl = "postgresql://rollcall:s3cret-pw@db.internal:5433/rollcall"\n'
    )
    cli = Cli(config=conf, cwd=tmp_path)
    backup = cli.run("backup", "nightly.dump")
    assert backup.returncode == 2, str(backup)
    assert "use pg_dump" in backup.stderr
    assert backup.stdout.startswith("pg_dump --format=custom --no-owner --file=nightly.dump ")
    assert "postgresql://rollcall@db.internal:5433/rollcall" in backup.stdout
    restore = cli.run("restore", "nightly.dump")
    assert restore.returncode == 2
    assert restore.stdout.startswith("pg_restore --clean --if-exists --no-owner")
    assert "s3cret-pw" not in backup.stdout + backup.stderr + restore.stdout + restore.stderr
