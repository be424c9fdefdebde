"""The Slack adapter: slack-bolt's AsyncApp over HTTP (`POST /slack/events` on the shared
aiohttp server) or Socket Mode, the same handlers behind both.

Acks: a slash command's engine work (for /checkin: the durable ledger append) runs
before the ack and its reply is the ack's body, so "You're checked in" is only ever
shown once the check-in is stored. If the engine has not answered within
`ack_deadline` (2 s; Slack gives 3), the ack says "Working on it…" and the answer
follows through `response_url`. /roster always acks at once and answers through
`response_url`. Buttons ack at once; survey submissions answer in the modal.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.signature import SignatureVerifier

from adapters.slack import direct, translate
from adapters.slack.blocks import SURVEY_CALLBACK, home_view
from adapters.slack.client import PooledWebClient
from adapters.slack.limits import ChannelPacer, SeenRecently
from adapters.slack.notifier import SlackNotifier, SlackPoster
from adapters.slack.outbound import Origin, Outbound
from adapters.slack.quiet import quiet_sdk_loggers, sdk_logger
from adapters.slack.shape import payload_problem
from bot.core.actions import Action, Reply
from bot.core.commands import COMMANDS
from bot.core.deadline import safely, within
from bot.core.engine import Engine
from bot.core.events import Actor, ButtonPressed, CommandInvoked, PresenceHint, SurveySubmitted
from bot.core.settings import SlackConfig

log = logging.getLogger("rollcall.slack")

EVENTS_PATH = "/slack/events"
WORKING = "Working on it…"
SORRY = "Sorry — something went wrong on our side. Please try again in a moment."
SAVED = "Thank you — your answers are saved."
HOME_INTRO = "Your private rollcall page — only you can see it."

Event = CommandInvoked | ButtonPressed | SurveySubmitted


def _unreadable(e: Exception) -> web.Response:
    log.warning("slack: unreadable request refused (%s)", type(e).__name__)
    return web.json_response({"error": "bad request"}, status=400)


class SlackAdapter:
    name = "slack"

    def __init__(
        self,
        config: SlackConfig,
        engine: Engine,
        *,
        ack_deadline: float = 2.0,
        pace_interval: float = 1.0,
        rate_limit_retries: int = 2,
        direct_commands: bool = True,
    ) -> None:
        if config.mode not in ("http", "socket"):
            raise ValueError(f"slack.mode must be 'http' or 'socket', not {config.mode!r}")
        quiet_sdk_loggers()
        self.config = config
        self.engine = engine
        self.ack_deadline = ack_deadline
        self._tz = engine.timezone
        self.client = PooledWebClient(
            token=config.bot_token, base_url=config.api_base_url, logger=sdk_logger(), timeout=10
        )
        self.client.retry_handlers.append(
            AsyncRateLimitErrorRetryHandler(max_retry_count=rate_limit_retries)
        )
        self.notifier = SlackNotifier(self.client, ChannelPacer(interval=pace_interval))
        self.poster = SlackPoster(self.notifier)
        self.outbound = Outbound(engine=engine, client=self.client, notifier=self.notifier)
        self.app = AsyncApp(
            name="rollcall.slack.bolt",
            logger=sdk_logger(),
            signing_secret=config.signing_secret or "unused-in-socket-mode",
            client=self.client,
            # listeners run inline and ack themselves; their slow parts go to _later()
            # (no 10 ms polling for the ack, no task per request)
            process_before_response=True,
        )
        self._events_seen = SeenRecently(ttl=3600.0, max_size=10_000)
        self._signature = SignatureVerifier(config.signing_secret or "unused-in-socket-mode")
        self._socket: Any = None
        #: plain slash commands skip bolt's dispatch once bolt has let one through
        self._shortcut = direct.Shortcut(self.app, self._on_bolt_command, enabled=direct_commands)
        self._running: set[asyncio.Task[Any]] = set()
        self._register()
        quiet_sdk_loggers()  # the loggers bolt just created

    # --- lifecycle -----------------------------------------------------------------------

    @property
    def is_connected(self) -> bool:
        """HTTP mode serves while the server runs; Socket Mode needs its connection (for
        /readyz and rollcall_adapter_connected)."""
        if self.config.mode != "socket":
            return True
        client = getattr(self._socket, "client", None)
        session = getattr(client, "current_session", None)
        return (
            client is not None
            and not getattr(client, "closed", True)
            and not getattr(client, "stale", False)
            and session is not None
            and not session.closed
        )

    def add_routes(self, app: web.Application) -> None:
        if self.config.mode == "http":
            app.router.add_post(EVENTS_PATH, self.handle_http)

    async def start(self) -> None:
        await self._check_token()
        if self.config.mode != "socket":
            return
        from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

        self._socket = AsyncSocketModeHandler(
            self.app, self.config.app_token, logger=sdk_logger(), web_client=self.client
        )
        await self._socket.connect_async()
        quiet_sdk_loggers()
        log.info("slack: connected in Socket Mode")

    async def _check_token(self) -> None:
        """Say early (and by id only) whether the bot token works; never fatal."""
        try:
            auth = await self.client.auth_test()
            log.info("slack: bot %s in team %s", auth.get("user_id"), auth.get("team_id"))
        except SlackApiError as e:
            error = e.response.get("error") if e.response is not None else None
            log.error("slack: the bot token was not accepted: %s", error or "no answer")
        except Exception as e:
            log.error("slack: auth.test failed: %s (is api_base_url right?)", type(e).__name__)

    async def stop(self, grace: float = 5.0) -> None:
        if self._socket is not None:
            with contextlib.suppress(Exception):
                await self._socket.close_async()
            self._socket = None
        await self.drain(grace, cancel=True)
        await self.outbound.close()
        await self.client.close()

    async def drain(self, within: float = 5.0, *, cancel: bool = False) -> None:
        """Wait for the work listeners left for after their ack; with `cancel`, cancel
        what is still running after `within` seconds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while self._running and loop.time() < deadline:
            await asyncio.wait(set(self._running), timeout=deadline - loop.time())
        if cancel:
            for task in list(self._running):
                task.cancel()

    # --- HTTP ----------------------------------------------------------------------------

    async def handle_http(self, request: web.Request) -> web.StreamResponse:
        """Bolt verifies the signature (5-minute window) before anything is parsed into
        an event; a refused request stores nothing and is logged without its body.
        A timestamp that is not one (bolt's verifier would raise on it) is unsigned:
        refused with bolt's 401. A plain, signed slash command skips bolt's dispatch
        once bolt has let one through, while that dispatch is the one set up here
        (adapters.slack.direct): the same answer for less work."""
        try:
            body = await request.text()
        except web.HTTPException:
            raise  # e.g. 413 for a body past the server's size limit
        except Exception as e:
            return _unreadable(e)
        if not direct.readable_timestamp(request.headers):
            # bolt's verifier would raise on it (a 500): unsigned, refused as bolt does
            return await self._refused(direct.refused())
        form = direct.command_form(body, request.headers) if self._shortcut.on else None
        # a forged plain command is bolt's to refuse; as a plain form carries no payload,
        # the shape check below is skipped for it (no second HMAC here)
        if (
            form is not None
            and direct.signed(body, request.headers, self._signature)
            and self._shortcut.may_skip()
        ):
            return await direct.to_response(await direct.answer(self._on_command, form))
        try:
            bolt_request = AsyncBoltRequest(
                body=body, query=request.query_string, headers=dict(request.headers)
            )
        except Exception as e:
            return _unreadable(e)
        # a signed interaction bolt would choke on (a 500): refused here, by its shape
        if (
            form is None
            and self._signature.is_valid_request(body, dict(request.headers))
            and (problem := payload_problem(body))
        ):
            log.warning("slack: malformed interaction refused (%s)", problem)
            return web.json_response({"error": "bad request"}, status=400)
        response = await self.app.async_dispatch(bolt_request)
        if response.status == 401:
            return await self._refused(response)
        return await to_aiohttp_response(response)

    @staticmethod
    async def _refused(response: BoltResponse) -> web.Response:
        log.warning("slack: request refused: bad or stale signature")
        return await to_aiohttp_response(response)

    # --- listeners -----------------------------------------------------------------------

    def _register(self) -> None:
        self.app.command(re.compile(r"^/"))(self._on_bolt_command)
        self.app.action(re.compile(r"^rc:"))(self._on_action)
        self.app.view_submission(SURVEY_CALLBACK)(self._on_survey)
        # only events are redelivered: commands don't pay for the check
        once = [self._dedupe_events]
        self.app.event("app_home_opened", middleware=once)(self._on_home_opened)
        self.app.event("user_huddle_changed", middleware=once)(self._on_huddle)
        self.app.event(re.compile(r".*"))(self._on_other_event)

    async def _dedupe_events(
        self, body: dict[str, Any], req: AsyncBoltRequest, next: Callable[[], Awaitable[None]]
    ) -> BoltResponse | None:
        """A redelivered event (same event_id; Slack adds X-Slack-Retry-Num) changes nothing.
        Runs after bolt's signature check, so a forged request can't poison the cache."""
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if isinstance(event_id, str) and self._events_seen.check_and_add(event_id):
            retry = (req.headers.get("x-slack-retry-num") or ["?"])[0]
            log.info("slack: event %s redelivered (retry %s): ignored", event_id, retry)
            return BoltResponse(status=200, body="")
        await next()
        return None

    def _now(self) -> datetime:
        return self.engine.now()

    def _later(self, work: Awaitable[None]) -> None:
        """Work after the ack (bolt runs our listeners inline: process_before_response)."""
        task = asyncio.ensure_future(work)
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    async def _handle(self, event: Event) -> list[Action]:
        return await safely(self.engine.handle(event), request_id=event.request_id)

    async def _answer(self, work: Awaitable[list[Action]], origin: Origin) -> None:
        await self.outbound.perform(await work, origin)

    async def _on_bolt_command(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        """A command through bolt's dispatch: its authorization has passed, so plain
        slash commands may skip the dispatch from now on (with `direct_commands`, and
        while the dispatch is the one set up here: `direct.dispatch_problem`)."""
        self._shortcut.bolt_let_one_through()
        await self._on_command(ack, body)

    async def _on_command(self, ack: AsyncAck, body: Mapping[str, Any]) -> None:
        event = translate.command_event(body, at=self._now())
        origin = Origin(
            user_id=event.actor.user_id,
            channel_id=event.channel_id,
            response_url=body.get("response_url") or None,
            trigger_id=body.get("trigger_id") or None,
            request_id=event.request_id,
        )
        spec = COMMANDS.get(event.command)
        if spec is not None and spec.slow:
            await ack()
            self._later(self._answer(self._handle(event), origin))
            return
        race = await within(
            self.ack_deadline, self.engine.handle(event), request_id=event.request_id
        )
        if not race.on_time:
            await ack(response_type="ephemeral", text=WORKING)
            self._later(self._answer(race.answer(), origin))
            return
        actions = await race.answer()
        first = next((a for a in actions if isinstance(a, Reply)), None)
        if first is None or first.survey is not None or first.view is not None:
            await ack()
            self._later(self.outbound.perform(actions, origin))
            return
        await ack(translate.reply_message(first, self._tz))
        rest = [a for a in actions if a is not first]
        if rest:
            self._later(self.outbound.perform(rest, origin))

    async def _on_action(self, ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        event = translate.button_event(body, action, at=self._now())
        if event is None:
            return
        in_view = (body.get("container") or {}).get("type") == "view"
        origin = Origin(
            user_id=event.actor.user_id,
            channel_id=None if in_view else event.channel_id,
            response_url=None if in_view else body.get("response_url") or None,
            trigger_id=body.get("trigger_id") or None,
            request_id=event.request_id,
        )
        self._later(self._answer(self._handle(event), origin))

    async def _on_survey(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        """The modal turns into the engine's answer ("saved", or what was wrong)."""
        event = translate.survey_event(body, at=self._now())
        if event is None:
            await ack()
            return
        race = await within(
            self.ack_deadline, self.engine.handle(event), request_id=event.request_id
        )
        if race.on_time:
            actions = await race.answer()
            await ack(response_action="update", view=self._survey_answer(actions))
            rest = [a for a in actions if not isinstance(a, Reply)]
            if rest:
                self._later(self.outbound.perform(rest, Origin(user_id=event.actor.user_id)))
            return
        await ack(response_action="update", view=translate.submitted_view("Saving…"))
        view_id = (body.get("view") or {}).get("id")
        self._later(self._survey_later(race.answer(), view_id, event.actor.user_id))

    @staticmethod
    def _survey_answer(actions: list[Action]) -> dict[str, Any]:
        first = next((a for a in actions if isinstance(a, Reply)), None)
        return translate.submitted_view(first.text if first is not None else SAVED)

    async def _survey_later(
        self, task: Awaitable[list[Action]], view_id: str | None, user_id: str
    ) -> None:
        actions = await task
        try:
            await self.client.views_update(view_id=view_id, view=self._survey_answer(actions))
        except Exception as e:
            log.warning("slack: survey answer view not updated: %s", type(e).__name__)
        rest = [a for a in actions if not isinstance(a, Reply)]
        await self.outbound.perform(rest, Origin(user_id=user_id))

    async def _on_home_opened(self, event: dict[str, Any]) -> None:
        user_id = translate.home_opened_user(event)
        if user_id is not None:
            self._later(self._publish_home(user_id))

    async def _publish_home(self, user_id: str) -> None:
        try:
            view = await self._home(user_id)
            await self.client.views_publish(user_id=user_id, view=view)
        except Exception as e:
            log.warning("slack: App Home for %s not published: %s", user_id, type(e).__name__)

    async def _home(self, user_id: str) -> dict[str, Any]:
        """The viewer's own record and, for facilitators, their groups. Nobody else's data."""
        home = await self.engine.home(
            Actor(platform="slack", user_id=user_id),
            intro=HOME_INTRO,
            request_id=f"slack:home:{user_id}:{self._now().isoformat()}",
        )
        return home_view(record_text=home.record_text, groups=home.groups, intro=home.intro)

    async def _on_huddle(self, event: dict[str, Any]) -> None:
        """A presence *hint* only: Slack says a user is in some huddle, never which
        channel's or with whom, so facilitators see it on the roster but it is never
        evidence of attendance (see docs/slack.md). Stored after the ack."""
        hint = translate.huddle_event(event, at=self._now())
        if hint is not None:
            self._later(self._note_hint(hint))

    async def _note_hint(self, hint: PresenceHint) -> None:
        try:
            await self.engine.handle(hint)
        except Exception as e:
            log.error("slack: huddle hint not stored: %s", type(e).__name__)

    async def _on_other_event(self, event: dict[str, Any]) -> None:
        """Events we don't use are acked and dropped (bolt would log them whole)."""
        return None
