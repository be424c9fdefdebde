"""Bad input, fuzzed with Hypothesis (issue 17): never an exception, never the "something
went wrong" apology (the chat's 500), never a public answer, and the store's
invariants (tests/invariants.py) hold after every run.

Budgets are modest so the whole suite stays within CI's minutes; set
ROLLCALL_FUZZ_EXAMPLES to try more locally. The figures of the last run are printed by
`pytest -s` (fuzz cases tried).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.config import ConfigError, parse_config
from bot.core.actions import Reply
from bot.core.commands import COMMANDS
from bot.core.engine import BUTTONS, Engine
from bot.core.events import Actor, ButtonPressed, SurveySubmitted
from bot.core.pipeline import SORRY
from tests.invariants import store_problems
from tests.unit.test_commands import MON, PEOPLE, World

EXAMPLES = int(os.environ.get("ROLLCALL_FUZZ_EXAMPLES", "60"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

WHO = st.sampled_from([p.id for p in PEOPLE] + ["nobody", ""])
WHERE = st.sampled_from(["ga", "gb", None, "elsewhere"])
NAMES = st.sampled_from([*COMMANDS, "help", "", "CHECKIN", "/roster", "rm -rf"])
TOKENS = st.one_of(
    st.sampled_from(
        [
            "@p-001",
            "@p-003",
            "<@U1>",
            "<@U1|x>",
            "present",
            "late",
            "absent",
            "excused",
            "participation=high",
            "participation=",
            "minutes=5",
            "2026-11-30",
            "ga",
            "gb",
            "tomorrow",
            "=1+1",
            "\x1b[2J",
            "@channel",
            "x" * 600,
        ]
    ),
    st.text(max_size=30),
)
ARGS = st.lists(TOKENS, max_size=6).map(" ".join)
MINUTES = st.integers(min_value=-60 * 24, max_value=60 * 24 * 3)


def _step() -> st.SearchStrategy[tuple[str, ...]]:
    command = st.tuples(st.just("command"), WHO, NAMES, ARGS, WHERE.map(str), MINUTES.map(str))
    button = st.tuples(
        st.just("button"),
        WHO,
        st.sampled_from([*BUTTONS, "nope"]),
        st.one_of(st.text(max_size=40), st.just("x|p-001|present")),
        st.just(""),
        MINUTES.map(str),
    )
    survey = st.tuples(
        st.just("survey"),
        WHO,
        st.sampled_from(["", "nope"]),
        st.text(max_size=50),
        st.sampled_from(["rating", "attended", "comments", "other"]),
        MINUTES.map(str),
    )
    return st.one_of(command, button, survey)


async def _run(steps: list[tuple[str, ...]]) -> None:
    w = World()
    await w.setup()
    engine: Engine = w.engine
    for n, (kind, who, name, text, where, minutes) in enumerate(steps):
        w.at(MON + timedelta(minutes=int(minutes)))
        if kind == "command":
            channel = None if where == "None" else where
            actions = await w.chat.send(who, f"/{name} {text}", channel=channel)
        elif kind == "button":
            actions = await engine.handle(
                ButtonPressed(
                    actor=Actor(platform="console", user_id=who),
                    action=name,
                    value=text,
                    at=w.clock.now(),
                    request_id=f"fuzz-{n}",
                    channel_id=None,
                )
            )
        else:
            sid = name or w.monday.id
            actions = await engine.handle(
                SurveySubmitted(
                    actor=Actor(platform="console", user_id=who),
                    session_id=sid,
                    answers=((where, text),),
                    at=w.clock.now(),
                    request_id=f"fuzz-{n}",
                )
            )
        for a in actions:
            if isinstance(a, Reply):
                assert a.ephemeral, (kind, name, text, a.text)
                assert a.text != SORRY, (kind, who, name, text)
    # and the ended session's records, recomputed from whatever the fuzz left
    w.at(MON + timedelta(hours=4))
    await engine.end_session(w.monday.id, actor_id="fuzz")
    assert await store_problems(w.store) == []


@FUZZ
@given(st.lists(_step(), min_size=1, max_size=8))
def test_fuzzed_chat_input_never_crashes_and_keeps_the_store_sound(
    steps: list[tuple[str, ...]],
) -> None:
    asyncio.run(_run(steps))


# -- config files ------------------------------------------------------------------------

_SCALAR = st.one_of(
    st.integers(min_value=-(2**40), max_value=2**40),
    st.booleans(),
    st.text(max_size=20),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(["${UNSET_VAR}", "sqlite:///x.db", "08:00", "21:00-08:00", "PT15M"]),
)
_VALUE = st.one_of(_SCALAR, st.lists(_SCALAR, max_size=3))
_SECTIONS = ["storage", "server", "slack", "discord", "zoom", "email", "sms", "program",
             "program.policy", "program.reminders", "privacy", "bogus"]  # fmt: skip
_KEYS = ["url", "port", "host", "enabled", "mode", "name", "timezone", "retention_days",
         "signing_secret", "bot_token", "token", "secret_token", "weekly_min_hours",
         "quiet_hours", "before", "from_address", "x"]  # fmt: skip


def _toml_value(v: object) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, float):
        return repr(v) if "e" not in repr(v) and "." in repr(v) else f"{v:.1f}"
    if isinstance(v, int):
        return str(v)
    return json.dumps(v)


def _toml(doc: dict[str, dict[str, object]]) -> str:
    out = []
    for section, values in doc.items():
        out.append(f"[{section}]")
        out += [f"{k} = {_toml_value(v)}" for k, v in values.items()]
    return "\n".join(out) + "\n"


CONFIGS = st.dictionaries(
    st.sampled_from(_SECTIONS),
    st.dictionaries(st.sampled_from(_KEYS), _VALUE, max_size=4),
    max_size=5,
)


@FUZZ
@given(CONFIGS)
def test_fuzzed_config_files_are_accepted_or_refused_with_reasons(
    doc: dict[str, dict[str, object]],
) -> None:
    text = _toml(doc)
    try:
        parse_config(text, {}, source="fuzz.toml")
    except ConfigError as e:
        assert e.errors or str(e), text
        assert "Traceback" not in str(e)


@FUZZ
@given(st.text(max_size=200))
def test_config_text_that_is_not_toml_is_a_config_error(text: str) -> None:
    with contextlib.suppress(ConfigError):
        parse_config(text, {}, source="fuzz.toml")


# -- payloads at the edges (pure translation) --------------------------------------------

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=10),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


def _zoom_doc() -> st.SearchStrategy[object]:
    participant = st.fixed_dictionaries(
        {},
        optional={
            "user_id": JSON, "participant_uuid": JSON, "user_name": JSON, "email": JSON,
            "join_time": st.one_of(JSON, st.just("2026-11-30T18:00:00Z")),
            "leave_time": st.one_of(JSON, st.just("2026-11-30T19:00:00Z")),
        },
    )  # fmt: skip
    obj = st.fixed_dictionaries({}, optional={"id": JSON, "uuid": JSON, "participant": participant})
    payload = st.fixed_dictionaries({}, optional={"object": obj, "plainToken": JSON})
    event = st.sampled_from(
        ["meeting.participant_joined", "meeting.participant_left", "meeting.ended",
         "endpoint.url_validation", "x"]
    )  # fmt: skip
    return st.one_of(
        JSON,
        st.fixed_dictionaries({}, optional={"event": event, "payload": payload, "event_ts": JSON}),
    )


@FUZZ
@given(_zoom_doc())
def test_zoom_payloads_translate_or_are_bad_payloads(doc: object) -> None:
    from adapters.zoom.translate import BadPayload, parse_body, translate

    body = json.dumps(doc).encode()
    with contextlib.suppress(BadPayload):
        translate(parse_body(body))


@FUZZ
@given(st.text(max_size=300))
def test_slack_interaction_shapes_are_judged_without_exceptions(text: str) -> None:
    from adapters.slack.shape import payload_problem

    payload_problem(text)
    payload_problem("payload=" + text)


@FUZZ
@given(JSON)
def test_slack_interaction_json_is_judged_without_exceptions(doc: object) -> None:
    from urllib.parse import quote

    from adapters.slack.shape import payload_problem

    payload_problem("payload=" + quote(json.dumps(doc)))


@pytest.mark.parametrize(
    "bad", ["", "x" * 10, "\x00", "[", "a = ", '[privacy]\nretention_days = "x"']
)
def test_config_examples(bad: str) -> None:
    with contextlib.suppress(ConfigError):
        parse_config(bad, {}, source="fuzz.toml")
