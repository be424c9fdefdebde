"""Which platform adapters run, built from config (used by the composition root).

Every adapter has the same small lifecycle: it may add routes to the shared
aiohttp server, then it is started, and stopped on shutdown.
"""

from __future__ import annotations

from typing import Protocol

from aiohttp import web

from bot.config import Config
from bot.engine import Engine


class Adapter(Protocol):
    name: str

    def add_routes(self, app: web.Application) -> None: ...
    async def start(self) -> None: ...
    async def stop(self) -> None: ...


def build_adapters(config: Config, engine: Engine) -> list[Adapter]:
    """The enabled platform adapters. Imports are lazy: a disabled platform's SDK is
    never loaded."""
    adapters: list[Adapter] = []
    if config.zoom.enabled:
        from adapters.zoom.adapter import ZoomAdapter

        adapters.append(ZoomAdapter(config.zoom, engine))
    if config.slack.enabled:
        from adapters.slack.adapter import SlackAdapter

        adapters.append(SlackAdapter(config.slack, engine))
    if config.discord.enabled:
        from adapters.discord.adapter import DiscordAdapter

        adapters.append(DiscordAdapter(config.discord, engine))
    return adapters
