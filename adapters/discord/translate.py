"""Discord payloads ↔ core types. Pure: no discord.py, no I/O.

Voice states become presence actions, interaction options become the core's
command text, roster views and survey forms become neutral component specs
(views.py turns those into discord.ui objects), REST errors become a `Delivery`.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from bot.core.actions import Button, RosterRow, RosterView
from bot.core.attendance.intervals import CAMERA_OFF, CAMERA_ON, JOIN, LEAVE
from bot.core.attendance.roster import row_details
from bot.core.command_options import Option
from bot.core.commands import COMMANDS
from bot.core.events import Identity, PresenceObserved
from bot.core.ports import Delivery

SOURCE = "discord"
#: the presence stream of voice channels (pairs joins with leaves in the ledger)
STREAM = "voice"
#: screen sharing is recorded as evidence the attendance rules do not count
SCREEN_ON = "screen_on"
SCREEN_OFF = "screen_off"

# Discord limits (https://discord.com/developers/docs)
MAX_CONTENT = 2000
MAX_EMBED_DESCRIPTION = 4096
MAX_CUSTOM_ID = 100
MAX_BUTTON_LABEL = 80
MAX_MODAL_ITEMS = 5
MAX_LABEL = 45
MAX_DESCRIPTION = 100
MAX_PLACEHOLDER = 100
MAX_SELECT_OPTIONS = 25
MAX_ROWS = 5
MAX_TEXT_ANSWER = 2000

#: JSON error codes of the REST API
CANNOT_DM = 50007  # "Cannot send messages to this user" (DMs closed, blocked, no shared server)
UNKNOWN_USER = 10013

BUTTON_PREFIX = "rollcall"
PICK_PREFIX = "rollcallpick"
BUTTON_TEMPLATE = r"rollcall:(?P<action>[a-z][a-z0-9_-]*):(?P<value>.+)"
PICK_TEMPLATE = r"rollcallpick:(?P<action>[a-z][a-z0-9_-]*):(?P<value>.*)"
PICK_SLOT = "{}"


# ---------------------------------------------------------------- voice presence


@dataclass(frozen=True, slots=True, kw_only=True)
class VoiceSnapshot:
    """One member's voice state in one guild, reduced to what attendance needs."""

    channel_id: str | None
    camera: bool = False  # self_video
    streaming: bool = False  # self_stream (screen share / Go Live)


def voice_actions(
    old: VoiceSnapshot | None, new: VoiceSnapshot | None, bound: Collection[str]
) -> list[tuple[str, str]]:
    """(room id, action) pairs for a change of voice state. Only bound rooms count.

    A move between channels is a leave of the old one and a join of the new one;
    mute, deafen and suppress changes yield nothing, so they never split a stay.
    A leave closes the camera by itself (the rules end camera time with the stay).
    """
    before = old.channel_id if old and old.channel_id in bound else None
    after = new.channel_id if new and new.channel_id in bound else None
    out: list[tuple[str, str]] = []
    if before != after:
        if before is not None:
            out.append((before, LEAVE))
        if after is not None and new is not None:
            out.append((after, JOIN))
            if new.camera:
                out.append((after, CAMERA_ON))
            if new.streaming:
                out.append((after, SCREEN_ON))
        return out
    if after is None or old is None or new is None:
        return out
    if new.camera != old.camera:
        out.append((after, CAMERA_ON if new.camera else CAMERA_OFF))
    if new.streaming != old.streaming:
        out.append((after, SCREEN_ON if new.streaming else SCREEN_OFF))
    return out


def presence_event(
    *,
    room_id: str,
    user_id: str,
    action: str,
    at: datetime,
    voice_session: str | None = None,
    display_name: str | None = None,
) -> PresenceObserved:
    """A presence event at the adapter's clock (Discord's voice events carry no time).

    The key is unique per member, action, voice connection and instant.
    """
    return PresenceObserved(
        source=SOURCE,
        room_id=room_id,
        identity=Identity(platform_user_id=user_id, display_name=display_name),
        action=action,
        at=at,
        stream=STREAM,
        key=f"{room_id}:{user_id}:{action}:{voice_session or '-'}:{at.isoformat()}",
    )


# ---------------------------------------------------------------- slash commands

USER_OPTION = 6  # ApplicationCommandOptionType.USER
#: a command the registry declares no arguments for takes them as one text option
GENERIC_OPTION = Option(name="text", description="what to add after the command")


def options_of(command: str) -> tuple[Option, ...]:
    """The command's options from the registry, in the order the core reads them."""
    spec = COMMANDS.get(command)
    if spec is None or spec.options is None:
        return (GENERIC_OPTION,)
    return spec.options


