"""The telemetry nobody reads: what the core and adapters use until the shell gives them
a real one (bot.shell.metrics)."""

from __future__ import annotations


class NullTelemetry:
    def count(self, name: str, /, amount: float = 1.0, **labels: str) -> None:
        return None

    def observe(self, name: str, value: float, /, **labels: str) -> None:
        return None

    def set(self, name: str, value: float, /, **labels: str) -> None:
        return None


NULL = NullTelemetry()
