"""Block Kit building: rosters, buttons, the survey modal, the App Home. Pure.

Slack's limits shape this module: at most 50 blocks in a message (100 in a modal
or the Home tab), 150 characters in a header, 75 in a button label, 3000 in a
section, 24 in a modal title, 2000 in a button value, 150 in an option value.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import tzinfo
from typing import Any

from bot.core.actions import Button, RosterRow, RosterView, SurveyForm, SurveyQuestionView
from bot.core.attendance.roster import row_details

Block = dict[str, Any]

#: action_id prefix of every interactive element rollcall sends
ACTION_PREFIX = "rc:"
#: callback_id of the survey modal
SURVEY_CALLBACK = "rollcall_survey"
#: block_id prefix of a survey question's input block
QUESTION_PREFIX = "q:"
ANSWER_ACTION = "answer"
MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
RATING_CHOICES = ("1", "2", "3", "4", "5")


def escape(text: str) -> str:
    """mrkdwn escaping: only &, < and > are special."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def plain(text: str, limit: int = 3000) -> dict[str, Any]:
    return {"type": "plain_text", "text": _clip(text, limit), "emoji": True}


def mrkdwn_section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": _clip(text, 3000)}}


def action_id(action: str, index: int) -> str:
    """Unique within a message; `parse_action_id` gets the core's action name back."""
    return f"{ACTION_PREFIX}{action}:{index}"


def parse_action_id(value: str) -> str | None:
    if not value.startswith(ACTION_PREFIX):
        return None
    action = value[len(ACTION_PREFIX) :].rsplit(":", 1)[0]
    return action or None


def button_element(button: Button, index: int) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "button",
        "text": plain(button.label, 75),
        "action_id": action_id(button.action, index),
        "value": button.value[:2000],
    }
    if button.style in ("primary", "danger"):
        element["style"] = button.style
    return element


def buttons_block(buttons: Sequence[Button], start: int = 0) -> Block:
    elements = [button_element(b, start + i) for i, b in enumerate(buttons[:25])]
    return {"type": "actions", "elements": elements}


def text_blocks(text: str, buttons: Sequence[Button] = ()) -> list[Block]:
    """A plain reply: its text as a section (split at Slack's size), then its buttons."""
    blocks: list[Block] = []
    rest = text
    while rest and len(blocks) < MAX_MESSAGE_BLOCKS - 1:
        head, rest = rest[:3000], rest[3000:]
        blocks.append(mrkdwn_section(escape(head)))
    if buttons:
        blocks.append(buttons_block(buttons))
    return blocks


# --- the roster -------------------------------------------------------------------------


def _row_text(row: RosterRow, tz: tzinfo) -> str:
    head = f"*{escape(row.display_name)}* · {escape(row.status)}"
    return " · ".join([head, *(escape(p) for p in row_details(row, tz))])


def _overflow(buttons: Sequence[Button], index: int) -> dict[str, Any]:
    """The compact form of a row's buttons (big groups): one menu, values "action:value"."""
    options = [
        {"text": plain(b.label, 75), "value": f"{b.action}:{b.value}"[:150]} for b in buttons[:5]
    ]
    return {"type": "overflow", "action_id": action_id("menu", index), "options": options}


def roster_blocks(view: RosterView, tz: tzinfo) -> list[Block]:
    """Header, one row per participant with present/absent/excused buttons, guests, counts.

    Up to 22 participants each row is a section plus a row of buttons; past that the
    buttons fold into an overflow menu (one block per row) so the message stays within
    Slack's 50 blocks; past ~45 the rest are listed as a count with a /verify hint.
    """
    buttons = dict(view.buttons_for)
    blocks: list[Block] = [
        {"type": "header", "text": plain(f"Roster: {view.title}", 150)},
        {
            "type": "context",
            "elements": [{"type": "mrkdwn", "text": "Only you can see this roster."}],
        },
    ]
    tail = 3  # guests, counts, "more" note
    compact = len(view.rows) * 2 + len(blocks) + tail > MAX_MESSAGE_BLOCKS
    shown = 0
    for i, row in enumerate(view.rows):
        room = MAX_MESSAGE_BLOCKS - len(blocks) - tail
        need = 1 if compact else 2
        if room < need:
            break
        section = mrkdwn_section(_row_text(row, tz))
        mine = buttons.get(row.person_id, ())
        if compact and mine:
            section["accessory"] = _overflow(mine, i)
        blocks.append(section)
        if not compact and mine:
            blocks.append(buttons_block(mine, start=i * 10))
        shown += 1
    if shown < len(view.rows):
        blocks.append(
            mrkdwn_section(
                f"…and {len(view.rows) - shown} more. Use /verify @person STATUS for them."
            )
        )
    if view.guests:
        guests = escape(", ".join(view.guests))
        blocks.append(mrkdwn_section(f"Guests (not linked to anyone): {guests}"))
    if view.counts:
        counts = " · ".join(f"{escape(k)}: {v}" for k, v in view.counts)
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": counts}]})
    return blocks


