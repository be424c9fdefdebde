"""The app manifest offers every chat command the engine knows, generated from the one
registry, and what the adapter needs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from adapters.slack import manifest
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


def test_the_slash_commands_are_the_registry_s() -> None:
    """slack_manifest.yaml's commands are generated (python -m adapters.slack.manifest):
    a registry change that is not regenerated fails here."""
    text = _manifest()
    assert manifest.render(text) == text, "run: python -m adapters.slack.manifest"
    assert manifest.main(["--check"]) == 0


def test_descriptions_and_hints_come_from_the_registry() -> None:
    text = _manifest()
    verify = COMMANDS["verify"]
    assert verify.usage.startswith("/verify ")
    assert f'usage_hint: "{verify.usage.removeprefix("/verify ")}"' in text
    wanted = "Facilitators — confirm or correct someone's attendance, or record a make-up"
    assert f'description: "{wanted}"' in text
    assert 'description: "Check in to the session that\'s open now"' in text
    for line in re.findall(r"^\s+description: (.+)$", text, re.MULTILINE):
        assert len(line.strip('"')) <= manifest.MAX_DESCRIPTION


def test_a_changed_registry_shows_as_a_difference(monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.core.context import Access, CommandSpec

    async def handler(ctx: object) -> list[object]:
        return []

    extra = CommandSpec(
        name="pause",
        handler=handler,  # type: ignore[arg-type]
        access=Access.FACILITATOR,
        usage="/pause [minutes]",
        summary="pause the roster",
    )
    monkeypatch.setitem(COMMANDS, "pause", extra)
    rendered = manifest.render(_manifest())
    assert rendered != _manifest()
    assert "    - command: /pause\n" in rendered
    assert (
        'description: "Facilitators — pause the roster"\n      usage_hint: "[minutes]"' in rendered
    )
