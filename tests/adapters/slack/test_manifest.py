"""The app manifest offers every chat command the engine knows, and what the adapter needs."""

from __future__ import annotations

import re
from pathlib import Path

from bot.core.commands import COMMANDS, normalize

MANIFEST = Path(__file__).resolve().parents[3] / "slack_manifest.yaml"


def _manifest() -> str:
    return MANIFEST.read_text(encoding="utf-8")


def test_every_command_is_a_slash_command() -> None:
    commands = set(re.findall(r"^\s*- command: /(\S+)", _manifest(), re.MULTILINE))
    assert set(COMMANDS) - {"help"} <= commands  # Slack reserves /help: /rollcall
    assert {normalize(f"/{c}") for c in commands} == set(COMMANDS)
    # mentions arrive as <@U123|name> only with escaping on, for every command
    escaped = re.findall(r"^\s+should_escape: true$", _manifest(), re.MULTILINE)
    assert len(escaped) == len(commands)


def test_scopes_events_and_interactivity() -> None:
    text = _manifest()
    for needed in ("commands", "chat:write", "im:write", "im:history", "users:read"):
        assert f"- {needed} " in text or f"- {needed}\n" in text, needed
    for event in ("app_home_opened", "user_huddle_changed"):
        assert f"- {event}" in text
    assert re.search(r"interactivity:\s*\n\s*is_enabled: true", text)
    assert "home_tab_enabled: true" in text
    assert "socket_mode_enabled: false" in text
    urls = set(re.findall(r"(?:url|request_url): (\S+)", text))
    assert urls == {"https://rollcall.example.org/slack/events"}
