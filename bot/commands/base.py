"""Re-exported from bot.context (kept outside this package so that modules the
commands use can import it without importing every command)."""

from __future__ import annotations

from bot.context import NOT_ENROLLED, Access, CommandSpec, Context, Handler, Services

__all__ = ["NOT_ENROLLED", "Access", "CommandSpec", "Context", "Handler", "Services"]
