"""What keeps plain slash commands on bolt's dispatch (adapters.slack.direct): a
dispatch that is not the one the adapter set up (a middleware added at any time, a
listener before the command's, listener middleware, a custom error handler), a first
command bolt refused; and the answers the direct path must give as bolt gives them (a
listener raising, one never acking, a timestamp that is not one)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

from adapters.slack import direct, translate
from tests.adapters.slack.harness import P1, SECRET, SlackBot, running_bot
from tests.fakes.slack import FORM, command_body, signed_headers

Answer = tuple[int, list[tuple[str, str]], str]


async def _deny_all(next: Callable[[], Awaitable[None]]) -> BoltResponse:
    return BoltResponse(status=403, body="denied")


async def _pass(next: Callable[[], Awaitable[None]]) -> None:
    await next()


def _counting(bot: SlackBot) -> list[int]:
    dispatched: list[int] = []
    through_bolt = bot.adapter.app.async_dispatch

    async def counting(req: AsyncBoltRequest) -> BoltResponse:
        dispatched.append(1)
        return await through_bolt(req)

    bot.adapter.app.async_dispatch = counting  # type: ignore[method-assign]
    return dispatched


async def _help(bot: SlackBot) -> None:
    sent = await bot.command(P1, "/help")
    assert sent.status == 200 and sent.json["response_type"] == "ephemeral"


def _listener_first(app: AsyncApp) -> None:
    async def other(ack: AsyncAck) -> None:
        await ack(text="other")

    app.command("/help")(other)
    app._async_listeners.insert(0, app._async_listeners.pop())


def _listener_middleware(app: AsyncApp) -> None:
    app.use(_pass)  # built as bolt builds a listener's middleware
    app._async_listeners[0].middleware.append(app._async_middleware_list.pop())


def _error_handler(app: AsyncApp) -> None:
    async def on_error(error: Exception) -> None:
        return None

    app.error(on_error)


CHANGES: dict[str, Callable[[AsyncApp], None]] = {
    "a middleware": lambda app: app.use(_pass),
    "a listener first": _listener_first,
    "listener middleware": _listener_middleware,
    "an error handler": _error_handler,
}


async def test_a_middleware_added_after_the_first_command_still_runs(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with running_bot(tmp_path, direct_commands=True) as bot:
        await _help(bot)
        assert bot.adapter._shortcut.on  # from now on, plain commands skip the dispatch
        bot.adapter.app.use(_deny_all)
        with caplog.at_level(logging.WARNING, logger="rollcall.slack"):
            for _ in range(3):
                sent = await bot.command(P1, "/help")
                assert (sent.status, sent.text) == (403, "denied")
        assert not bot.adapter._shortcut.on
        warned = [r for r in caplog.records if "go through bolt's dispatch" in r.getMessage()]
        assert len(warned) == 1 and "middleware" in warned[0].getMessage()


@pytest.mark.parametrize("before", [True, False], ids=["before", "after"])
@pytest.mark.parametrize("change", list(CHANGES))
async def test_a_dispatch_not_set_up_here_keeps_commands_on_bolt(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, change: str, before: bool
) -> None:
    async with running_bot(tmp_path, direct_commands=True) as bot:
        dispatched = _counting(bot)
        if before:
            CHANGES[change](bot.adapter.app)
        else:
            await _help(bot)
            CHANGES[change](bot.adapter.app)
            dispatched.clear()
        with caplog.at_level(logging.WARNING, logger="rollcall.slack"):
            for _ in range(3):
                sent = await bot.command(P1, "/help")
                assert sent.status == 200
        assert not bot.adapter._shortcut.on
        assert len(dispatched) == 3  # every one through bolt
        warned = [r for r in caplog.records if "go through bolt's dispatch" in r.getMessage()]
        # a listener put first answers before the adapter's ever runs: nothing to turn off
        assert len(warned) == (0 if before and change == "a listener first" else 1)
    assert direct.dispatch_problem(bot.adapter.app, bot.adapter._on_bolt_command) is not None


async def test_the_dispatch_set_up_here_has_no_problem(tmp_path: Path) -> None:
    async with running_bot(tmp_path, direct_commands=True) as bot:
        assert direct.dispatch_problem(bot.adapter.app, bot.adapter._on_bolt_command) is None
        assert direct.dispatch_problem(bot.adapter.app, bot.adapter._on_action) is not None


async def test_a_first_command_refused_by_authorization_keeps_bolt(tmp_path: Path) -> None:
    async with running_bot(tmp_path, direct_commands=True) as bot:
        dispatched = _counting(bot)
        bot.fake.fail("auth.test", "invalid_auth")
        for _ in range(2):
            sent = await bot.command(P1, "/help")
            assert sent.status == 200 and "response_type" not in sent.text  # bolt's apology
        assert not bot.adapter._shortcut.on and len(dispatched) == 2


async def _raw(bot: SlackBot, body: str, headers: Mapping[str, str]) -> Answer:
    async with bot.http.post(bot.url, data=body.encode(), headers=dict(headers)) as resp:
        kept = [(k, v) for k, v in resp.headers.items() if k != "Date"]
        return resp.status, kept, await resp.text()


async def _after_warm_up(
    tmp_path: Path, direct_commands: bool, change: Callable[[SlackBot], None]
) -> tuple[Answer, bool]:
    async with running_bot(tmp_path, direct_commands=direct_commands) as bot:
        await _help(bot)
        change(bot)
        body = command_body("/help", "", user_id=P1, response_url=bot.fake.response_url())
        answer = await _raw(bot, body, signed_headers(SECRET, body, content_type=FORM))
        await bot.settle()
        return answer, bot.adapter._shortcut.on


async def test_a_listener_raising_answers_as_bolt_does(
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def boom(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("boom")

    def change(bot: SlackBot) -> None:
        monkeypatch.setattr(translate, "reply_message", boom)

    got = {}
    for on in (False, True):
        got[on] = await _after_warm_up(tmp_path_factory.mktemp(str(on)), on, change)
        monkeypatch.undo()
    assert got[True] == (got[False][0], True)  # the direct path did answer
    assert got[True][0][0] == 500 and got[True][0][2] == ""
    assert any(r.levelno == logging.ERROR for r in caplog.records)


async def test_a_listener_never_acking_answers_as_bolt_does(
    tmp_path_factory: pytest.TempPathFactory, caplog: pytest.LogCaptureFixture
) -> None:
    async def silent(ack: AsyncAck, body: Mapping[str, Any]) -> None:
        return None

    def change(bot: SlackBot) -> None:
        bot.adapter._on_command = silent  # type: ignore[method-assign]

    got = {}
    for on in (False, True):
        with caplog.at_level(logging.WARNING, logger="rollcall.slack"):
            caplog.clear()
            got[on] = await _after_warm_up(tmp_path_factory.mktemp(str(on)), on, change)
        acks = [r for r in caplog.records if "did not call ack()" in r.getMessage()]
        assert len(acks) == (1 if on else 0)
    assert got[True] == (got[False][0], True)
    assert got[True][0][0] == 404


@pytest.mark.parametrize("timestamp", ["x", "", "12ab", "-5", "1_700_000_000", "9" * 5000])
@pytest.mark.parametrize("warm", [False, True], ids=["cold", "warm"])
@pytest.mark.parametrize("kind", ["command", "event"])
async def test_a_timestamp_that_is_not_one_is_refused_as_unsigned(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, timestamp: str, warm: bool, kind: str
) -> None:
    async with running_bot(tmp_path, direct_commands=True) as bot:
        if warm:
            await _help(bot)
        if kind == "command":
            body, content_type = command_body("/help", "", user_id=P1), FORM
        else:
            body, content_type = '{"type": "event_callback", "event": {}}', "application/json"
        forged = signed_headers("wrong-secret", body, content_type=content_type)
        bad = {**forged, direct.TIMESTAMP: timestamp}
        with caplog.at_level(logging.INFO):
            want, got = await _raw(bot, body, forged), await _raw(bot, body, bad)
        assert got == want and got[0] == 401 and got[2] == '{"error": "invalid request"}'
        assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
        refusals = [r for r in caplog.records if "request refused" in r.getMessage()]
        assert len(refusals) == 2
        assert bot.adapter._shortcut.on is warm


TIMESTAMPS = [(None, True), ("1764680000", True), ("0", True), ("9" * 15, True)]
NOT_TIMESTAMPS = ["x", "", "１２", "²", " 12", "-5", "9" * 16]


@pytest.mark.parametrize(
    ("timestamp", "readable"), [*TIMESTAMPS, *((t, False) for t in NOT_TIMESTAMPS)]
)
def test_readable_timestamp(timestamp: str | None, readable: bool) -> None:
    headers = {} if timestamp is None else {direct.TIMESTAMP: timestamp}
    assert direct.readable_timestamp(headers) is readable
    signed = direct.signed("a=b", headers, direct.SignatureVerifier(SECRET))
    assert signed is False  # never raises
