"""/metrics counts what happens: one of each thing an operator watches is driven through
the real surfaces (signed Slack requests, a signed Zoom webhook, the scheduler's tick
delivering the outbox to the Slack stand-in), then /metrics is read back over HTTP and
parsed as Prometheus text. The registry is process-wide, so every number is a
difference between a read before and a read after.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from bot.core.outreach.autopilot import Autopilot
from bot.core.outreach.delivery import Dispatcher
from bot.shell import metrics
from bot.shell.app import build_channels
from bot.shell.health import Monitor
from bot.shell.scheduler import Scheduler
from storage.leader import AlwaysLeader
from tests.adapters.slack.harness import FACILITATOR, NOW, P1, P2, STRANGER, running_bot
from tests.adapters.zoom.conftest import START
from tests.adapters.zoom.harness import running_bot as zoom_bot
from tests.fakes.casts import zoom_cast as zoom_config
from tests.fakes.zoom import joined

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


async def scrape(url: str) -> tuple[Samples, set[str]]:
    async with aiohttp.ClientSession() as http, http.get(url) as resp:
        assert resp.status == 200
        assert resp.headers["Content-Type"].startswith("text/plain")
        text = await resp.text()
    samples: Samples = {}
    families = set()
    for family in text_string_to_metric_families(text):
        families.add(family.name)
        for s in family.samples:
            samples[(s.name, frozenset(s.labels.items()))] = s.value
    return samples, families


def value(samples: Samples, name: str, labels: Mapping[str, str] | None = None) -> float:
    return samples.get((name, frozenset((labels or {}).items())), 0.0)


def grew(before: Samples, after: Samples, name: str, **labels: str) -> float:
    return value(after, name, labels) - value(before, name, labels)


async def test_metrics_count_commands_acks_presence_notifications_outbox_ledger_and_state(
    tmp_path: Path,
) -> None:
    async with running_bot(tmp_path) as bot:
        url = bot.url.replace("/slack/events", "/metrics")
        before, _ = await scrape(url)

        # the scheduler's tick as the leader: the session opens (a post through Slack)
        bot.clock.set(NOW - timedelta(minutes=15))
        channels = build_channels(bot.config, [bot.adapter])
        dispatcher = Dispatcher(
            bot.app.store,
            bot.clock,
            notifiers=channels.notifiers,
            posters=channels.posters,
            telemetry=metrics.TELEMETRY,
        )
        scheduler = Scheduler(
            Autopilot(bot.engine, bot.config, dispatcher, store=bot.app.store), AlwaysLeader()
        )
        await scheduler.tick()
        assert scheduler.ticking() is None
        bot.clock.set(NOW)

        # commands: handled, denied (a participant asks for the roster), unknown person
        assert (await bot.command(P1, "/checkin")).status == 200
        assert (await bot.command(P2, "/checkin")).status == 200
        assert (await bot.command(P1, "/roster")).status == 200
        assert (await bot.command(STRANGER, "/checkin")).status == 200
        assert (await bot.command(FACILITATOR, "/roster")).status == 200
        await bot.settle()

        # a reminder that is due and not yet sent: the outbox's depth and age
        monitor = Monitor(bot.app.store, bot.clock, [bot.adapter])
        await monitor.sample()
        monitor.start()  # its first round measures the loop's lag at once
        await monitor.stop()

        # presence from Zoom, through its signed webhook
        async with zoom_bot(zoom_config(tmp_path / "zoom.db"), bot.clock) as zoom:
            await zoom.app.engine.create_session(
                group_id="evening-a", start=START, minutes=180, actor_id="test"
            )
            zoom.clock.set(START)
            sent = await zoom.send(joined(uuid="u-1", name="Someone", at=START))
            assert sent.status == 200, sent.body
            bot.clock.set(NOW)

        after, families = await scrape(url)

    def counted(labels: Mapping[str, str]) -> float:
        return grew(before, after, "rollcall_commands_total", **labels)

    slack = {"command": "checkin", "platform": "slack"}
    assert counted({**slack, "outcome": "handled"}) == 2
    assert counted({**slack, "outcome": "unknown_person"}) == 1
    assert counted({"command": "roster", "platform": "slack", "outcome": "denied"}) == 1
    assert counted({"command": "roster", "platform": "slack", "outcome": "handled"}) == 1
    assert grew(before, after, "rollcall_ack_seconds_count", platform="slack") == 5
    assert grew(before, after, "rollcall_ack_seconds_count", platform="zoom") == 1
    assert grew(before, after, "rollcall_presence_events_total", source="zoom") == 1
    sent_posts = grew(
        before,
        after,
        "rollcall_notifications_total",
        kind="session_open",
        channel="post",
        result="sent",
    )
    assert sent_posts == 1
    # two check-ins and one Zoom join are durable ledger rows; each a group-commit batch
    assert grew(before, after, "rollcall_ledger_appends_total") >= 3
    assert grew(before, after, "rollcall_ledger_batch_size_count") >= 3
    assert value(after, "rollcall_scheduler_leader") == 1
    assert grew(before, after, "rollcall_scheduler_ticks_total") == 1
    assert value(after, "rollcall_adapter_connected", {"platform": "slack"}) == 1
    assert value(after, "rollcall_outbox_depth") >= 1  # reminders planned for later
    assert value(after, "rollcall_outbox_oldest_due_seconds") >= 0
    assert ("rollcall_event_loop_lag_seconds", frozenset()) in after
    # the default collectors are on
    defaults = {"process_cpu_seconds", "process_resident_memory_bytes"}
    defaults |= {"python_gc_objects_collected", "python_info"}
    assert defaults <= families
    assert "rollcall_build_info" in families
