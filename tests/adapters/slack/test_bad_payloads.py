"""Signed Slack interaction payloads with any field missing or of the wrong type: a 2xx
or a 4xx, never a 500, and nothing half-written (issue 17: `view_submission` without
`view.type` was a 500)."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tests.adapters.slack.harness import P1, running_bot
from tests.fakes.slack import (
    block_action_payload,
    interactive_body,
    view_submission_payload,
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every key path of a JSON object (list items by index)."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield (*prefix, k)
            yield from _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield (*prefix, i)
            yield from _paths(v, (*prefix, i))


def _without(payload: dict[str, Any], path: tuple[Any, ...], replace: Any = ...) -> Any:
    out = copy.deepcopy(payload)
    parent = out
    for step in path[:-1]:
        parent = parent[step]
    if replace is ...:
        del parent[path[-1]]
    else:
        parent[path[-1]] = replace
    return out


async def test_interaction_payloads_missing_any_field_are_never_a_500(tmp_path: Path) -> None:
    survey = view_submission_payload(
        user_id=P1, session_id="s-none", answers={"rating": ("static_select", "4")}
    )
    button = block_action_payload(
        user_id=P1, action_id="rc:checkin", value="s-none", response_url="", channel_id="C0001"
    )
    async with running_bot(tmp_path) as bot:
        before = len(await bot.app.store.ledger_page(limit=10_000))
        # the case found from outside: a signed view_submission without view.type
        untyped = await bot.send(interactive_body(_without(survey, ("view", "type"))))
        assert untyped.status == 400, untyped.text
        tried = 0
        for payload in (survey, button):
            for path in _paths(payload):
                for variant in (..., None, 7, [], "x"):
                    sent = await bot.send(interactive_body(_without(payload, path, variant)))
                    tried += 1
                    assert sent.status < 500, (path, variant, sent.status, sent.text)
        await bot.settle()
        assert tried > 100
        # no payload named an open session: nothing was recorded
        assert len(await bot.app.store.ledger_page(limit=10_000)) == before
