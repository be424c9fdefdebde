"""Untrusted input, fuzzed with Hypothesis (issue 17): Discord gateway payloads through the
adapter's translate layer, and platform participant reports through the importers.

- INTERACTION_CREATE shapes (every field optional, any JSON where a field is expected):
  the options become the core's command text (`command_text`), custom ids become button
  presses (`parse_custom_id`), modal values survey answers (`survey_answers`); each goes
  to a real engine. Never an exception, never the "something went wrong" apology, never
  a public answer.
- VOICE_STATE_UPDATE shapes: the adapter's VoiceTracker turns each into presence
  evidence (bound channel or not, camera, streaming, no channel, odd ids and names).
- Zoom / Teams / Meet report files (the vendors' headers with fuzzed cells, and bytes
  in any encoding): `parse_report` gives a report or a ReportError naming the reason,
  never another exception; a report that parses imports whole or is refused with a
  UserError and nothing written.

After each run the store's invariants hold (tests/invariants.py). Budgets are modest so
the whole suite stays within CI's minutes (ROLLCALL_FUZZ_EXAMPLES to try more).
"""

from __future__ import annotations

import asyncio
import codecs
import dataclasses
import os
from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.discord.survey_form import FieldSpec, survey_answers
from adapters.discord.translate import (
    BUTTON_PREFIX,
    VoiceSnapshot,
    command_text,
    parse_custom_id,
)
from adapters.discord.voice import VoiceTracker
from adapters.importers.common import ReportError
from adapters.importers.translate import FORMATS, parse_report
from bot.core.actions import Reply
from bot.core.commands import COMMANDS
from bot.core.engine import BUTTONS
from bot.core.errors import UserError
from bot.core.events import Actor, ButtonPressed, CommandInvoked, SurveySubmitted
from bot.core.pipeline import SORRY
from tests.invariants import store_problems
from tests.unit.test_commands import GROUP_A, MON, PEOPLE, World

EXAMPLES = int(os.environ.get("ROLLCALL_FUZZ_EXAMPLES", "40"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
VOICE_ROOM = "700000000000000001"
NY = ZoneInfo("America/New_York")

# -- any JSON, where a field is expected -------------------------------------------------------

JSON: st.SearchStrategy[Any] = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**64), max_value=2**64)
    | st.floats(allow_nan=False)
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)


def maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """The field as Discord sends it, or any other JSON in its place."""
    return st.one_of(strategy, JSON)


OPTION_NAMES = sorted({o.name for s in COMMANDS.values() for o in (s.options or ())} | {"text"})
OPTION = st.fixed_dictionaries(
    {},
    optional={
        "name": maybe(st.sampled_from(OPTION_NAMES)),
        "type": maybe(st.sampled_from([1, 3, 4, 5, 6])),
        "value": maybe(
            st.sampled_from(["1001", "p-001", "present", "late", "high", "=cmd", "@everyone"])
            | st.text(max_size=40)
            | st.integers()
        ),
        "options": JSON,
        "focused": JSON,
    },
)
OPTIONS = st.one_of(st.lists(st.one_of(OPTION, JSON), max_size=5), JSON)
CUSTOM_ID = st.one_of(
    st.builds(
        lambda action, value: f"{BUTTON_PREFIX}:{action}:{value}",
        st.sampled_from([*BUTTONS, "nope", "MARK", ""]),
        st.sampled_from(["", "|", "x|p-001|present", "s|p-001|high", "s|1", "s|s2"])
        | st.text(max_size=30),
    ),
    st.text(max_size=40),
)
INTERACTION = st.fixed_dictionaries(
    {},
    optional={
        "type": maybe(st.sampled_from([2, 3, 5])),
        "guild_id": maybe(st.just("600000000000000001")),
        "channel_id": maybe(st.sampled_from(["ga-text", "800000000000000001"])),
        "user": maybe(st.fixed_dictionaries({}, optional={"id": maybe(st.just("1001"))})),
        "data": maybe(
            st.fixed_dictionaries(
                {},
                optional={
                    "name": maybe(st.sampled_from([*COMMANDS, "help", "nope"])),
                    "options": OPTIONS,
                    "custom_id": maybe(CUSTOM_ID),
                    "values": maybe(st.lists(st.text(max_size=20), max_size=3)),
                    "components": JSON,
                },
            )
        ),
    },
)


def _get(doc: Any, key: str) -> Any:
    return doc.get(key) if isinstance(doc, Mapping) else None


def _user_id(doc: Mapping[str, Any]) -> str:
    uid = _get(_get(doc, "user"), "id")
    return str(uid) if uid is not None else "1001"


