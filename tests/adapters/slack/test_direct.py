"""Plain slash commands skip bolt's dispatch (adapters.slack.direct) once bolt has let
one through: every answer, header and stored row is the same as through bolt, and
anything that is not a plain signed command still goes through bolt."""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

from adapters.slack import direct
from adapters.slack.shape import slash_command
from tests.adapters.slack.harness import FACILITATOR, P1, P2, SECRET, STRANGER, running_bot
from tests.fakes.slack import FORM, command_body, signed_headers

Build = Callable[[str, int], tuple[str, dict[str, str]]]


def _command(user: str, command: str, text: str = "") -> Build:
    def build(response_url: str, n: int) -> tuple[str, dict[str, str]]:
        body = command_body(
            command, text, user_id=user, response_url=response_url, trigger_id=f"trig-{n}"
        )
        return body, signed_headers(SECRET, body, content_type=FORM)

    return build


def _odd(
    body_of: Callable[[str], str],
    *,
    secret: str = SECRET,
    age: float = 0.0,
    content_type: str = FORM,
    extra: dict[str, str] | None = None,
) -> Build:
    def build(response_url: str, n: int) -> tuple[str, dict[str, str]]:
        body = body_of(response_url)
        headers = signed_headers(secret, body, age=age, content_type=content_type)
        return body, {**headers, **(extra or {})}

    return build


def _plain(url: str, command: str = "/checkin", text: str = "") -> str:
    return command_body(command, text, user_id=P2, response_url=url, trigger_id="trig-odd")


#: each request, and whether bolt answers it even once plain commands skip its dispatch
SCRIPT: list[tuple[Build, bool]] = [
    (_command(P1, "/checkin", "bus late"), True),  # the first goes through bolt
    (_command(P1, "/checkin"), False),  # a repeat, from memory
    (_command(P2, "/checkin", "hi &amp; <@U0001|x>"), False),  # a first: the durable write
    (_command(STRANGER, "/checkin"), False),
    (_command(P1, "/help"), False),
    (_command(P2, "/roster"), False),  # slow: acked empty, answered through response_url
    (_command(FACILITATOR, "/roster"), False),
    (_command(P1, "/checkout"), False),
    (_command(P1, "/nosuch"), False),
    (_command(P2, "/CHECKIN", "again"), False),
    (_odd(_plain, content_type=""), False),  # aiohttp's octet-stream: still a form
    # not plain, signed slash commands: bolt's to answer (or refuse), as before
    (_odd(_plain, secret="wrong-secret"), True),
    (_odd(_plain, age=600), True),
    (_odd(lambda url: _plain(url) + "&ssl_check=1"), True),
    (_odd(lambda url: _plain(url) + "&type=url_verification&challenge=c"), True),
    (_odd(lambda url: _plain(url, command="checkin")), True),
    (_odd(_plain, content_type="application/json"), True),
    (_odd(_plain, extra={"X-Slack-Bolt-Lazy-Only": "1"}), True),
    (_odd(lambda url: _plain(url) + "&payload=x"), True),
    (_odd(lambda url: urllib.parse.urlencode({"ssl_check": "1", "token": "legacy"})), True),
]


async def _run(tmp_path: Path, *, direct: bool) -> dict[str, Any]:
    async with running_bot(tmp_path, direct_commands=direct) as bot:
        dispatched: list[int] = []
        through_bolt = bot.adapter.app.async_dispatch

        async def counting(req: AsyncBoltRequest) -> BoltResponse:
            dispatched.append(len(answers))
            return await through_bolt(req)

        bot.adapter.app.async_dispatch = counting  # type: ignore[method-assign]
        answers: list[tuple[int, dict[str, str], str]] = []
        for n, (build, _) in enumerate(SCRIPT):
            body, headers = build(bot.fake.response_url(), n)
            async with bot.http.post(bot.url, data=body.encode(), headers=headers) as resp:
                kept = {k: v for k, v in resp.headers.items() if k not in ("Date",)}
                answers.append((resp.status, kept, await resp.text()))
        await bot.settle()
        store = bot.app.store
        return {
            "answers": answers,
            "later": sorted(repr(body) for _, body in bot.fake.responses),
            "evidence": [
                (e.kind, e.person_id, e.session_id, e.at, e.source, e.key)
                for e in await store.evidence()
            ],
            "notes": await store.notes_for("p-002"),
            "audit": [(a.action, a.actor_id, a.target) for a in await store.audit_page()],
            "dispatched": dispatched,
        }


