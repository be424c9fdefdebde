"""Prometheus metrics (counts and timings only: never names, ids or text in a label).

`TELEMETRY` implements `bot.core.ports.Telemetry` over this registry: the core and the
adapters count through the port and never import prometheus_client. The process and
Python collectors (CPU, memory, open files, GC) are on, as in prometheus_client's
default registry. The metric names are PRODUCT.md's ("Operations") contract."""

from __future__ import annotations

from typing import TypeVar

from prometheus_client import (
    GC_COLLECTOR,
    PLATFORM_COLLECTOR,
    PROCESS_COLLECTOR,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

from bot.shell.version import VERSION

REGISTRY = CollectorRegistry(auto_describe=True)
for _collector in (PROCESS_COLLECTOR, PLATFORM_COLLECTOR, GC_COLLECTOR):
    REGISTRY.register(_collector)

_FAST = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0)

EVENTS = Counter(
    "rollcall_events_total",
    "Events handled, by kind and platform",
    ["kind", "platform"],
    registry=REGISTRY,
)
WEBHOOKS_REJECTED = Counter(
    "rollcall_webhooks_rejected_total",
    "Webhook requests refused (bad signature, stale, malformed)",
    ["source", "reason"],
    registry=REGISTRY,
)
COMMANDS = Counter(
    "rollcall_commands_total",
    "Chat commands and buttons, by command, platform and outcome "
    "(handled, denied, unknown_person, invalid, error, unknown_command)",
    ["command", "platform", "outcome"],
    registry=REGISTRY,
)
ACK = Histogram(
    "rollcall_ack_seconds",
    "Time from a platform's request arriving to our answer (Slack must see one in 3 s)",
    ["platform"],
    buckets=_FAST,
    registry=REGISTRY,
)
PRESENCE = Counter(
    "rollcall_presence_events_total",
    "Joins, leaves and camera changes received, by source",
    ["source"],
    registry=REGISTRY,
)
NOTIFICATIONS = Counter(
    "rollcall_notifications_total",
    "Outbox deliveries, by kind, channel and result (sent, failed, dropped, retry)",
    ["kind", "channel", "result"],
    registry=REGISTRY,
)
OUTBOX_DEPTH = Gauge(
    "rollcall_outbox_depth",
    "Notifications waiting to be sent (pending or claimed)",
    registry=REGISTRY,
)
OUTBOX_OLDEST = Gauge(
    "rollcall_outbox_oldest_due_seconds",
    "How long the oldest due, unsent notification has been due (0 when none is)",
    registry=REGISTRY,
)
LEDGER_APPENDS = Counter(
    "rollcall_ledger_appends_total",
    "Evidence entries written to the ledger (replays not counted)",
    registry=REGISTRY,
)
LEDGER_BATCH = Histogram(
    "rollcall_ledger_batch_size",
    "Append requests written together in one transaction (group commit)",
    buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256, 512),
    registry=REGISTRY,
)
LOOP_LAG = Gauge(
    "rollcall_event_loop_lag_seconds",
    "How late the event loop woke a sleeping task at the last sample",
    registry=REGISTRY,
)
LEADER = Gauge(
    "rollcall_scheduler_leader",
    "1 if this process is the scheduler leader, else 0",
    registry=REGISTRY,
)
TICKS = Counter(
    "rollcall_scheduler_ticks_total",
    "Scheduler ticks run by this process",
    registry=REGISTRY,
)
CONNECTED = Gauge(
    "rollcall_adapter_connected",
    "1 while a platform adapter is connected (webhook adapters: while serving)",
    ["platform"],
    registry=REGISTRY,
)
BUILD = Gauge("rollcall_build_info", "The running version", ["version"], registry=REGISTRY)
BUILD.labels(version=VERSION).set(1)

_ALL: tuple[Counter | Gauge | Histogram, ...] = (
    EVENTS,
    WEBHOOKS_REJECTED,
    COMMANDS,
    ACK,
    PRESENCE,
    NOTIFICATIONS,
    OUTBOX_DEPTH,
    OUTBOX_OLDEST,
    LEDGER_APPENDS,
    LEDGER_BATCH,
    LOOP_LAG,
    LEADER,
    TICKS,
    CONNECTED,
)


def _exposed_name(metric: Counter | Gauge | Histogram) -> str:
    """The name as /metrics shows it (prometheus_client keeps a counter's without
    its `_total`)."""
    name: str = metric._name
    return f"{name}_total" if isinstance(metric, Counter) else name


_BY_NAME: dict[str, Counter | Gauge | Histogram] = {_exposed_name(m): m for m in _ALL}


M = TypeVar("M", Counter, Gauge, Histogram)
#: (name, *labels) -> the metric or its child, as found once (see `_child`)
_CHILDREN: dict[tuple[object, ...], Counter | Gauge | Histogram] = {}
_MAX_CHILDREN = 10_000


def _child(name: str, kind: type[M], labels: dict[str, str]) -> M:
    """The metric `name`, or its child for `labels`. prometheus_client keeps one child
    per label values for good (nothing here removes one), so the child found once is
    kept (by labels in the call's order): a count on a hot path (every command) skips
    `labels()`'s checks and lock after the first. An unknown name raises (KeyError), so
    does a metric of another kind (TypeError, also with -O)."""
    key = (name, *labels.items())
    child = _CHILDREN.get(key)
    if child is None:
        metric = _BY_NAME[name]
        if not isinstance(metric, kind):
            raise TypeError(f"{name} is not a {kind.__name__}")
        child = metric.labels(**labels) if labels else metric
        if len(_CHILDREN) < _MAX_CHILDREN:
            _CHILDREN[key] = child
    if not isinstance(child, kind):  # a child kept for a call of another kind
        raise TypeError(f"{name} is not a {kind.__name__}")
    return child


class PrometheusTelemetry:
    """The port over the registry. An unknown name is a programming error: it raises."""

    def count(self, name: str, /, amount: float = 1.0, **labels: str) -> None:
        _child(name, Counter, labels).inc(amount)

    def observe(self, name: str, value: float, /, **labels: str) -> None:
        _child(name, Histogram, labels).observe(value)

    def set(self, name: str, value: float, /, **labels: str) -> None:
        _child(name, Gauge, labels).set(value)


TELEMETRY = PrometheusTelemetry()


def render() -> bytes:
    return generate_latest(REGISTRY)
