"""Prometheus metrics (counts and timings only: never names or ids)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

REGISTRY = CollectorRegistry(auto_describe=True)

EVENTS = Counter(
    "rollcall_events_total",
    "Events handled, by kind and platform",
    ["kind", "platform"],
    registry=REGISTRY,
)
HANDLE_SECONDS = Histogram(
    "rollcall_handle_seconds",
    "Time to handle one event, in seconds",
    ["kind"],
    registry=REGISTRY,
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
)
WEBHOOKS_REJECTED = Counter(
    "rollcall_webhooks_rejected_total",
    "Webhook requests refused (bad signature, stale, malformed)",
    ["source", "reason"],
    registry=REGISTRY,
)


def render() -> bytes:
    return generate_latest(REGISTRY)