def command_text(command: str, options: object) -> str:
    """The core's text form of an interaction's options: users as <@ID>, in order.

    The options are a gateway payload's: anything that is not a list of option objects
    with a scalar value (a malformed or hostile payload) is left out, never an error."""
    declared = options_of(command)
    keyed = {o.name for o in declared if o.keyed}
    values: dict[str, str] = {}
    for opt in options if isinstance(options, list | tuple) else ():
        if not isinstance(opt, Mapping):
            continue
        name, value = str(opt.get("name", "")), opt.get("value")
        if value is None or value == "" or not isinstance(value, str | int | float):
            continue
        text = f"<@{value}>" if opt.get("type") == USER_OPTION else " ".join(str(value).split())
        values[name] = f"{name}={text}" if name in keyed else text
    names = [o.name for o in declared]
    ordered = [values[n] for n in names if n in values]
    extra = [v for n, v in values.items() if n not in names]
    return " ".join(ordered + extra)


# ---------------------------------------------------------------- components


def custom_id(action: str, value: str) -> str | None:
    """rollcall:<action>:<value>, or None when Discord's 100-character limit forbids it."""
    cid = f"{BUTTON_PREFIX}:{action}:{value}"
    return cid if len(cid) <= MAX_CUSTOM_ID else None


def parse_custom_id(cid: str) -> tuple[str, str] | None:
    m = re.fullmatch(BUTTON_TEMPLATE, cid)
    return (m.group("action"), m.group("value")) if m else None


@dataclass(frozen=True, slots=True, kw_only=True)
class ButtonSpec:
    label: str
    custom_id: str
    style: str = ""  # "primary" | "danger" | ""


@dataclass(frozen=True, slots=True, kw_only=True)
class PickSpec:
    """A select menu: choosing option `value` presses `action` with the template's slot filled."""

    placeholder: str
    custom_id: str  # rollcallpick:<action>:<template with {}>
    options: tuple[tuple[str, str], ...]  # (label, value)


Row = tuple[ButtonSpec, ...] | PickSpec


def button_specs(buttons: Sequence[Button]) -> list[ButtonSpec]:
    out = []
    for b in buttons:
        cid = custom_id(b.action, b.value)
        if cid is not None:
            out.append(ButtonSpec(label=b.label[:MAX_BUTTON_LABEL], custom_id=cid, style=b.style))
    return out


def rows_of(buttons: Sequence[ButtonSpec], width: int = 5) -> list[tuple[ButtonSpec, ...]]:
    return [tuple(buttons[i : i + width]) for i in range(0, len(buttons), width)][:MAX_ROWS]


#: people per page of a roster: a select menu lists at most 25 options
PAGE_PEOPLE = MAX_SELECT_OPTIONS
#: people whose marks are buttons (a row each), leaving a row for the page controls
BUTTON_PEOPLE = MAX_ROWS - 1
#: one person's line in the embed, so that a page of 25 fits its 4,096 characters
MAX_ROSTER_LINE = 140
#: the messages' 6,000 characters: title 256 + description 4,096 + footer at most this
MAX_FOOTER = 1000


