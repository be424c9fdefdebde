"""Make-ups by recorded content or a one-on-one, through Slack: the facilitator's signed
`/verify @p made_up kind=…`, the participant's DM, `/makeup`, its button, the reflection
modal (views.open) and its view_submission, and the missed session's row in the CSV."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

from adapters.slack.blocks import MAX_VIEW_BLOCKS, SURVEY_CALLBACK
from tests.adapters.slack.harness import (
    FACILITATOR,
    NAMES,
    P2,
    Sent,
    SlackBot,
    open_session_id,
    running_bot,
)
from tests.fakes.slack import TEAM, interactive_body
from tests.reports import csv_row

MENTION = f"<@{P2}|{NAMES[1]}>"
DM = f"D{P2}"
TAKEAWAY = "breathing before I answer"


async def missed_session(bot: SlackBot) -> str:
    """The open session ends without p-002 (U0002): it is theirs to make up."""
    session_id = await open_session_id(bot)
    session = await bot.engine.session(session_id)
    bot.clock.set(session.end + timedelta(hours=1))
    await bot.engine.end_session(session_id, actor_id="test")
    return session_id


async def row_of(bot: SlackBot, session_id: str, person_id: str) -> dict[str, str]:
    return await csv_row(bot.engine, session_id, person_id)


def ack_text(sent: Sent) -> str:
    assert sent.status == 200
    return str(sent.json.get("text", ""))


def sent_ephemeral(sent: Sent) -> bool:
    return bool(sent.json.get("response_type") == "ephemeral")


def buttons_of(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        e
        for b in message.get("blocks", [])
        if b["type"] == "actions"
        for e in b["elements"]
        if e["type"] == "button"
    ]


def check_modal(view: dict[str, Any]) -> None:
    """Slack's documented limits for a modal: a title, submit and close of at most 24
    characters, at most 100 blocks, a callback_id of 255 and private_metadata of 3000
    characters, input labels of 2000, unique block ids, radio buttons of 1–10 options
    (values at most 150), a plain-text input's max_length at most 3000."""
    assert view["type"] == "modal"
    for part in ("title", "submit", "close"):
        assert view[part]["type"] == "plain_text" and 0 < len(view[part]["text"]) <= 24
    assert 0 < len(view["blocks"]) <= MAX_VIEW_BLOCKS
    assert len(view["callback_id"]) <= 255 and len(view["private_metadata"]) <= 3000
    ids = [b["block_id"] for b in view["blocks"] if "block_id" in b]
    assert len(ids) == len(set(ids)) and all(len(i) <= 255 for i in ids)
    for block in view["blocks"]:
        assert block["type"] in ("input", "context", "section")
        if block["type"] != "input":
            continue
        assert block["label"]["type"] == "plain_text" and len(block["label"]["text"]) <= 2000
        element = block["element"]
        assert len(element["action_id"]) <= 255
        if element["type"] == "radio_buttons":
            assert 1 <= len(element["options"]) <= 10
            assert all(len(o["value"]) <= 150 for o in element["options"])
        else:
            assert element["type"] == "plain_text_input"
            assert element.get("max_length", 3000) <= 3000


def reflection_submission(
    view: dict[str, Any], *, watched: str, takeaway: str = ""
) -> dict[str, Any]:
    """The view_submission Slack sends for the modal `view` as the participant filled it
    in: its own callback_id and private_metadata come back, the answers in state.values
    keyed by the modal's block and action ids."""
    values: dict[str, Any] = {}
    for block in view["blocks"]:
        if block["type"] != "input":
            continue
        element = block["element"]
        if element["type"] == "radio_buttons":
            option = next(o for o in element["options"] if o["value"] == watched)
            answer = {"type": "radio_buttons", "selected_option": option}
        else:
            answer = {"type": "plain_text_input", "value": takeaway}
        values[block["block_id"]] = {element["action_id"]: answer}
    return {
        "type": "view_submission",
        "team": {"id": TEAM},
        "user": {"id": P2, "name": "name-of-U0002"},
        "api_app_id": "A0001",
        "trigger_id": "trig-reflection",
        "view": {
            "id": "V0042",
            "type": "modal",
            "callback_id": view["callback_id"],
            "private_metadata": view["private_metadata"],
            "state": {"values": values},
        },
    }


