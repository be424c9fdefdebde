"""The composition root: the one place that builds concrete things and wires them —
the store, the engine, the platform adapters and notifiers, the console, the
scheduler's leader lock. Every other shell module (bot.shell.runner, bot.shell.cli_commands,
bot.shell.demo) gets them from here.

Adapters are imported lazily: a disabled platform's SDK is never loaded, and the
short CLI commands don't load what only a running bot needs.

Every adapter has the same small lifecycle: it may add routes to the shared aiohttp
server, then it is started, and stopped on shutdown.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, TextIO, cast

from bot.config import Config
from bot.core.attendance.recorder import Recorder
from bot.core.clock import SystemClock
from bot.core.domain import Person, Program, Session
from bot.core.links import make_token
from bot.core.logging_policy import describe
from bot.core.ports import Clock, Notifier, Poster, Store, Telemetry, ZoneSource
from bot.core.reports.desk import ReportDesk
from bot.core.seed import materialize, seed
from bot.core.signin import SignIn
from storage.migrate import upgrade
from storage.sql import open_store

if TYPE_CHECKING:
    from aiohttp import web

    from adapters.console.adapter import ConsoleAdapter
    from adapters.memory import MemoryAdapter
    from bot.core.engine import Engine
    from bot.shell.scheduler import Leadership
    from storage.memory import MemoryStore

log = logging.getLogger("rollcall.app")


@dataclass(kw_only=True)
class App:
    config: Config
    store: Store
    clock: Clock
    telemetry: Telemetry
    #: the one recorder, the engine's and the report desk's
    recorder: Recorder
    _engine: Engine | None = field(default=None, repr=False)

    @property
    def engine(self) -> Engine:
        """The engine, built when first used: `rollcall report` never loads it."""
        if self._engine is None:
            from bot.core.engine import Engine

            config = self.config
            self._engine = Engine(
                store=self.store,
                clock=self.clock,
                program=config.program,
                survey=config.survey.questions,
                signin=signin_for(config),
                telemetry=self.telemetry,
                public_url=config.server.base_url,
                recorder=self.recorder,
            )
        return self._engine

    @property
    def reports(self) -> ReportDesk:
        """The report's operations (the engine offers the same, on the same recorder)."""
        return ReportDesk(self.recorder)

    async def close(self) -> None:
        await self.store.close()


async def open_app(
    config: Config,
    *,
    clock: Clock | None = None,
    migrate: bool = True,
    store: Store | None = None,
    telemetry: Telemetry | None = None,
) -> App:
    """Migrate, open the store, seed people/groups/enrollments and the coming sessions.
    `telemetry`: where the counts go (default: bot.shell.metrics, served by the bot)."""
    clock = clock or SystemClock()
    if telemetry is None:
        from bot.shell import metrics

        telemetry = metrics.TELEMETRY
    if store is None:
        if config.storage_url == "memory://":
            from storage.memory import MemoryStore

            store = MemoryStore()
        else:
            if migrate:
                await upgrade(config.storage_url)
            store = await open_store(config.storage_url)
            store.telemetry = telemetry
    now = clock.now()
    await seed(store, config, now)
    await materialize(store, config, now)
    return App(
        config=config,
        store=store,
        clock=clock,
        telemetry=telemetry,
        recorder=Recorder(store, clock, config.program),
    )


_PROCESS_SECRET = secrets.token_bytes(32)


def signin_for(config: Config) -> SignIn:
    """Dashboard links, signed with `[server] dashboard_secret` (or this process's own)."""
    secret = config.server.dashboard_secret.encode() or _PROCESS_SECRET
    return SignIn(public_url=config.server.base_url, secret=secret)


async def upgrade_db(url: str) -> None:
    """Alembic migrations to head (`rollcall db upgrade`)."""
    await upgrade(url)