async def _interactions(payloads: list[dict[str, Any]]) -> None:
    w = World()
    await w.setup()
    await w.store.upsert_person(dataclasses.replace(PEOPLE[3], discord_user_id="1001"))
    w.at(MON + timedelta(minutes=20))
    fields = [
        FieldSpec(question_id=q, label=q, description=None, kind="text") for q in ("helpful", "x")
    ]
    for n, doc in enumerate(payloads):
        data = _get(doc, "data")
        channel = _get(doc, "channel_id")
        actor = Actor(platform="discord", user_id=_user_id(doc))
        kind = _get(doc, "type")
        events: list[Any] = []
        name = _get(data, "name")
        if kind == 2 or isinstance(name, str):
            command = name if isinstance(name, str) else ""
            text = command_text(command, _get(data, "options") or [])
            assert isinstance(text, str)
            events.append(
                CommandInvoked(
                    actor=actor, command=command, text=text,
                    channel_id=channel if isinstance(channel, str) else None,
                    is_dm=_get(doc, "guild_id") is None, at=w.clock.now(), request_id=f"d-{n}",
                )
            )  # fmt: skip
        cid = _get(data, "custom_id")
        if isinstance(cid, str):
            parsed = parse_custom_id(cid)
            if parsed is not None:
                action, value = parsed
                events.append(
                    ButtonPressed(
                        actor=actor, action=action, value=value, at=w.clock.now(),
                        request_id=f"b-{n}", channel_id=None,
                    )
                )  # fmt: skip
        values = _get(data, "values")
        if kind == 5 and isinstance(values, list):
            answers = survey_answers(
                fields, dict(zip(("helpful", "x"), map(str, values), strict=False))
            )
            events.append(
                SurveySubmitted(
                    actor=actor, session_id=w.monday.id, answers=answers, at=w.clock.now(),
                    request_id=f"s-{n}",
                )
            )  # fmt: skip
        for event in events:
            for a in await w.engine.handle(event):
                if isinstance(a, Reply):
                    assert a.ephemeral, (doc, a.text)
                    assert a.text != SORRY, doc
    w.at(MON + timedelta(hours=4))
    await w.engine.end_session(w.monday.id, actor_id="fuzz")
    assert await store_problems(w.store) == []


@FUZZ
@given(st.lists(INTERACTION, min_size=1, max_size=6))
def test_fuzzed_discord_interactions_get_an_answer_never_a_crash(
    payloads: list[dict[str, Any]],
) -> None:
    asyncio.run(_interactions(payloads))


@FUZZ
@given(OPTIONS, st.sampled_from([*COMMANDS, "help", "", "nope"]))
def test_command_text_takes_any_options(options: Any, command: str) -> None:
    text = command_text(command, options)
    assert isinstance(text, str) and "\n" not in text


# -- voice states -------------------------------------------------------------------------------

VOICE_STATE = st.fixed_dictionaries(
    {},
    optional={
        "channel_id": maybe(st.sampled_from([VOICE_ROOM, "700000000000000002"])),
        "user_id": maybe(st.sampled_from(["1001", "1002", "9999"])),
        "session_id": maybe(st.text(max_size=12)),
        "self_video": maybe(st.booleans()),
        "self_stream": maybe(st.booleans()),
        "self_mute": maybe(st.booleans()),
        "member": maybe(
            st.fixed_dictionaries({}, optional={"nick": maybe(st.text(max_size=120)), "user": JSON})
        ),
    },
)


def _snapshot(doc: Mapping[str, Any]) -> VoiceSnapshot | None:
    """What discord.py's VoiceState gives the adapter (adapter._snapshot): no channel is
    out of voice; flags are truthy or not."""
    channel = doc.get("channel_id")
    if channel is None:
        return None
    return VoiceSnapshot(
        channel_id=str(channel),
        camera=bool(doc.get("self_video")),
        streaming=bool(doc.get("self_stream")),
    )


async def _voice(states: list[dict[str, Any]]) -> None:
    w = World()
    await w.setup()
    await w.store.upsert_group(dataclasses.replace(GROUP_A, discord_voice_channel_id=VOICE_ROOM))
    tracker = VoiceTracker(w.engine)
    assert await tracker.refresh_bound() == {VOICE_ROOM}
    for n, doc in enumerate(states):
        w.at(MON + timedelta(minutes=n))
        nick = _get(_get(doc, "member"), "nick")
        session = doc.get("session_id")
        await tracker.changed(
            "600000000000000001",
            str(doc.get("user_id", "1001")),
            _snapshot(doc),
            voice_session=session if isinstance(session, str) else None,
            display_name=nick if isinstance(nick, str) else None,
        )
    assert tracker.processed == len(states)
    w.at(MON + timedelta(hours=4))
    await w.engine.end_session(w.monday.id, actor_id="fuzz")
    assert await store_problems(w.store) == []


