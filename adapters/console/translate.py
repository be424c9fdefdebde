"""Console lines → core events, core actions → console text. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import tzinfo

from bot.core.actions import Action, Button, DirectMessage, Reply
from bot.core.attendance.roster import render_roster
from bot.core.commands import normalize

HELP = """\
You are in the rollcall console: act as any configured person and type chat commands.
  as PERSON_ID            act as that person (e.g. `as p-001`, `as f-001`)
  in GROUP_ID | dm        type in that group's channel, or in a direct message
  /checkin [note]         any chat command, with or without the slash
  /help                   the chat commands this person may use
  join | leave [GROUP]    enter or leave the group's video room (simulated presence)
  camera on|off [GROUP]   turn the camera on or off in the room
  press N                 press button N of the last reply
  start [GROUP] [MINUTES] open an ad-hoc session of the group now (default 60 minutes)
  people | groups | sessions   what is configured, and today's sessions
  now                     the time
  help                    this text
  quit                    leave (end of input works too)"""

PRESENCE_WORDS = {"join": "join", "leave": "leave"}


@dataclass(frozen=True, slots=True, kw_only=True)
class ConsoleInput:
    verb: str  # "as", "in", "command", "presence", "press", "help", "quit", "info", "empty"
    args: tuple[str, ...] = ()
    text: str = ""


def parse_line(line: str) -> ConsoleInput:
    words = line.strip().split()
    if not words:
        return ConsoleInput(verb="empty")
    head, rest = words[0].lower(), tuple(words[1:])
    if head in ("quit", "exit"):
        return ConsoleInput(verb="quit")
    if head == "help":
        return ConsoleInput(verb="help")
    if head in ("as", "in", "press", "start"):
        return ConsoleInput(verb=head, args=rest)
    if head in ("people", "groups", "sessions", "now"):
        return ConsoleInput(verb="info", args=(head,))
    if head in PRESENCE_WORDS:
        return ConsoleInput(verb="presence", args=(PRESENCE_WORDS[head], *rest))
    if head == "camera":
        if not rest or rest[0].lower() not in ("on", "off"):
            return ConsoleInput(verb="error", text="Usage: camera on|off [GROUP]")
        return ConsoleInput(verb="presence", args=(f"camera_{rest[0].lower()}", *rest[1:]))
    command = normalize(head)
    text = line.strip().split(None, 1)[1] if len(words) > 1 else ""
    return ConsoleInput(verb="command", args=(command,), text=text)


def render_action(action: Action, tz: tzinfo) -> tuple[str, list[Button]]:
    """The text to print, and the buttons it offers (numbered from 1 in the text)."""
    if isinstance(action, Reply):
        label = "(only you can see this)" if action.ephemeral else "(posted)"
        body = render_roster(action.view, tz) if action.view is not None else action.text
        lines = [f"{label} {body}"]
        buttons: list[Button] = list(action.buttons)
        for i, b in enumerate(action.buttons, 1):
            lines.append(f"  [{i}] {b.label}")
        if action.view is not None:
            names = {r.person_id: r.display_name for r in action.view.rows}
            for person_id, person_buttons in action.view.buttons_for:
                cells = []
                for b in person_buttons:
                    buttons.append(b)
                    cells.append(f"[{len(buttons)}] {b.label}")
                lines.append(f"  mark {names.get(person_id, person_id)}: " + " ".join(cells))
        return "\n".join(lines), buttons
    if isinstance(action, DirectMessage):
        return f"[DM to {action.person_id}] {action.text}", list(action.buttons)
    return f"[#{action.group_id}] {action.text}", []