async def test_direct_commands_answer_and_store_as_bolt_does(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    through_bolt = await _run(tmp_path_factory.mktemp("bolt"), direct=False)
    direct = await _run(tmp_path_factory.mktemp("direct"), direct=True)
    for n, (want, got) in enumerate(zip(through_bolt["answers"], direct["answers"], strict=True)):
        assert got == want, f"request {n}"
    for key in ("later", "evidence", "notes", "audit"):
        assert direct[key] == through_bolt[key], key
    # through bolt: every request it did not refuse before its dispatch (400)
    refused = [n for n, (status, _, _) in enumerate(through_bolt["answers"]) if status == 400]
    assert through_bolt["dispatched"] == [n for n in range(len(SCRIPT)) if n not in refused]
    # direct: the first command and the requests that are not plain commands
    bolts = [n for n, (_, bolt) in enumerate(SCRIPT) if bolt and n not in refused]
    assert direct["dispatched"] == bolts and len(bolts) >= 7
    statuses = [status for status, _, _ in direct["answers"]]
    assert statuses[:11] == [200] * 11 and statuses.count(401) == 2
    assert len(direct["evidence"]) == 3  # two check-ins and a checkout


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("command=%2Fcheckin&text=&user_id=U1&channel_id=C1", "application/x-www-form-urlencoded"),
        ("command=%2Fcheckin&text=a&text=b&user_id=U1", None),
        ("command=%2Fcheckin&text=%26+%3D+%2B&user_id=U1&channel_name=directmessage", None),
        ("command=%2Fcheckin&user_id=U1", "application/x-www-form-urlencoded; charset=utf-8"),
        ("command=checkin&user_id=U1", None),
        ("command=%2Fcheckin&user_id=U1", "application/json"),
        ("command=%2Fcheckin&user_id=U1", "application/json; charset=utf-8"),
        ("command=%2Fcheckin&user_id=U1", "application/json;charset=utf-8"),
        ("command=%2Fcheckin&user_id=U1", "Application/JSON"),  # bolt: a form
        ("command=%2Fcheckin&user_id=U1", "application/json ; charset=utf-8"),  # a form too
        ("command=%2Fcheckin&user_id=U1", ""),
        ('{"command": "/checkin"}', None),
        ("command=%2Fcheckin&payload=%7B%7D", None),
        ("command=%2Fcheckin&text=my+payload", None),
        ("command=%2Fcheckin&ssl_check=1", None),
        ("command=%2Fcheckin&type=event_callback", None),
        ("command=%2Fcheckin&event=x", None),
        ("text=hi&user_id=U1", None),
        ("", None),
        ("=&&command=%2Fx", None),
    ],
)
def test_a_plain_command_is_parsed_as_bolt_parses_it(body: str, content_type: str | None) -> None:
    """`content_type` is the whole header, as the adapter passes it and bolt gets it."""
    form = slash_command(body, content_type)
    headers = {"Content-Type": content_type} if content_type is not None else {}
    try:  # what bolt reads from the same request (extract_content_type, parse_body)
        bolt: Any = AsyncBoltRequest(body=body, headers=headers).body
    except ValueError:
        bolt = None  # bolt can't read it: refused as unreadable
    media = (content_type or "").split(";")[0]
    if media == "application/json":  # JSON to bolt, whatever follows the ";"
        assert form is None
    if form is not None:
        assert form == bolt
        assert form["command"].startswith("/")
    else:
        simple = (
            isinstance(bolt, dict)
            and str(bolt.get("command", "")).startswith("/")
            and set(bolt) <= {"command", "text", "user_id", "channel_id", "channel_name"}
            and "payload" not in body
            and not body.startswith("{")  # JSON is left to bolt, on purpose
            and media != "application/json"
        )
        assert not simple, "a plain command left to bolt"


ANSWERS = [
    BoltResponse(status=200, body={"response_type": "ephemeral", "text": "hé — ok"}),
    BoltResponse(status=200, body=""),
    BoltResponse(status=500),
    BoltResponse(status=404, body={"error": "unhandled request"}),
    BoltResponse(status=200, body="plain", headers={"X-Extra": "1"}),  # not one of ours
    BoltResponse(status=200, body="{}", headers={"content-type": "application/vnd.x+json"}),
]


async def test_to_response_sends_what_to_aiohttp_response_sends() -> None:
    """On the wire: status, every header but Date, and the body's bytes."""

    async def serve(request: web.Request) -> web.StreamResponse:
        n, how = int(request.match_info["n"]), request.match_info["how"]
        answer = ANSWERS[n]
        copy = BoltResponse(status=answer.status, body=answer.body, headers=dict(answer.headers))
        return await (direct.to_response if how == "direct" else to_aiohttp_response)(copy)

    app = web.Application()
    app.router.add_get("/{how}/{n}", serve)
    async with TestServer(app) as server, aiohttp.ClientSession() as http:
        for n in range(len(ANSWERS)):
            got = []
            for how in ("bolt", "direct"):
                async with http.get(server.make_url(f"/{how}/{n}")) as resp:
                    headers = [(k, v) for k, v in resp.headers.items() if k != "Date"]
                    got.append((resp.status, headers, await resp.read()))
            assert got[0] == got[1], n
