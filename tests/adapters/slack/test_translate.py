"""Payloads ↔ core types, without any I/O."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from adapters.slack import translate
from adapters.slack.blocks import (
    MAX_MESSAGE_BLOCKS,
    action_id,
    pages,
    parse_action_id,
    roster_blocks,
    survey_modal,
)
from bot.core.actions import (
    Button,
    ChannelPost,
    DirectMessage,
    Reply,
    RosterRow,
    RosterView,
    SurveyForm,
    SurveyQuestionView,
)
from bot.core.timeutil import zone
from tests.fakes.slack import block_action_payload, view_submission_payload

AT = datetime(2026, 5, 4, 22, 5, tzinfo=UTC)
TZ = zone("America/New_York")


def test_mentions_lose_their_labels_and_entities_are_undone() -> None:
    text = "<@U0002|morgan z> present note &lt;ok&gt; &amp; <@W0ABC> <#C1|general>"
    assert translate.normalise_text(text) == "<@U0002> present note <ok> & <@W0ABC> <#C1|general>"


def test_slash_command_form_becomes_command_invoked() -> None:
    form = {
        "command": "/Verify",
        "text": " <@U0002|morgan> excused  ",
        "user_id": "U0F001",
        "channel_id": "C0001",
        "channel_name": "group-a",
        "trigger_id": "t-1",
        "response_url": "https://hooks.example/1",
    }
    ev = translate.command_event(form, at=AT)
    assert ev.command == "verify"
    assert ev.text == "<@U0002> excused"
    assert ev.actor.platform == "slack" and ev.actor.user_id == "U0F001"
    assert ev.channel_id == "C0001" and not ev.is_dm
    assert ev.request_id == "slack:t-1"
    dm = translate.command_event(form | {"channel_id": "D0001", "channel_name": "x"}, at=AT)
    assert dm.is_dm


def test_missing_fields_do_not_crash() -> None:
    ev = translate.command_event({}, at=AT)
    assert ev.command == "" and ev.actor.user_id == "" and ev.channel_id is None


def test_block_action_becomes_button_pressed() -> None:
    body = block_action_payload(
        user_id="U0F001", action_id=action_id("mark", 3), value="s|p-1|excused", response_url=""
    )
    ev = translate.button_event(body, body["actions"][0], at=AT)
    assert ev is not None
    assert (ev.action, ev.value, ev.channel_id) == ("mark", "s|p-1|excused", "C0001")
    assert ev.actor.user_id == "U0F001"
    other = dict(body["actions"][0], action_id="someone-elses")
    assert translate.button_event(body, other, at=AT) is None


def test_overflow_menu_carries_action_and_value() -> None:
    body = block_action_payload(user_id="U1", action_id="rc:menu:0", value="", response_url="")
    action = {
        "type": "overflow",
        "action_id": "rc:menu:0",
        "selected_option": {"value": "mark:s|p-1|absent"},
    }
    ev = translate.button_event(body, action, at=AT)
    assert ev is not None and (ev.action, ev.value) == ("mark", "s|p-1|absent")


def test_action_ids_round_trip() -> None:
    assert parse_action_id(action_id("checkin", 12)) == "checkin"
    assert parse_action_id("rc:") is None and parse_action_id("x") is None


def test_view_submission_becomes_survey_submitted() -> None:
    body = view_submission_payload(
        user_id="U0001",
        session_id="evening-a-2026-05-04",
        answers={
            "attended": ("radio_buttons", "yes"),
            "helpful": ("radio_buttons", "4"),
            "notes": ("plain_text_input", "  good  "),
            "skipped": ("plain_text_input", ""),
        },
    )
    ev = translate.survey_event(body, at=AT)
    assert ev is not None
    assert ev.session_id == "evening-a-2026-05-04"
    assert dict(ev.answers) == {"attended": "yes", "helpful": "4", "notes": "good"}
    assert translate.survey_event({"view": {}}, at=AT) is None


def _roster(n: int) -> RosterView:
    rows = tuple(
        RosterRow(
            person_id=f"p-{i}",
            display_name=f"P<{i}>",
            status="present",
            checked_in_at=AT,
            in_room=False,
            minutes=5,
            camera_minutes=0,
            camera_known=False,
            flags=("late_notice",) if i == 0 else (),
        )
        for i in range(n)
    )
    buttons = tuple(
        (
            r.person_id,
            tuple(
                Button(label=s.title(), action="mark", value=f"s|{r.person_id}|{s}")
                for s in ("present", "absent", "excused")
            ),
        )
        for r in rows
    )
    return RosterView(
        session_id="s",
        group_name="G",
        title="G — Mon 6:00 PM–9:00 PM",
        rows=rows,
        guests=("Guest 1",),
        counts=(("enrolled", n),),
        buttons_for=buttons,
    )


def test_roster_has_buttons_per_participant_and_escapes_names() -> None:
    blocks = roster_blocks(_roster(3), TZ)
    actions = [b for b in blocks if b["type"] == "actions"]
    assert len(actions) == 3
    labels = [[e["text"]["text"] for e in a["elements"]] for a in actions]
    assert labels[0] == ["Present", "Absent", "Excused"]
    ids = [e["action_id"] for a in actions for e in a["elements"]]
    assert len(ids) == len(set(ids))
    text = json.dumps(blocks)
    assert "P&lt;0&gt;" in text and "checked in 6:05 PM" in text and "late_notice" in text


def _controls_of(block: dict[str, Any]) -> list[dict[str, Any]]:
    if block["type"] == "actions":
        return list(block["elements"])
    accessory = block.get("accessory")
    return [accessory] if accessory else []


def _check_limits(blocks: list[dict[str, Any]]) -> None:
    """Slack's documented limits: 50 blocks a message, 3000 characters a section, 150 a
    header, 25 elements an actions block, 100 options a select, 150 an option value,
    75 a button label, 2000 a button value, 255 an action_id (unique in the message)."""
    assert len(blocks) <= MAX_MESSAGE_BLOCKS
    ids = []
    for b in blocks:
        if b["type"] == "header":
            assert len(b["text"]["text"]) <= 150
        if b["type"] == "section":
            assert len(b["text"]["text"]) <= 3000
        if b["type"] == "actions":
            assert len(b["elements"]) <= 25
        for e in _controls_of(b):
            ids.append(e["action_id"])
            assert len(e["action_id"]) <= 255
            if e["type"] == "button":
                assert len(e["text"]["text"]) <= 75 and len(e["value"]) <= 2000
            else:
                assert 1 <= len(e["options"]) <= 100
                assert all(len(o["value"]) <= 150 for o in e["options"])
    assert len(ids) == len(set(ids))


def _marked(blocks: list[dict[str, Any]]) -> list[str]:
    """The people this message lets a facilitator mark, in order."""
    out: list[str] = []
    for b in blocks:
        for e in _controls_of(b):
            if e["type"] == "button":
                values = [e["value"]] if e["action_id"].startswith("rc:mark") else []
            else:
                values = [o["value"] for o in e["options"] if o["value"].startswith("mark:")]
            for v in values:
                person = v.split("|")[1]
                if person not in out:
                    out.append(person)
    return out


@pytest.mark.parametrize("n", [1, 25, 26, 45, 46, 60, 150])
def test_every_person_of_any_roster_can_be_seen_and_marked(n: int) -> None:
    view = _roster(n)
    count = pages(view)
    seen: list[str] = []
    for page in range(count):
        blocks = roster_blocks(dataclasses.replace(view, page=page), TZ)
        _check_limits(blocks)
        marked = _marked(blocks)
        text = json.dumps(blocks)
        for pid in marked:
            assert f"P&lt;{pid[2:]}&gt;" in text  # shown where it can be marked
        seen += marked
        nav = [
            e["value"]
            for b in blocks
            if b["type"] == "actions"
            for e in b["elements"]
            if e["action_id"].startswith("rc:page")
        ]
        expected = []
        if page > 0:
            expected.append(f"s|{page - 1}")
        if page < count - 1:
            expected.append(f"s|{page + 1}")
        assert nav == expected
        if count > 1:
            assert f"Page {page + 1} of {count}" in text
    assert seen == [f"p-{i}" for i in range(n)]  # everyone, once, in the roster's order


def test_a_big_rosters_select_keeps_its_page() -> None:
    blocks = roster_blocks(dataclasses.replace(_roster(60), page=1), TZ)
    menu = next(b["accessory"] for b in blocks if "accessory" in b)
    assert menu["type"] == "static_select"
    assert next(o["value"] for o in menu["options"]) == "mark:s|p-40|present|1"
    body = block_action_payload(
        user_id="U1", action_id=menu["action_id"], value="", response_url=""
    )
    body["actions"][0] = {
        "type": "static_select",
        "action_id": menu["action_id"],
        "selected_option": menu["options"][2],
    }
    ev = translate.button_event(body, body["actions"][0], at=AT)
    assert ev is not None and (ev.action, ev.value) == ("mark", "s|p-40|excused|1")


def test_reply_message_is_ephemeral_and_replaces_when_asked() -> None:
    msg = translate.reply_message(
        Reply(text="hi", buttons=(Button(label="A", action="x", value="1"),)), TZ
    )
    assert msg["response_type"] == "ephemeral" and msg["text"] == "hi"
    assert msg["blocks"][-1]["type"] == "actions" and "replace_original" not in msg
    roster = translate.reply_message(Reply(text="x", view=_roster(1), replace_original=True), TZ)
    assert roster["replace_original"] is True and roster["text"].startswith("Roster:")


def test_survey_modal() -> None:
    form = SurveyForm(
        session_id="s-1",
        title="How was today's group? (long title)",
        questions=(
            SurveyQuestionView(id="attended", kind="yes_no", prompt="Were you there?"),
            SurveyQuestionView(id="helpful", kind="rating", prompt="Helpful?"),
            SurveyQuestionView(
                id="climate", kind="choice", prompt="Feel?", choices=("A", "B"), anonymous=True
            ),
            SurveyQuestionView(id="notes", kind="text", prompt="Anything else?"),
        ),
    )
    view = survey_modal(form)
    assert view["private_metadata"] == "s-1" and view["callback_id"] == "rollcall_survey"
    assert len(view["title"]["text"]) <= 24
    inputs = [b for b in view["blocks"] if b["type"] == "input"]
    assert [b["block_id"] for b in inputs] == ["q:attended", "q:helpful", "q:climate", "q:notes"]
    assert [o["value"] for o in inputs[0]["element"]["options"]] == ["yes", "no"]
    assert [o["value"] for o in inputs[1]["element"]["options"]] == ["1", "2", "3", "4", "5"]
    assert inputs[3]["element"]["type"] == "plain_text_input"
    assert "Anonymous" in json.dumps(view)


def test_dm_and_channel_messages() -> None:
    dm = translate.dm_message(
        DirectMessage(
            person_id="p",
            text="Reminder",
            kind="reminder",
            key="k",
            buttons=(Button(label="Answer", action="survey", value="s"),),
        )
    )
    assert (
        dm["text"] == "Reminder" and dm["blocks"][-1]["elements"][0]["action_id"] == "rc:survey:0"
    )
    post = translate.channel_message(ChannelPost(group_id="g", text="Open for /checkin", key="k"))
    assert post["text"] == "Open for /checkin"


def test_huddle_hint_and_home_opened() -> None:
    event = {
        "type": "user_huddle_changed",
        "user": {
            "id": "U0001",
            "real_name": "Jordan Q.",
            "profile": {"huddle_state": "in_a_huddle", "huddle_state_call_id": "R1"},
        },
    }
    hint = translate.huddle_event(event, at=AT)
    assert hint is not None and hint.active and hint.actor.user_id == "U0001"
    assert hint.source == "slack_huddle" and hint.at == AT
    left = {"type": "user_huddle_changed", "user": {"id": "U0001", "profile": {}}}
    gone = translate.huddle_event(left, at=AT)
    assert gone is not None and not gone.active
    assert translate.huddle_event({"user": "nope"}, at=AT) is None
    assert translate.home_opened_user({"user": "U1", "tab": "home"}) == "U1"
    assert translate.home_opened_user({"user": "U1", "tab": "messages"}) is None