async def test_recorded_content_offer_reflection_and_made_up_row(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as bot:
        missed = await missed_session(bot)
        assert (await row_of(bot, missed, "p-002"))["status"] == "absent"

        # the facilitator offers the recording: a private answer and a DM to the person
        offer = await bot.command(FACILITATOR, "/verify", f"{MENTION} made_up kind=recorded")
        assert "Offered" in ack_text(offer) and "recorded content" in ack_text(offer)
        assert sent_ephemeral(offer)
        await bot.settle()
        (dm,) = [m for m in bot.fake.called("chat.postMessage") if m["channel"] == DM]
        assert "offered you a recording" in dm["text"] and "/makeup" in dm["text"]
        # an offer alone changes nothing yet
        assert (await row_of(bot, missed, "p-002"))["status"] == "absent"

        # /makeup in the DM shows the "I've watched it" button
        listed = await bot.command(P2, "/makeup", channel_id=DM)
        assert "offered you a recording" in ack_text(listed)
        (watched,) = [b for b in buttons_of(listed.json) if b["action_id"].startswith("rc:reflect")]
        assert watched["value"] == missed and len(watched["text"]["text"]) <= 75

        # the button opens the reflection modal with the interaction's trigger_id
        await bot.press(P2, watched["action_id"], watched["value"], channel_id=DM)
        await bot.settle()
        (opened,) = bot.fake.called("views.open")
        assert opened["trigger_id"].startswith("trig-")
        view = opened["view"]
        check_modal(view)
        assert view["callback_id"] == SURVEY_CALLBACK
        assert view["private_metadata"] == f"makeup:{missed}"
        assert "recording" in json.dumps(view["blocks"])

        # "no" records nothing and says it counts once watched
        not_yet = await bot.send(
            interactive_body(reflection_submission(view, watched="no")),
        )
        assert not_yet.json["response_action"] == "update"
        assert "once you've watched all of it" in json.dumps(not_yet.json["view"]).lower()
        assert (await row_of(bot, missed, "p-002"))["status"] == "absent"

        # "yes": the missed session is made up, by recorded content
        done = await bot.send(
            interactive_body(reflection_submission(view, watched="yes", takeaway=TAKEAWAY))
        )
        assert done.status == 200 and done.json["response_action"] == "update"
        assert "now counts as made up" in json.dumps(done.json["view"])
        row = await row_of(bot, missed, "p-002")
        assert row["status"] == "made_up" and row["flags"].split(";") == ["makeup_recorded"]
        assert row["verified_by"] == ""
        # the others of the session are untouched
        assert (await row_of(bot, missed, "p-001"))["status"] == "absent"

        # sending it again is a thank-you, not a second entry; the button is gone
        again = await bot.send(
            interactive_body(reflection_submission(view, watched="yes", takeaway=TAKEAWAY))
        )
        assert "already sent" in json.dumps(again.json["view"])
        after = await bot.command(P2, "/makeup", channel_id=DM)
        assert not [b for b in buttons_of(after.json) if b["action_id"].startswith("rc:reflect")]


async def test_one_on_one_is_made_up_at_once(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as bot:
        missed = await missed_session(bot)
        sent = await bot.command(
            FACILITATOR, "/verify", f"{MENTION} made_up kind=one_on_one met on Thursday"
        )
        assert "one-on-one" in ack_text(sent) and "now shows made up" in ack_text(sent)
        assert sent_ephemeral(sent)
        await bot.settle()
        row = await row_of(bot, missed, "p-002")
        assert row["status"] == "made_up"
        assert row["flags"].split(";") == ["override", "makeup_one_on_one"]
        assert row["verified_by"] == "f-001"
        # nothing to reflect on: /makeup shows no "I've watched it" button
        listed = await bot.command(P2, "/makeup", channel_id=DM)
        assert not [b for b in buttons_of(listed.json) if b["action_id"].startswith("rc:reflect")]


async def test_a_made_up_without_a_kind_or_by_a_participant_is_refused(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as bot:
        missed = await missed_session(bot)
        no_kind = await bot.command(FACILITATOR, "/verify", f"{MENTION} made_up")
        assert "Say which make-up" in ack_text(no_kind)
        by_participant = await bot.command(P2, "/verify", f"{MENTION} made_up kind=one_on_one")
        assert "facilitators" in ack_text(by_participant)
        # a reflection for a recording nobody offered is refused and stores nothing
        forged = {
            "type": "modal",
            "callback_id": SURVEY_CALLBACK,
            "private_metadata": f"makeup:{missed}",
            "blocks": [],
        }
        refused = await bot.send(interactive_body(reflection_submission(forged, watched="yes")))
        assert refused.status == 200
        assert "no recording waiting" in json.dumps(refused.json["view"])
        assert (await row_of(bot, missed, "p-002"))["status"] == "absent"