def memory_world(program: Program, clock: Clock) -> tuple[MemoryStore, Engine, MemoryAdapter]:
    """An in-memory store, an engine on it and the in-memory chat adapter (`rollcall
    demo`: nothing touches a database)."""
    from adapters.memory import MemoryAdapter
    from bot.core.engine import Engine
    from storage.memory import MemoryStore

    store = MemoryStore()
    engine = Engine(store=store, clock=clock, program=program)
    return store, engine, MemoryAdapter(engine=engine)


def console_adapter(engine: Engine, *, stdin: TextIO, stdout: TextIO) -> ConsoleAdapter:
    from adapters.console.adapter import ConsoleAdapter

    return ConsoleAdapter(engine, stdin=stdin, stdout=stdout)


def scheduler_leader(config: Config) -> Leadership:
    """Who may plan: a PostgreSQL advisory lock, or a lock file next to SQLite."""
    from storage.leader import leader_for

    return leader_for(config.storage_url)


class Adapter(Protocol):
    name: str

    def add_routes(self, app: web.Application) -> None: ...
    async def start(self) -> None: ...
    async def stop(self) -> None: ...


def build_dashboard(config: Config, engine: Engine, clock: Clock) -> Adapter:
    """The web dashboard (always served: it is reached only by a link /dashboard sends)."""
    from adapters.web.adapter import DashboardAdapter

    return DashboardAdapter(
        engine,
        signin=signin_for(config),
        clock=clock,
        timezone=config.program.timezone,
        program_name=config.program.name,
    )


def build_adapters(config: Config, engine: Engine) -> list[Adapter]:
    """The enabled platform adapters. Imports are lazy: a disabled platform's SDK is
    never loaded."""
    from bot.shell import metrics

    adapters: list[Adapter] = []
    if config.zoom.enabled:
        from adapters.zoom.adapter import ZoomAdapter

        adapters.append(ZoomAdapter(config.zoom, engine, telemetry=metrics.TELEMETRY))
    if config.slack.enabled:
        from adapters.slack.adapter import SlackAdapter

        adapters.append(SlackAdapter(config.slack, engine))
    if config.discord.enabled:
        from adapters.discord.adapter import DiscordAdapter

        adapters.append(DiscordAdapter(config.discord, engine, telemetry=metrics.TELEMETRY))
    if config.sms is not None and config.sms.enabled:
        from adapters.sms.inbound import SmsInbound

        adapters.append(SmsInbound(config.sms, engine, public_url=config.server.base_url))
    if config.email is not None and config.email.enabled and config.email.link_secret:
        from adapters.email.links import ReplyLinks

        adapters.append(ReplyLinks(engine, secret=config.email.link_secret))
    return adapters


def add_calendar_feed(web_app: web.Application, engine: Engine) -> None:
    """`GET /calendar/{token}.ics` on the one server (always on: links exist only once
    someone asked for one with /calendar)."""
    from adapters.web.calendar import add_routes

    add_routes(web_app, engine)


def reply_link(config: Config) -> Callable[[Person, Session], str | None] | None:
    """The signed "can't make it" link e-mailed reminders carry, if configured."""
    if config.email is None or not config.email.enabled or not config.email.link_secret:
        return None
    secret, base = config.email.link_secret, config.server.base_url

    def link(person: Person, session: Session) -> str:
        return f"{base}/r/{make_token(secret, person.id, session.id, session.end)}"

    return link


@dataclass(kw_only=True)
class Channels:
    """Who delivers DMs ("chat", "email", "sms") and who posts in group channels."""

    notifiers: dict[str, list[Notifier]] = field(default_factory=dict)
    posters: list[Poster] = field(default_factory=list)
    closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    #: a platform that knows people's time zones (Slack), for those without one configured
    zones: ZoneSource | None = None

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
            if callable(close := getattr(notifier, "close", None)):
                channels.closers.append(close)
            if channels.zones is None and callable(getattr(notifier, "zone_of", None)):
                channels.zones = cast(ZoneSource, notifier)
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
