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


#: up to this many people, each row is a section plus a row of buttons (2 blocks)
WIDE_ROWS = 15
#: people per page of a big roster: 1 block each, within a message's 50 blocks with the
#: header, the note, guests, counts, survey lines and the page controls
PAGE_ROWS = 40


def _menu(buttons: Sequence[Button], index: int, page: int) -> dict[str, Any]:
    """The compact form of a row's buttons (big groups): one select, values
    "action:value|page" (the page comes back so the roster stays on it)."""
    options = [
        {"text": plain(b.label, 75), "value": f"{b.action}:{b.value}|{page}"[:150]}
        for b in buttons[:100]
    ]
    return {
        "type": "static_select",
        "action_id": action_id("menu", index),
        "placeholder": plain("Mark…", 150),
        "options": options,
    }


def pages(view: RosterView) -> int:
    if len(view.rows) <= WIDE_ROWS:
        return 1
    return -(-len(view.rows) // PAGE_ROWS)


def _controls(view: RosterView, page: int, count: int) -> Block | None:
    buttons: list[Button] = []
    if page > 0:
        buttons.append(
            Button(label="◀ Previous", action="page", value=f"{view.session_id}|{page - 1}")
        )
    if page < count - 1:
        buttons.append(Button(label="Next ▶", action="page", value=f"{view.session_id}|{page + 1}"))
    buttons.extend(view.controls)
    return buttons_block(buttons, start=900) if buttons else None


def roster_blocks(view: RosterView, tz: tzinfo) -> list[Block]:
    """One page of the roster: header, one row per person with mark and participation
    controls, guests, counts, the end pass's survey lines and Sign off, page controls.

    Up to 15 people each row is a section plus a row of buttons; past that each row is
    one section whose controls fold into a select, 40 to a page with Previous / Next, so
    every person of any group can be seen and marked within Slack's 50 blocks.
    """
    buttons = dict(view.buttons_for)
    count = pages(view)
    page = min(max(view.page, 0), count - 1)
    compact = count > 1 or len(view.rows) > WIDE_ROWS
    title = f"Roster: {view.title}"
    first = page * PAGE_ROWS if compact else 0
    shown = view.rows[first : first + PAGE_ROWS] if compact else view.rows
    note = "Only you can see this roster."
    if count > 1:
        last = first + len(shown)
        note += f" Page {page + 1} of {count}: people {first + 1}–{last} of {len(view.rows)}."
    blocks: list[Block] = [
        {"type": "header", "text": plain(title, 150)},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": note}]},
    ]
    for offset, row in enumerate(shown):
        i = first + offset
        section = mrkdwn_section(_row_text(row, tz))
        mine = buttons.get(row.person_id, ())
        if compact and mine:
            section["accessory"] = _menu(mine, i, page)
        blocks.append(section)
        if not compact and mine:
            blocks.append(buttons_block(mine, start=i * 10))
    if view.guests:
        guests = escape(", ".join(view.guests))
        blocks.append(mrkdwn_section(f"Guests (not linked to anyone): {guests}"))
    tail = [f"{escape(k)}: {v}" for k, v in view.counts]
    if view.counts:
        blocks.append(
            {"type": "context", "elements": [{"type": "mrkdwn", "text": " · ".join(tail)}]}
        )
    if view.notes:
        blocks.append(mrkdwn_section(escape("\n".join(view.notes))))
    controls = _controls(view, page, count)
    if controls is not None:
        blocks.append(controls)
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
