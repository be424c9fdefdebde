"""Which platform adapters run, built from config (used by the composition root).

Every adapter has the same small lifecycle: it may add routes to the shared
aiohttp server, then it is started, and stopped on shutdown.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from aiohttp import web

from bot.config import Config
from bot.engine import Engine
from bot.logging_policy import describe
from bot.ports import Notifier, Poster

log = logging.getLogger("rollcall.wiring")


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


@dataclass(kw_only=True)
class Channels:
    """Who delivers DMs ("chat", "email", "sms") and who posts in group channels."""

    notifiers: dict[str, list[Notifier]] = field(default_factory=dict)
    posters: list[Poster] = field(default_factory=list)
    closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)

    async def close(self) -> None:
        for close in self.closers:
            try:
                await close()
            except Exception as e:
                log.error("closing a notifier failed: %s", describe(e))


def build_channels(
    config: Config, adapters: Sequence[Adapter], console: object | None = None
) -> Channels:
    channels = Channels()
    chat: list[Notifier] = []
    for source in [*adapters, console]:
        notifier = getattr(source, "notifier", None)
        if notifier is not None:
            chat.append(notifier)
        poster = getattr(source, "poster", None)
        if poster is not None:
            channels.posters.append(poster)
    if chat:
        channels.notifiers["chat"] = chat
    if config.email is not None and config.email.enabled:
        from adapters.email.notifier import EmailNotifier

        channels.notifiers["email"] = [EmailNotifier(config.email)]
    if config.sms is not None and config.sms.enabled:
        from adapters.sms.notifier import SmsNotifier

        sms = SmsNotifier(config.sms)
        channels.notifiers["sms"] = [sms]
        channels.closers.append(sms.close)
    return channels