# --- the survey modal -------------------------------------------------------------------


def _option(text: str, value: str) -> dict[str, Any]:
    return {"text": plain(text, 75), "value": value[:150]}


def _question_element(q: SurveyQuestionView) -> dict[str, Any]:
    if q.kind == "rating":
        return {
            "type": "radio_buttons",
            "action_id": ANSWER_ACTION,
            "options": [_option(v, v) for v in RATING_CHOICES],
        }
    if q.kind == "yes_no":
        return {
            "type": "radio_buttons",
            "action_id": ANSWER_ACTION,
            "options": [_option("Yes", "yes"), _option("No", "no")],
        }
    if q.kind == "choice":
        options = [_option(c, c) for c in q.choices[:100]]
        kind = "radio_buttons" if len(options) <= 10 else "static_select"
        element: dict[str, Any] = {"type": kind, "action_id": ANSWER_ACTION, "options": options}
        if kind == "static_select":
            element["placeholder"] = plain("Choose one", 150)
        return element
    return {
        "type": "plain_text_input",
        "action_id": ANSWER_ACTION,
        "multiline": True,
        "max_length": 2000,
    }


def survey_modal(form: SurveyForm) -> dict[str, Any]:
    """A modal whose private_metadata is the session id; each question an optional input."""
    blocks: list[Block] = []
    for q in form.questions[: MAX_VIEW_BLOCKS // 2]:
        blocks.append(
            {
                "type": "input",
                "block_id": f"{QUESTION_PREFIX}{q.id}",
                "optional": True,
                "label": plain(q.prompt, 2000),
                "element": _question_element(q),
            }
        )
        if q.anonymous:
            blocks.append(
                {
                    "type": "context",
                    "elements": [
                        {"type": "mrkdwn", "text": "Anonymous: stored without your name."}
                    ],
                }
            )
    return {
        "type": "modal",
        "callback_id": SURVEY_CALLBACK,
        "private_metadata": form.session_id,
        "title": plain(form.title, 24),
        "submit": plain("Send", 24),
        "close": plain("Not now", 24),
        "blocks": blocks,
    }


def notice_modal(title: str, text: str) -> dict[str, Any]:
    """A modal that only shows text (what a survey submission answered)."""
    return {
        "type": "modal",
        "title": plain(title, 24),
        "close": plain("Close", 24),
        "blocks": text_blocks(text),
    }


# --- the App Home -----------------------------------------------------------------------


def home_view(*, record_text: str | None, groups: Sequence[str], intro: str) -> dict[str, Any]:
    """The Home tab: the viewer's own record and, for a facilitator, their groups."""
    blocks: list[Block] = [{"type": "header", "text": plain("rollcall", 150)}]
    blocks.append(mrkdwn_section(escape(intro)))
    if record_text:
        blocks.append({"type": "divider"})
        blocks.extend(text_blocks(record_text))
    if groups:
        blocks.append({"type": "divider"})
        lines = "\n".join(f"• {escape(g)}" for g in groups[:40])
        blocks.append(mrkdwn_section(f"*Groups you facilitate*\n{lines}"))
        blocks.append(
            mrkdwn_section(
                "During a session, type `/roster` in the group's channel (or here) for the "
                "live roster — only you see it."
            )
        )
    return {"type": "home", "blocks": blocks[:MAX_VIEW_BLOCKS]}
