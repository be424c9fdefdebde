"""The telemetry port keeps the child it found once (bot.shell.metrics._child): what it
counts is what prometheus_client's own `labels()` counts, read back from the registry."""

from __future__ import annotations

import pytest
from prometheus_client import Counter, Histogram

from bot.shell import metrics


def _read(name: str, labels: dict[str, str]) -> float | None:
    return metrics.REGISTRY.get_sample_value(name, labels)


def test_a_kept_child_counts_where_labels_counts() -> None:
    labels = {"command": "child-test", "platform": "slack", "outcome": "handled"}
    before = _read("rollcall_commands_total", labels) or 0.0
    for _ in range(3):
        metrics.TELEMETRY.count("rollcall_commands_total", **labels)
    metrics.TELEMETRY.count("rollcall_commands_total", **dict(reversed(labels.items())))
    metrics.COMMANDS.labels(**labels).inc()  # the general path, on the same child
    assert _read("rollcall_commands_total", labels) == before + 5
    metrics.TELEMETRY.count("rollcall_ledger_appends_total", 2)  # no labels: the metric
    metrics.TELEMETRY.observe("rollcall_ack_seconds", 0.02, platform="child-test")
    metrics.TELEMETRY.observe("rollcall_ack_seconds", 0.2, platform="child-test")
    acks = {"platform": "child-test"}
    assert _read("rollcall_ack_seconds_count", acks) == 2
    assert _read("rollcall_ack_seconds_bucket", {**acks, "le": "0.025"}) == 1
    assert isinstance(metrics.ACK, Histogram) and isinstance(metrics.COMMANDS, Counter)


def test_wrong_names_kinds_and_labels_still_raise() -> None:
    with pytest.raises(KeyError):
        metrics.TELEMETRY.count("rollcall_no_such_total")
    with pytest.raises(TypeError):
        metrics.TELEMETRY.set("rollcall_commands_total", 1, command="x", platform="y", outcome="z")
    # a child kept by a count is not taken for a gauge either
    metrics.TELEMETRY.count("rollcall_commands_total", command="k", platform="y", outcome="z")
    with pytest.raises(TypeError):
        metrics.TELEMETRY.set("rollcall_commands_total", 1, command="k", platform="y", outcome="z")
    with pytest.raises(ValueError):
        metrics.TELEMETRY.count("rollcall_commands_total", command="x")
    with pytest.raises(ValueError):  # raised again: a failure is never kept
        metrics.TELEMETRY.count("rollcall_commands_total", command="x")
