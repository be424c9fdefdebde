"""Prometheus metrics (counts and timings only: never names or ids).

`TELEMETRY` implements `bot.core.ports.Telemetry` over this registry: the core and the
adapters count through the port and never import prometheus_client."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

REGISTRY = CollectorRegistry(auto_describe=True)

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

_BY_NAME: dict[str, Counter | Gauge | Histogram] = {
    "rollcall_events_total": EVENTS,
    "rollcall_webhooks_rejected_total": WEBHOOKS_REJECTED,
}


class PrometheusTelemetry:
    """The port over the registry. An unknown name is a programming error: it raises."""

    def count(self, name: str, /, amount: float = 1.0, **labels: str) -> None:
        metric = _BY_NAME[name]
        assert isinstance(metric, Counter)
        (metric.labels(**labels) if labels else metric).inc(amount)

    def observe(self, name: str, value: float, /, **labels: str) -> None:
        metric = _BY_NAME[name]
        assert isinstance(metric, Histogram)
        (metric.labels(**labels) if labels else metric).observe(value)

    def set(self, name: str, value: float, /, **labels: str) -> None:
        metric = _BY_NAME[name]
        assert isinstance(metric, Gauge)
        (metric.labels(**labels) if labels else metric).set(value)


TELEMETRY = PrometheusTelemetry()


def render() -> bytes:
    return generate_latest(REGISTRY)
