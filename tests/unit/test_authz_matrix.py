"""The authorization matrix (issue 17): every command and button × every role × own
group's channel / another group's channel / a DM → the expected allow or deny.

A deny is recognised by its audit row (`command.denied`, `command.unknown_person`)
written for that request; every deny must be the generic, private answer and name
nobody. An allow may still be a handler's "no session is open" and the like, but never
the apology of an internal error. Each cell runs in a fresh world (memory store).
The cells checked are counted and printed (`pytest -s`) for the README's figures.
The dashboard's routes × roles: tests/adapters/web/test_dashboard_authz.py.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.core.actions import Reply
from bot.core.commands import COMMANDS
from bot.core.context import NOT_ENROLLED
from bot.core.engine import BUTTONS
from bot.core.events import Actor, ButtonPressed
from bot.core.pipeline import SORRY
from tests.unit.test_commands import MON, PEOPLE, World

#: who: (person id, role in the matrix); GROUP_A is "ga" (f-001; p-001, p-002),
#: GROUP_B is "gb" (f-002; p-003)
WHO = {
    "participant": "p-001",
    "other-participant": "p-003",
    "facilitator": "f-001",
    "other-facilitator": "f-002",
    "admin": "a-001",
    "unknown": "nobody",
}
WHERE = {"own-channel": "ga", "other-channel": "gb", "dm": None}
ARGS = {
    "checkin": "",
    "checkout": "",
    "absent": "",
    "attendance": "",
    "survey": "",
    "makeup": "",
    "calendar": "",
    "roster": "",
    "signoff": "",
    "verify": "@p-001 present",
    "enroll": "@p-002",
    "unenroll": "@p-001",
    "link": "zoom:nobody @p-001",
    "dashboard": "",
    "help": "",
}
GENERIC = {
    NOT_ENROLLED,
    *(s.denied for s in COMMANDS.values()),
    *(b.denied for b in BUTTONS.values()),
}
NAMES = [p.display_name for p in PEOPLE if p.role.value == "participant"]
ENROLLED_ONLY = {n for n, s in COMMANDS.items() if s.access.value == "enrolled"}


def expected(command: str, who: str, where: str) -> str:
    """The rule, written once: "allow" or "deny"."""
    if who == "unknown":
        return "deny"
    if command == "help":
        return "allow"
    if command in ENROLLED_ONLY:
        return "allow" if who in ("participant", "other-participant") else "deny"
    # facilitator commands
    if who in ("participant", "other-participant"):
        return "deny"
    if who == "admin":
        return "allow"
    own = "ga" if who == "facilitator" else "gb"
    channel = WHERE[where]
    if channel is not None and channel != own:
        return "deny"  # another group's channel
    # in their own channel or a DM: allowed, unless the target is another group's person
    if command == "verify" or command == "unenroll":  # the target, p-001, is in ga
        return "allow" if own == "ga" else "deny"
    return "allow"


CELLS = [(c, w, p) for c in ARGS for w in WHO for p in WHERE]


async def _audit_since(w: World, seq: int) -> list[str]:
    return [a.action for a in await w.store.audit_page(after_seq=seq)]


async def _head(w: World) -> int:
    return (await w.store.chain_head("audit"))[0]


@pytest.mark.parametrize(("command", "who", "where"), CELLS)
async def test_command_matrix(command: str, who: str, where: str) -> None:
    w = World()
    await w.setup()
    w.at(MON + timedelta(minutes=20))  # ga's Monday session is open
    before = await _head(w)
    actions = await w.chat.send(WHO[who], f"/{command} {ARGS[command]}", channel=WHERE[where])
    replies = [a for a in actions if isinstance(a, Reply)]
    assert replies and all(r.ephemeral for r in replies)
    assert all(r.text != SORRY for r in replies)
    audited = await _audit_since(w, before)
    denied = "command.denied" in audited or "command.unknown_person" in audited
    want = expected(command, who, where)
    got = "deny" if denied else "allow"
    text = " ".join(r.text for r in replies)
    if denied and not (command in ENROLLED_ONLY and who in ("participant", "other-participant")):
        # an access deny: the generic answer, naming nobody
        assert text in GENERIC, text
        assert not any(name in text for name in NAMES), text
    assert got == want, (command, who, where, text, audited)


FACILITATOR_BUTTONS = {n for n, s in BUTTONS.items() if s.access.value == "facilitator"}
BUTTON_CELLS = [(b, w) for b in BUTTONS for w in WHO]


@pytest.mark.parametrize(("button", "who"), BUTTON_CELLS)
async def test_button_matrix(button: str, who: str) -> None:
    w = World()
    await w.setup()
    w.at(MON + timedelta(minutes=20))
    value = {
        "mark": f"{w.monday.id}|p-001|present",
        "engage": f"{w.monday.id}|p-001|high",
        "page": f"{w.monday.id}|1",
        "signoff": w.monday.id,
        "checkin": w.monday.id,
        "survey": w.monday.id,
        "makeup": f"{w.monday.id}|{w.wednesday.id}",
        "reflect": w.monday.id,
    }[button]
    before = await _head(w)
    actions = await w.engine.handle(
        ButtonPressed(
            actor=Actor(platform="console", user_id=WHO[who]),
            action=button,
            value=value,
            at=w.clock.now(),
            request_id="matrix",
            channel_id=None,
        )
    )
    replies = [a for a in actions if isinstance(a, Reply)]
    assert all(r.ephemeral and r.text != SORRY for r in replies)
    audited = await _audit_since(w, before)
    denied = "command.denied" in audited or "command.unknown_person" in audited
    if who == "unknown":
        want = "deny"
    elif button in FACILITATOR_BUTTONS:
        want = "allow" if who in ("facilitator", "admin") else "deny"
    else:
        want = "allow" if who in ("participant", "other-participant") else "deny"
    assert ("deny" if denied else "allow") == want, (button, who, audited)
    if denied:
        text = " ".join(r.text for r in replies)
        assert text in GENERIC and not any(name in text for name in NAMES), text


def test_the_matrix_covers_every_command_and_button() -> None:
    assert set(ARGS) == {*COMMANDS, "help"}
    assert {b for b, _ in BUTTON_CELLS} == set(BUTTONS)
    print(f"authorization matrix: {len(CELLS) + len(BUTTON_CELLS)} cells")
