"""Discord counts through the core's Telemetry port: commands by outcome (in the core
pipeline, platform "discord"), ack latency of interactions, voice presence, and the
gateway's connection state that /readyz reads."""

from __future__ import annotations

from datetime import timedelta

from bot.shell import metrics
from tests.adapters.discord.conftest import START
from tests.adapters.discord.harness import P1, P2, VOICE, Harness


def sample(name: str, **labels: str) -> float:
    return metrics.REGISTRY.get_sample_value(name, labels) or 0.0


async def test_interactions_presence_and_connection_are_counted(h: Harness) -> None:
    h.bot.interactions.telemetry = metrics.TELEMETRY  # as bot.shell.app builds it
    assert h.bot.is_connected
    handled = {"command": "checkin", "platform": "discord", "outcome": "handled"}
    denied = {"command": "roster", "platform": "discord", "outcome": "denied"}
    before = (
        sample("rollcall_commands_total", **handled),
        sample("rollcall_commands_total", **denied),
        sample("rollcall_ack_seconds_count", platform="discord"),
        sample("rollcall_presence_events_total", source="discord"),
    )
    h.clock.set(START + timedelta(minutes=2))
    await h.command("checkin", P1)
    await h.command("roster", P2)
    await h.voice(P1, VOICE)
    after = (
        sample("rollcall_commands_total", **handled),
        sample("rollcall_commands_total", **denied),
        sample("rollcall_ack_seconds_count", platform="discord"),
        sample("rollcall_presence_events_total", source="discord"),
    )
    assert [a - b for a, b in zip(after, before, strict=True)] == [1, 1, 2, 1]
    await h.bot.stop()
    assert not h.bot.is_connected
