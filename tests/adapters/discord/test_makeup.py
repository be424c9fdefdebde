"""Make-ups by recorded content or a one-on-one, through Discord: `/verify` with
`status: made_up` and `kind`, the participant's DM, `/makeup`, its button, the
reflection modal and its submission, and the missed session's row in the CSV."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.adapters.discord.conftest import START
from tests.adapters.discord.harness import FAC, P2, Harness
from tests.fakes import discord_gateway as P
from tests.reports import csv_row

SESSION = "evening-a-20261130-1800"
EPHEMERAL = 64
TAKEAWAY = "breathing before I answer"


def dm_of(uid: str) -> dict[str, Any]:
    return P.dm_channel("300000000000000002", uid)


async def missed(h: Harness) -> None:
    """The session ends without p-002: it is theirs to make up."""
    h.clock.set(START + timedelta(hours=4))
    await h.engine_app.engine.end_session(SESSION, actor_id="test")


async def verify_made_up(h: Harness, kind: str, note: str = "") -> dict[str, Any]:
    person, resolved = P.user_option("person", P2)
    options = [
        person,
        {"name": "status", "type": 3, "value": "made_up"},
        {"name": "kind", "type": 3, "value": kind},
    ]
    if note:
        options.append({"name": "note", "type": 3, "value": note})
    return await h.command("verify", FAC, options=options, resolved=resolved)


async def row(h: Harness, person_id: str = "p-002") -> dict[str, str]:
    return await csv_row(h.engine_app.engine, SESSION, person_id)


def buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [c for r in message.get("components", []) for c in r["components"] if c["type"] == 2]


def check_modal(modal: dict[str, Any]) -> None:
    """Discord's documented limits: a title of 45 characters, a custom_id of 100, at most
    5 top-level components (labels, type 18) each with a label of 45 and a description of
    100; a select of 1–25 options, a text input of at most 4000 characters."""
    assert 0 < len(modal["title"]) <= 45 and 0 < len(modal["custom_id"]) <= 100
    labels = modal["components"]
    assert 0 < len(labels) <= 5 and all(c["type"] == 18 for c in labels)
    ids = [c["component"]["custom_id"] for c in labels]
    assert len(ids) == len(set(ids)) and all(len(i) <= 100 for i in ids)
    for c in labels:
        assert 0 < len(c["label"]) <= 45 and len(c.get("description") or "") <= 100
        inner = c["component"]
        if inner["type"] == 3:
            assert 1 <= len(inner["options"]) <= 25
        else:
            assert inner["type"] == 4 and inner.get("max_length", 4000) <= 4000


async def test_recorded_content_offer_reflection_and_made_up_row(h: Harness) -> None:
    await missed(h)
    assert (await row(h))["status"] == "absent"

    offer = await verify_made_up(h, "recorded")
    assert offer["data"]["flags"] & EPHEMERAL
    assert offer["data"]["content"].startswith("Offered M. recorded content")
    # the person gets a DM saying what to do
    await h.fake.wait_for(
        lambda: any(
            "offered you a recording" in (r.body or {}).get("content", "")
            for r in h.fake.requests
            if r.method == "POST" and r.path.endswith("/messages")
        )
    )
    (create,) = [r for r in h.fake.requests if r.path == "/users/@me/channels"]
    assert create.body == {"recipient_id": int(P2)}
    assert (await row(h))["status"] == "absent"  # an offer alone changes nothing

    listed = await h.command("makeup", P2, dm=True)
    assert "offered you a recording" in listed["data"]["content"]
    message = h.fake.originals[listed["token"]]
    (watched,) = [b for b in buttons(message) if b["custom_id"].startswith("rollcall:reflect:")]
    assert watched["custom_id"] == f"rollcall:reflect:{SESSION}" and len(watched["label"]) <= 80

    press = P.component(watched["custom_id"], P2, message=message, guild_id=None, channel=dm_of(P2))
    (opened,) = await h.interact(press)
    assert opened["type"] == 9, opened  # the reflection opens as a modal
    modal = opened["data"]
    check_modal(modal)
    assert [c["component"]["custom_id"] for c in modal["components"]] == [
        "q:watched",
        "q:takeaway",
    ]

    def submit(watched: str) -> dict[str, Any]:
        answers: dict[str, str | list[str]] = {"q:watched": [watched], "q:takeaway": TAKEAWAY}
        return P.modal_submit(modal["custom_id"], P2, answers, guild_id=None, channel=dm_of(P2))

    (not_yet,) = await h.interact(submit("no"))
    assert "once you've watched all of it" in not_yet["data"]["content"].lower()
    assert (await row(h))["status"] == "absent"

    # the same modal again (Discord keeps it until it closes), now "yes"
    (again,) = await h.interact(press)
    assert again["type"] == 9
    modal = again["data"]
    (done,) = await h.interact(submit("yes"))
    assert done["data"]["flags"] & EPHEMERAL
    assert "now counts as made up" in done["data"]["content"]
    made_up = await row(h)
    assert made_up["status"] == "made_up" and made_up["flags"].split(";") == ["makeup_recorded"]
    assert (await row(h, "p-001"))["status"] == "absent"

    after = await h.command("makeup", P2, dm=True)
    shown = h.fake.originals.get(after["token"], after["data"])
    assert not [b for b in buttons(shown) if b["custom_id"].startswith("rollcall:reflect:")]


async def test_one_on_one_is_made_up_at_once(h: Harness) -> None:
    await missed(h)
    cb = await verify_made_up(h, "one_on_one", "met on Thursday")
    assert cb["data"]["flags"] & EPHEMERAL
    assert "one-on-one" in cb["data"]["content"] and "now shows made up" in cb["data"]["content"]
    made_up = await row(h)
    assert made_up["status"] == "made_up"
    assert made_up["flags"].split(";") == ["override", "makeup_one_on_one"]
    assert made_up["verified_by"] == "f-001"