@FUZZ
@given(st.lists(VOICE_STATE, min_size=1, max_size=10))
def test_fuzzed_voice_states_become_sound_presence(states: list[dict[str, Any]]) -> None:
    asyncio.run(_voice(states))


# -- platform reports -----------------------------------------------------------------------------

HEADERS = {
    "zoom": "Name (Original Name),User Email,Join Time,Leave Time,Duration (Minutes),Guest",
    "meet": "First name,Last name,Email,Duration,Time joined,Time exited",
    "teams": "Name\tFirst Join\tLast Leave\tIn-Meeting Duration\tEmail\tParticipant ID (UPN)\tRole",
}
CELL = st.one_of(
    st.sampled_from([
        "", "Jordan", "jordan@example.org", "p-001", "12/01/2026 06:05:00 PM",
        "12/01/2026 08:55:00 PM", "12/01/26, 6:05:00 PM", "6:05 PM", "25:99 PM",
        "2026-12-01 18:05:00",
        "99/99/9999 99:99:99 PM", "=HYPERLINK(\"x\")", "\x1b[2J", "1 hr 2 min", "-5", "No", "Yes",
        "\"", "a,b", "x" * 300,
    ]),
    st.text(max_size=20),
)  # fmt: skip


@st.composite
def reports(draw: st.DrawFn) -> tuple[bytes, str | None]:
    fmt = draw(st.sampled_from(FORMATS))
    sep = "\t" if fmt == "teams" else ","
    header = HEADERS[fmt]
    if fmt == "teams":
        header = "1. Summary\nMeeting title\tGroup\n\n2. Participants\n" + header
    width = header.splitlines()[-1].count(sep) + 1
    lines = [header]
    for _ in range(draw(st.integers(0, 5))):
        cells = draw(st.lists(CELL, min_size=0, max_size=width + 2))
        lines.append(sep.join(cells))
    text = draw(st.sampled_from(["\n", "\r\n"])).join(lines)
    if draw(st.booleans()):
        text = draw(st.text(max_size=200)) + text  # junk before the table
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "latin-1"]))
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        data = text.encode("utf-8")
    if draw(st.booleans()):
        data = draw(st.binary(max_size=40)) + data
    return data, draw(st.sampled_from([None, fmt, "bogus"]))


async def _import(data: bytes, fmt: str | None) -> None:
    try:
        report = parse_report(data, fmt=fmt, tz=NY, day=date(2026, 12, 1))
    except ReportError as e:
        assert str(e).endswith("nothing was imported"), str(e)
        return
    w = World()
    await w.setup()
    session = await w.engine.create_session(
        group_id="ga", start=MON + timedelta(days=1), minutes=180, actor_id="test"
    )
    before = len(await w.store.ledger_page(limit=100_000))
    try:
        await w.engine.import_report(session.id, report, actor_id="cli")
    except UserError:
        # refused whole: nothing written
        assert len(await w.store.ledger_page(limit=100_000)) == before
    assert await store_problems(w.store) == []


@FUZZ
@given(reports())
def test_fuzzed_platform_reports_are_imported_or_refused_whole(
    report: tuple[bytes, str | None],
) -> None:
    asyncio.run(_import(*report))


@FUZZ
@given(st.binary(max_size=300), st.sampled_from([None, *FORMATS]))
def test_any_bytes_as_a_report_are_a_clear_refusal_or_a_report(
    data: bytes, fmt: str | None
) -> None:
    try:
        parse_report(data, fmt=fmt, tz=NY, day=date(2026, 12, 1))
    except ReportError as e:
        assert str(e).endswith("nothing was imported"), str(e)


def test_the_report_strategies_reach_a_real_import() -> None:
    """The generator is not all refusals: a well-formed Zoom row imports."""
    row = "Jordan,jordan@example.org,12/01/2026 06:05:00 PM,12/01/2026 08:55:00 PM,170,No"
    data = f"{HEADERS['zoom']}\n{row}\n".encode()
    report = parse_report(data, fmt=None, tz=NY, day=date(2026, 12, 1))
    assert len(report.stays) == 1
    assert codecs.lookup("utf-16")  # the encodings tried exist