def roster_pages(view: RosterView) -> int:
    return max(1, -(-len(view.rows) // PAGE_PEOPLE))


def _page(view: RosterView) -> tuple[int, int]:
    count = roster_pages(view)
    return min(max(view.page, 0), count - 1), count


def _page_rows(view: RosterView) -> list[RosterRow]:
    page, _ = _page(view)
    return list(view.rows[page * PAGE_PEOPLE : (page + 1) * PAGE_PEOPLE])


#: the marks shown at a time (five action rows can't hold both sets): action, switch label
_MARKINGS = {
    "status": ("mark", "Participation marks ▸"),
    "participation": ("engage", "Attendance marks ▸"),
}


def _marking(view: RosterView) -> str:
    return view.marking if view.marking in _MARKINGS else "status"


def _nav(view: RosterView) -> tuple[ButtonSpec, ...]:
    """Previous / Next (keeping the marks shown), the switch between attendance and
    participation marks, and the end pass's Sign off."""
    page, count = _page(view)
    marking = _marking(view)
    keep = "" if marking == "status" else f"|{marking}"
    buttons: list[Button] = []
    if page > 0:
        buttons.append(
            Button(label="◀ Previous", action="page", value=f"{view.session_id}|{page - 1}{keep}")
        )
    if page < count - 1:
        buttons.append(
            Button(label="Next ▶", action="page", value=f"{view.session_id}|{page + 1}{keep}")
        )
    if view.rows:
        other = "participation" if marking == "status" else ""
        buttons.append(
            Button(
                label=_MARKINGS[marking][1],
                action="page",
                value=f"{view.session_id}|{page}" + (f"|{other}" if other else ""),
            )
        )
    buttons.extend(view.controls)
    return tuple(button_specs(buttons)[:5])


def roster_rows(view: RosterView) -> list[Row]:
    """Mark controls for the page shown: a row of buttons per person for up to four
    people, else one select menu per mark ("Mark present…") listing the page's people
    (25 at most); the last row holds Previous / Next, the switch to the other set of
    marks (attendance: present / late / absent / excused; participation: high / medium /
    low) and the end pass's Sign off. At most five rows, so every person of any group
    can be marked both ways, page by page."""
    page, _ = _page(view)
    shown = _page_rows(view)
    marks = dict(view.buttons_for)
    action = _MARKINGS[_marking(view)][0]
    rows: list[Row] = []
    if len(view.rows) <= BUTTON_PEOPLE:
        for r in shown:
            specs = [
                ButtonSpec(
                    label=f"{r.display_name}: {b.label}"[:MAX_BUTTON_LABEL],
                    custom_id=cid,
                    style=b.style,
                )
                for b in marks.get(r.person_id, ())
                if b.action == action and (cid := custom_id(b.action, b.value)) is not None
            ][:5]
            if specs:
                rows.append(tuple(specs))
    else:
        first = next((bs for bs in marks.values() if bs), ())
        for b in [b for b in first if b.action == action][: MAX_ROWS - 1]:
            session_id, _, word = b.value.split("|")
            cid = f"{PICK_PREFIX}:{b.action}:{session_id}|{PICK_SLOT}|{word}|{page}"
            if len(cid) > MAX_CUSTOM_ID:
                continue
            options = tuple(
                (r.display_name[:MAX_BUTTON_LABEL] or r.person_id, r.person_id) for r in shown
            )
            rows.append(
                PickSpec(placeholder=f"Mark {b.label.lower()}…", custom_id=cid, options=options)
            )
    nav = _nav(view)
    if nav:
        rows.append(nav)
    return rows[:MAX_ROWS]


def picked_value(template: str, chosen: str) -> str:
    return template.replace(PICK_SLOT, chosen, 1)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def roster_embed(view: RosterView, tz: tzinfo) -> dict[str, Any]:
    """One page of the roster as an embed (only ever sent ephemerally, to a facilitator):
    within Discord's 256-character title, 4,096-character description and 6,000 in all."""
    page, count = _page(view)
    lines = []
    for r in _page_rows(view):
        line = " · ".join([f"**{r.display_name}** — {r.status}", *row_details(r, tz)])
        lines.append(_clip(line, MAX_ROSTER_LINE))
    if view.guests:
        lines.append(_clip("Guests (not linked to anyone): " + ", ".join(view.guests), 300))
    if not view.rows:
        lines.append("Nobody is enrolled yet.")
    lines.extend(_clip(n, 200) for n in view.notes)
    description = ""
    for line in lines:
        if len(description) + len(line) + 1 > MAX_EMBED_DESCRIPTION:
            break
        description = f"{description}\n{line}" if description else line
    title = f"Roster: {view.title}"
    if count > 1:
        title = f"{title} ({page + 1}/{count})"
    footer = ", ".join(f"{k}: {v}" for k, v in view.counts)
    if count > 1:
        first = page * PAGE_PEOPLE + 1
        last = page * PAGE_PEOPLE + len(_page_rows(view))
        footer = f"people {first}–{last} of {len(view.rows)} · {footer}"
    return {
        "title": _clip(title, 256),
        "description": description,
        "footer": {"text": _clip(footer, MAX_FOOTER)},
    }


def clip_content(text: str) -> str:
    return text if len(text) <= MAX_CONTENT else text[: MAX_CONTENT - 1] + "…"


def message_nonce(key: str) -> str:
    """The nonce a DM is sent with (25 characters at most): a digest of its outbox key,
    naming no one. discord.py sends it with `enforce_nonce`, so Discord itself answers
    a repeat within a few minutes with the first message instead of a second one."""
    return hashlib.sha256(f"rollcall-message:{key}".encode()).hexdigest()[:25]


# ---------------------------------------------------------------- survey modal


# ---------------------------------------------------------------- delivery


def delivery_for_error(status: int, code: int) -> Delivery:
    """How a failed DM maps to the notifier port.

    403 (50007: DMs closed, bot blocked, no shared server) and 404 (unknown user)
    will not change by retrying soon: UNREACHABLE. 429 (after discord.py honoured
    retry_after), 5xx and anything else that may pass: RETRY. Other 4xx are our
    own mistakes; retrying would only add to the invalid-request count that gets
    an IP banned, so they are UNREACHABLE too.
    """
    if status in (403, 404) or code in (CANNOT_DM, UNKNOWN_USER):
        return Delivery.UNREACHABLE
    if status == 429 or status >= 500 or status == 0:
        return Delivery.RETRY
    return Delivery.UNREACHABLE
