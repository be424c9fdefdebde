"""`rollcall doctor` against local stand-ins for Slack's and Discord's APIs: one line per
finding, each problem with its fix, exit 1 when there is any; tokens never printed."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web

from bot.shell.web import bound_port
from tests.conftest import scan_child_logs
from tests.e2e.conftest import CONFIG_NAME, Cli, assert_ok, child_env

GOOD_SLACK, GOOD_DISCORD = "xoxb-good-7731", "discord-good-4410"

CONFIG = """
[storage]
url = "sqlite:///db.sqlite"
[slack]
enabled = true
bot_token = "${{SLACK_BOT_TOKEN}}"
signing_secret = "${{SLACK_SIGNING_SECRET}}"
api_base_url = "{base}/slack/api/"
[discord]
enabled = true
token = "${{DISCORD_TOKEN}}"
api_base_url = "{base}/discord/api/v10"
[program]
name = "Evening IOP"
timezone = "America/New_York"
[[people]]
id = "f-001"
display_name = "Dr. R."
role = "facilitator"
[[groups]]
id = "evening-a"
name = "Evening Group A"
schedule = {{ rrule = "FREQ=WEEKLY;BYDAY=MO", start = "18:00", minutes = 180 }}
facilitators = ["f-001"]
slack_channel = "{slack_channel}"
discord_guild_id = "1"
discord_text_channel_id = "2"
discord_voice_channel_id = "{voice}"
[[groups]]
id = "finished"
name = "A group that ended"
schedule = {{ rrule = "FREQ=WEEKLY;BYDAY=TU;UNTIL=20200101T000000", start = "18:00", minutes = 60 }}
facilitators = ["f-001"]
"""


def fake_platforms() -> web.Application:
    async def auth_test(request: web.Request) -> web.Response:
        if request.headers.get("Authorization") == f"Bearer {GOOD_SLACK}":
            return web.json_response({"ok": True, "user_id": "UBOT", "team_id": "T1"})
        return web.json_response({"ok": False, "error": "invalid_auth"})

    async def conversations_info(request: web.Request) -> web.Response:
        channel = request.query.get("channel")
        if channel == "C0001":
            return web.json_response({"ok": True, "channel": {"id": channel, "is_member": True}})
        if channel == "C0002":
            return web.json_response({"ok": True, "channel": {"id": channel, "is_member": False}})
        return web.json_response({"ok": False, "error": "channel_not_found"})

    async def me(request: web.Request) -> web.Response:
        if request.headers.get("Authorization") == f"Bot {GOOD_DISCORD}":
            return web.json_response({"id": "999", "username": "rollcall", "bot": True})
        return web.json_response({"message": "401: Unauthorized", "code": 0}, status=401)

    async def channel(request: web.Request) -> web.Response:
        if request.match_info["id"] in ("2", "3"):
            return web.json_response({"id": request.match_info["id"], "type": 0})
        return web.json_response({"message": "Missing Access", "code": 50001}, status=403)

    app = web.Application()
    app.router.add_post("/slack/api/auth.test", auth_test)
    app.router.add_get("/slack/api/conversations.info", conversations_info)
    app.router.add_get("/discord/api/v10/users/@me", me)
    app.router.add_get("/discord/api/v10/channels/{id}", channel)
    return app


@pytest.fixture
async def platforms() -> AsyncIterator[str]:
    runner = web.AppRunner(fake_platforms())
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        yield f"http://127.0.0.1:{bound_port(runner)}"
    finally:
        await runner.cleanup()


async def doctor(directory: Path, **env: str) -> tuple[int, list[str], str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.shell.cli",
        "--config",
        str(directory / CONFIG_NAME),
        "doctor",
        cwd=directory,
        env=child_env(**env),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    scan_child_logs("rollcall doctor", err)
    assert proc.returncode is not None
    assert "Traceback" not in out.decode() + err.decode()
    return proc.returncode, out.decode().splitlines(), err.decode()


def write(directory: Path, base: str, *, slack_channel: str = "C0001", voice: str = "3") -> None:
    text = CONFIG.format(base=base, slack_channel=slack_channel, voice=voice)
    (directory / CONFIG_NAME).write_text(text)


GOOD = {
    "SLACK_BOT_TOKEN": GOOD_SLACK,
    "SLACK_SIGNING_SECRET": "s",
    "DISCORD_TOKEN": GOOD_DISCORD,
}


@pytest.mark.timeout(300)
async def test_doctor_checks_config_database_tokens_channels_and_schedules(
    platforms: str, tmp_path: Path
) -> None:
    write(tmp_path, platforms)
    # an unset variable: one line naming it and where to set it; nothing else is tried
    code, lines, _ = await doctor(tmp_path, SLACK_BOT_TOKEN=GOOD_SLACK, DISCORD_TOKEN="x")
    assert code == 1
    (line,) = [x for x in lines if x.startswith("PROBLEM")]
    assert "slack.signing_secret: environment variable SLACK_SIGNING_SECRET is not set" in line
    assert "fix: set SLACK_SIGNING_SECRET in the environment" in line

    # no database yet, a schedule that never comes back
    code, lines, _ = await doctor(tmp_path, **GOOD)
    assert code == 1
    problems = [x for x in lines if x.startswith("PROBLEM")]
    assert problems == [
        f"PROBLEM  database: {tmp_path / 'db.sqlite'} does not exist yet — fix: run: "
        "rollcall db upgrade",
        "PROBLEM  schedule: group finished: no session in the next 400 days — fix: check the "
        "rule's UNTIL/COUNT, or remove the schedule",
    ]
    assert "ok       slack: token valid (bot UBOT)" in lines
    assert "ok       slack: group evening-a: channel C0001 visible" in lines
    assert "ok       discord: token valid (bot 999)" in lines
    assert "ok       discord: group evening-a: voice channel 3 visible" in lines

    # fixed: the database migrated, the finished group gone
    assert_ok(Cli(config=tmp_path / CONFIG_NAME, cwd=tmp_path, env=child_env(**GOOD)).run(
        "db", "upgrade"))  # fmt: skip
    text = (tmp_path / CONFIG_NAME).read_text()
    (tmp_path / CONFIG_NAME).write_text(text[: text.index('[[groups]]\nid = "finished"')])
    code, lines, _ = await doctor(tmp_path, **GOOD)
    assert code == 0, lines
    assert lines[-1] == "everything checked is ready"
    assert all(x.startswith("ok") for x in lines[:-1])


@pytest.mark.timeout(300)
async def test_doctor_names_refused_tokens_and_invisible_channels(
    platforms: str, tmp_path: Path
) -> None:
    write(tmp_path, platforms, slack_channel="C0404", voice="404")
    bad = {**GOOD, "SLACK_BOT_TOKEN": "xoxb-revoked", "DISCORD_TOKEN": "wrong-token-123"}
    code, lines, err = await doctor(tmp_path, **bad)
    assert code == 1
    problems = [x for x in lines if x.startswith("PROBLEM")]
    assert any("slack: the bot token was refused (invalid_auth)" in x for x in problems)
    assert any("discord: the bot token was refused (HTTP 401)" in x for x in problems)
    for line in problems:
        assert " — fix: " in line
    text = "\n".join(lines) + err
    assert "xoxb-revoked" not in text and "wrong-token-123" not in text

    code, lines, _ = await doctor(tmp_path, **GOOD)
    problems = [x for x in lines if x.startswith("PROBLEM")]
    assert any(
        "slack: group evening-a: channel C0404 is not visible to the bot (channel_not_found)"
        " — fix: check the channel id, then /invite the bot" in x
        for x in problems
    ), problems
    assert any(
        "discord: group evening-a: voice channel 404 is not visible to the bot (HTTP 403)" in x
        for x in problems
    ), problems

    # a platform that does not answer at all
    write(tmp_path, "http://127.0.0.1:9")
    code, lines, _ = await doctor(tmp_path, **GOOD)
    assert code == 1
    assert any(x.startswith("PROBLEM  slack: cannot reach http://127.0.0.1:9") for x in lines)
