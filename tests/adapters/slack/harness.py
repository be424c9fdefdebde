"""A running bot with the Slack adapter in HTTP mode, against `FakeSlack`, on a real
SQLite file. Requests are sent over loopback, signed like Slack signs them."""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp

from adapters.slack.adapter import SlackAdapter
from bot.config import Config, parse_config
from bot.core.clock import FakeClock
from bot.core.engine import Engine
from bot.shell.app import App, build_adapters, open_app
from bot.shell.web import bound_port, make_web_app, start_server
from tests.fakes.casts import SLACK_NAMES, slack_cast
from tests.fakes.slack import (
    FORM,
    FakeSlack,
    block_action_payload,
    command_body,
    event_body,
    interactive_body,
    signed_headers,
    view_submission_payload,
)

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
#: Monday 4 May 2026, 18:05 in New York: five minutes into the evening session
NOW = datetime(2026, 5, 4, 22, 5, tzinfo=UTC)
FACILITATOR, P1, P2, P3, STRANGER = "U0F001", "U0001", "U0002", "U0003", "U9999"

#: names that must never reach a channel post or a log line
NAMES = SLACK_NAMES


@dataclass
class Sent:
    status: int
    text: str

    @property
    def json(self) -> Any:
        return json.loads(self.text) if self.text else {}


@dataclass
class SlackBot:
    fake: FakeSlack
    config: Config
    app: App
    adapter: SlackAdapter
    clock: FakeClock
    url: str
    http: aiohttp.ClientSession

    @property
    def engine(self) -> Engine:
        return self.app.engine

    async def send(
        self,
        body: str,
        *,
        content_type: str = FORM,
        age: float = 0.0,
        secret: str = SECRET,
        extra: Mapping[str, str] | None = None,
    ) -> Sent:
        headers = signed_headers(secret, body, age=age, content_type=content_type)
        headers.update(extra or {})
        data = io.BytesIO(body.encode())  # a stream: aiohttp warns about big raw bodies
        async with self.http.post(self.url, data=data, headers=headers) as resp:
            return Sent(resp.status, await resp.text())

    async def command(
        self, user_id: str, command: str, text: str = "", *, channel_id: str = "C0001", **kw: Any
    ) -> Sent:
        body = command_body(
            command,
            text,
            user_id=user_id,
            channel_id=channel_id,
            response_url=self.fake.response_url(),
        )
        return await self.send(body, **kw)

    async def press(
        self,
        user_id: str,
        action_id: str,
        value: str,
        *,
        response_url: str = "",
        channel_id: str = "C0001",
    ) -> Sent:
        payload = block_action_payload(
            user_id=user_id,
            action_id=action_id,
            value=value,
            response_url=response_url or self.fake.response_url(),
            channel_id=channel_id,
        )
        return await self.send(interactive_body(payload))

    async def submit_survey(
        self, user_id: str, session_id: str, answers: Mapping[str, tuple[str, str]]
    ) -> Sent:
        payload = view_submission_payload(user_id=user_id, session_id=session_id, answers=answers)
        return await self.send(interactive_body(payload))

    async def event(
        self, event: Mapping[str, Any], *, event_id: str, retry: int | None = None
    ) -> Sent:
        extra = {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
        return await self.send(
            event_body(event, event_id=event_id),
            content_type="application/json",
            extra=extra if retry is not None else None,
        )

    async def settle(self) -> None:
        """Wait for the work listeners do after their ack."""
        await self.adapter.drain()


@contextlib.asynccontextmanager
async def running_bot(
    tmp_path: Path, *, sqlite: bool = True, mode: str = "http", **adapter_kw: Any
) -> AsyncIterator[SlackBot]:
    """The bot on a SQLite file in `tmp_path` (or the in-memory store)."""
    fake = await FakeSlack().start()
    db = tmp_path / "x.db" if sqlite else None
    storage = f"sqlite:///{db}" if db is not None else "memory://"
    config = parse_config(slack_cast(storage=storage, api=fake.api_url, secret=SECRET, mode=mode))
    clock = FakeClock(NOW)
    app = await open_app(config, clock=clock)
    if adapter_kw:
        adapter = SlackAdapter(config.slack, app.engine, **adapter_kw)
    else:  # as `rollcall run` builds it
        (built,) = build_adapters(config, app.engine)
        assert isinstance(built, SlackAdapter)
        adapter = built
    web_app = make_web_app(app.store)
    adapter.add_routes(web_app)
    runner = await start_server(web_app, "127.0.0.1", 0)
    await adapter.start()
    http = aiohttp.ClientSession()
    url = f"http://127.0.0.1:{bound_port(runner)}/slack/events"
    try:
        yield SlackBot(
            fake=fake, config=config, app=app, adapter=adapter, clock=clock, url=url, http=http
        )
    finally:
        await http.close()
        await adapter.stop()
        await runner.cleanup()
        await app.close()
        await fake.close()


async def open_session_id(bot: SlackBot) -> str:
    sessions = await bot.engine.open_sessions(["evening-a"], bot.clock.now())
    assert len(sessions) == 1
    return sessions[0].id


async def end_with_survey(bot: SlackBot, *person_ids: str) -> str:
    """End the open session (the clock moves past its end) and send its survey."""
    from datetime import timedelta

    from tests.surveys import survey_sent

    session_id = await open_session_id(bot)
    session = await bot.engine.session(session_id)
    bot.clock.set(session.end + timedelta(minutes=5))
    await bot.engine.end_session(session_id, actor_id="test")
    await survey_sent(bot.app.store, session_id, *person_ids)
    return session_id
