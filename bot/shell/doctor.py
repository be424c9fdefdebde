"""`rollcall doctor`: everything a launch needs, checked before the launch.

The config (every ``${VAR}`` set, every key valid); the database (reachable, migrated
to head); each enabled platform's token against its own `api_base_url` (Slack
``auth.test``, Discord ``GET /users/@me``) and each bound channel visible to the bot;
schedules that still produce sessions. One line per finding — a problem says how to
fix it — and exit 1 when there is any problem. Tokens and names are never printed.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp

from bot.config import Config, ConfigError, load_config
from bot.core.calendar import occurrences
from bot.core.errors import UserError
from bot.core.logging_policy import describe

TIMEOUT = aiohttp.ClientTimeout(total=10)


@dataclass(frozen=True, slots=True)
class Finding:
    area: str
    message: str
    fix: str = ""  # empty: all is well

    @property
    def ok(self) -> bool:
        return not self.fix

    def line(self) -> str:
        if self.ok:
            return f"ok       {self.area}: {self.message}"
        return f"PROBLEM  {self.area}: {self.message} — fix: {self.fix}"


def _config_fix(problem: str, path: str) -> str:
    if "environment variable" in problem and "is not set" in problem:
        name = problem.split("environment variable", 1)[1].split()[0]
        return f"set {name} in the environment (the systemd EnvironmentFile or compose .env)"
    return f"edit {path}"


async def check(path: str, env: Mapping[str, str] | None = None) -> list[Finding]:
    try:
        config = await asyncio.to_thread(load_config, path, env)
    except ConfigError as e:
        problems = [p.strip() for p in e.errors]
        return [Finding("config", p, _config_fix(p, path)) for p in problems]
    findings = [Finding("config", f"{path} is valid")]
    findings += await _database(config)
    findings += list(_schedules(config))
    async with aiohttp.ClientSession(timeout=TIMEOUT) as http:
        if config.slack.enabled:
            findings += await _slack(config, http)
        if config.discord.enabled:
            findings += await _discord(config, http)
    if config.zoom.enabled:
        findings.append(Finding("zoom", "webhook secret set (Zoom checks the URL when saved)"))
    return findings


async def _database(config: Config) -> list[Finding]:
    url = config.storage_url
    if url == "memory://":
        return [Finding("database", "in memory (nothing is kept after a stop)")]
    from storage.backup import sqlite_path
    from storage.cipher import KEY_ENV
    from storage.migrate import current_revision, head_revision

    db = sqlite_path(url)
    if db is not None:
        problem = await asyncio.to_thread(_sqlite_file, db)
        if problem is not None:
            return [problem]
    try:
        async with asyncio.timeout(15):
            current = await current_revision(url)
    except UserError as e:  # the key and the file don't fit (storage.cipher)
        return [Finding("database", str(e), f"check {KEY_ENV} (see docs/SECURITY.md)")]
    except Exception as e:
        return [
            Finding(
                "database",
                f"cannot reach it ({describe(e).split(' at ')[0]})",
                "check [storage] url, that the server runs and accepts this user",
            )
        ]
    head = head_revision()
    if current != head:
        return [
            Finding(
                "database",
                f"at migration {current or 'none'}, this version needs {head}",
                "run: rollcall db upgrade",
            )
        ]
    return [Finding("database", f"reachable, migrated to {head}")]


def _sqlite_file(db: str) -> Finding | None:
    folder = os.path.dirname(os.path.abspath(db))
    if not os.path.isdir(folder) or not os.access(folder, os.W_OK):
        fix = "create the directory and give the rollcall user write access"
        return Finding("database", f"cannot write in {folder}", fix)
    if not os.path.exists(db):
        return Finding("database", f"{db} does not exist yet", "run: rollcall db upgrade")
    return None


def _schedules(config: Config) -> Iterator[Finding]:
    now = datetime.now(UTC)
    for group in config.groups:
        if group.schedule is None:
            continue
        try:
            ahead = occurrences(group, config.program.timezone, now, now + timedelta(days=400))
        except Exception as e:
            yield Finding(
                "schedule",
                f"group {group.id}: the rule fails ({type(e).__name__})",
                f"fix groups[id={group.id}].schedule.rrule (RFC 5545 RRULE)",
            )
            continue
        if not ahead:
            yield Finding(
                "schedule",
                f"group {group.id}: no session in the next 400 days",
                "check the rule's UNTIL/COUNT, or remove the schedule",
            )
    yield Finding("time zones", f"program in {config.program.timezone}; schedules checked")


async def _get_json(
    http: aiohttp.ClientSession, method: str, url: str, headers: Mapping[str, str]
) -> tuple[int, Any]:
    async with http.request(method, url, headers=dict(headers)) as resp:
        try:
            body = await resp.json(content_type=None)
        except ValueError:
            body = None
        return resp.status, body


async def _slack(config: Config, http: aiohttp.ClientSession) -> list[Finding]:
    api = config.slack.api_base_url
    auth = {"Authorization": f"Bearer {config.slack.bot_token}"}
    try:
        status, body = await _get_json(http, "POST", f"{api}auth.test", auth)
    except (aiohttp.ClientError, TimeoutError) as e:
        return [
            Finding(
                "slack",
                f"cannot reach {api} ({type(e).__name__})",
                "check [slack] api_base_url and the server's outbound HTTPS",
            )
        ]
    if status != 200 or not isinstance(body, dict) or not body.get("ok"):
        error = body.get("error") if isinstance(body, dict) else f"HTTP {status}"
        return [
            Finding(
                "slack",
                f"the bot token was refused ({error})",
                "copy the app's Bot User OAuth Token (xoxb-…) into SLACK_BOT_TOKEN; reinstall "
                "the app if it was revoked",
            )
        ]
    out = [Finding("slack", f"token valid (bot {body.get('user_id', '?')})")]
    for group in config.groups:
        if not group.slack_channel:
            continue
        url = f"{api}conversations.info?channel={group.slack_channel}"
        try:
            _, info = await _get_json(http, "GET", url, auth)
        except (aiohttp.ClientError, TimeoutError) as e:
            info = {"error": type(e).__name__}
        channel = info.get("channel") if isinstance(info, dict) else None
        where = f"group {group.id}: channel {group.slack_channel}"
        if not isinstance(info, dict) or not info.get("ok") or not isinstance(channel, dict):
            error = info.get("error") if isinstance(info, dict) else "no answer"
            out.append(
                Finding(
                    "slack",
                    f"{where} is not visible to the bot ({error})",
                    "check the channel id, then /invite the bot in that channel",
                )
            )
        elif channel.get("is_member") is False:
            out.append(Finding("slack", f"{where}: the bot is not a member", "/invite the bot"))
        else:
            out.append(Finding("slack", f"{where} visible"))
    return out


async def _discord(config: Config, http: aiohttp.ClientSession) -> list[Finding]:
    api = config.discord.api_base_url
    auth = {"Authorization": f"Bot {config.discord.token}"}
    try:
        status, body = await _get_json(http, "GET", f"{api}/users/@me", auth)
    except (aiohttp.ClientError, TimeoutError) as e:
        return [
            Finding(
                "discord",
                f"cannot reach {api} ({type(e).__name__})",
                "check [discord] api_base_url and the server's outbound HTTPS",
            )
        ]
    if status != 200 or not isinstance(body, dict):
        return [
            Finding(
                "discord",
                f"the bot token was refused (HTTP {status})",
                "reset the token in the Developer Portal (Bot tab) and put it in DISCORD_TOKEN",
            )
        ]
    out = [Finding("discord", f"token valid (bot {body.get('id', '?')})")]
    for group in config.groups:
        for kind, channel_id in (
            ("text", group.discord_text_channel_id),
            ("voice", group.discord_voice_channel_id),
        ):
            if not channel_id:
                continue
            where = f"group {group.id}: {kind} channel {channel_id}"
            try:
                status, _ = await _get_json(http, "GET", f"{api}/channels/{channel_id}", auth)
            except (aiohttp.ClientError, TimeoutError) as e:
                status = 0
                where += f" ({type(e).__name__})"
            if status == 200:
                out.append(Finding("discord", f"{where} visible"))
            else:
                out.append(
                    Finding(
                        "discord",
                        f"{where} is not visible to the bot (HTTP {status})",
                        "check the id; invite the bot to the server and give its role "
                        "View Channel (and Connect for voice) there",
                    )
                )
    return out
