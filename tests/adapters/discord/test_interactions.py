"""Slash commands, roster buttons and select menus, the survey modal — over the gateway."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from adapters.discord.interactions import DEFER_AFTER
from bot.core.domain import EvidenceKind, Status
from tests.adapters.discord.conftest import START
from tests.adapters.discord.harness import (
    FAC,
    GUILD,
    P1,
    P2,
    P3,
    P4,
    VOICE,
    Harness,
    text_channel,
)
from tests.adapters.discord.harness import GUEST as GUEST_ID
from tests.fakes import discord_gateway as P
from tests.surveys import survey_sent

EPHEMERAL = 64


def message_of(cb: dict[str, Any], h: Harness) -> dict[str, Any]:
    """The message an interaction response created (as Discord would send it back)."""
    return h.fake.originals[cb["token"]]


async def press(h: Harness, uid: str, custom_id: str, message: dict[str, Any]) -> dict[str, Any]:
    payload = P.component(custom_id, uid, message=message, guild_id=GUILD, channel=text_channel())
    (cb,) = await h.interact(payload)
    return cb


async def test_checkin_is_answered_privately(h: Harness) -> None:
    h.clock.set(START + timedelta(minutes=2))
    cb = await h.command("checkin", P1, options=[{"name": "note", "type": 3, "value": "hi"}])
    assert cb["type"] == 4
    assert cb["data"]["flags"] & EPHEMERAL
    assert cb["data"]["content"].startswith("You're checked in to Evening Group A")
    again = await h.command("checkin", P1)
    assert again["data"]["content"].startswith("You already checked in")
    assert again["data"]["flags"] & EPHEMERAL


async def test_verify_passes_the_mentioned_user_to_the_core(h: Harness) -> None:
    h.clock.set(START + timedelta(minutes=30))
    option, resolved = P.user_option("person", P2)
    cb = await h.command(
        "verify",
        FAC,
        options=[
            option,
            {"name": "status", "type": 3, "value": "excused"},
            {"name": "participation", "type": 3, "value": "low"},
        ],
        resolved=resolved,
    )
    assert cb["data"]["content"].startswith("Recorded M. as excused for Evening Group A")
    (record,) = await h.engine_app.store.records(person_id="p-002")
    assert record.status is Status.EXCUSED and record.verified_by == "f-001"


async def test_denied_roster_and_unknown_people(h: Harness) -> None:
    h.clock.set(START + timedelta(minutes=30))
    cb = await h.command("roster", P2)
    assert cb["data"]["content"] == "Only this group's facilitators can see the roster."
    assert cb["data"]["flags"] & EPHEMERAL
    stranger = await h.command("attendance", "200000000000000555")
    assert "not enrolled" in stranger["data"]["content"]


async def test_roster_buttons_mark_and_update_the_roster_in_place(h: Harness) -> None:
    h.clock.set(START + timedelta(minutes=1))
    await h.voice(P1, VOICE, self_video=True)
    h.clock.set(START + timedelta(minutes=31))
    cb = await h.command("roster", FAC)
    assert cb["type"] == 4 and cb["data"]["flags"] & EPHEMERAL
    (embed,) = cb["data"]["embeds"]
    assert "**J.** — present · in the room · 30 min · camera 30 min" in embed["description"]
    buttons = [c for row in cb["data"]["components"] for c in row["components"]]
    # four people, four marks each (present/late/absent/excused), and the switch to
    # the participation marks
    assert len(buttons) == 17
    assert buttons[-1]["label"] == "Participation marks ▸"
    excuse = next(b for b in buttons if b["label"] == "A.: Excused")
    assert excuse["custom_id"] == "rollcall:mark:evening-a-20261130-1800|p-003|excused"

    pressed = await press(h, FAC, excuse["custom_id"], message_of(cb, h))
    assert pressed["type"] == 7  # the roster message itself is updated
    (updated,) = pressed["data"]["embeds"]
    assert "**A.** — excused" in updated["description"]
    assert "flags: override" in updated["description"]

    # a participant's click is refused privately, and changes nothing
    refused = await press(h, P2, excuse["custom_id"].replace("p-003", "p-002"), message_of(cb, h))
    assert refused["type"] == 4 and refused["data"]["flags"] & EPHEMERAL
    assert refused["data"]["content"] == "Only this group's facilitators can change attendance."
    assert not [r for r in await h.engine_app.store.records(person_id="p-002") if r.verified_by]


async def test_large_rosters_mark_through_select_menus(h: Harness) -> None:
    store = h.engine_app.store
    for i in range(5, 10):
        await store.seed_enrollment(f"p-00{i}", "evening-a", h.clock.now())
    h.clock.set(START + timedelta(minutes=5))
    cb = await h.command("roster", FAC)
    menus = [c for row in cb["data"]["components"] for c in row["components"]]
    assert [m["type"] for m in menus] == [3, 3, 3, 3, 2]  # four marks, and the switch
    present = menus[0]
    assert present["custom_id"] == "rollcallpick:mark:evening-a-20261130-1800|{}|present|0"
    payload = P.component(
        present["custom_id"],
        FAC,
        message=message_of(cb, h),
        guild_id=GUILD,
        channel=text_channel(),
        component_type=3,
        values=["p-002"],
    )
    (picked,) = await h.interact(payload)
    assert picked["type"] == 7
    (record,) = await store.records(person_id="p-002")
    assert record.status is Status.PRESENT and record.verified_by == "f-001"


async def test_participation_marks_from_the_roster_controls(h: Harness) -> None:
    """Discord's five action rows can't hold both sets of marks: a switch shows the
    participation marks (a select per level for big groups), and a mark records
    participation only — the status stays computed."""
    store = h.engine_app.store
    for i in range(5, 10):
        await store.seed_enrollment(f"p-00{i}", "evening-a", h.clock.now())
    h.clock.set(START + timedelta(minutes=5))
    cb = await h.command("roster", FAC)
    switch = [c for row in cb["data"]["components"] for c in row["components"]][-1]
    assert switch["label"] == "Participation marks ▸"
    shown = await press(h, FAC, switch["custom_id"], message_of(cb, h))
    assert shown["type"] == 7
    rows = shown["data"]["components"]
    assert len(rows) <= 5 and all(len(r["components"]) <= 5 for r in rows)
    menus = [c for row in rows for c in row["components"]]
    assert [m.get("placeholder") for m in menus if m["type"] == 3] == [
        "Mark participation high…",
        "Mark participation medium…",
        "Mark participation low…",
    ]
    assert len(menus[0]["options"]) == 9  # everyone of the page, at most 25
    assert menus[-1]["label"] == "Attendance marks ▸"
    high = menus[0]
    assert high["custom_id"] == "rollcallpick:engage:evening-a-20261130-1800|{}|high|0"
    # the roster message as updated in place (Discord sends back what it shows)
    message = {**message_of(cb, h), "components": rows}
    payload = P.component(
        high["custom_id"],
        FAC,
        message=message,
        guild_id=GUILD,
        channel=text_channel(),
        component_type=3,
        values=["p-002"],
    )
    (picked,) = await h.interact(payload)
    assert picked["type"] == 7
    (embed,) = picked["data"]["embeds"]
    assert "**M.** — not here yet" in embed["description"]
    assert "participation high" in embed["description"]
    # the roster stays on the participation marks after a mark
    after = [c for row in picked["data"]["components"] for c in row["components"]]
    assert after[0]["custom_id"].startswith("rollcallpick:engage:")
    (record,) = await store.records(person_id="p-002")
    assert record.participation is not None and record.participation.value == "high"
    assert record.status is Status.ABSENT and record.verified_by is None
    assert "override" not in [f.value for f in record.flags]


class SlowEngine:
    """The engine, taking its time (say, a slow database)."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine

    def __getattr__(self, name: str) -> Any:  # the rest of the engine's public API
        return getattr(self.engine, name)

    async def handle(self, event: Any) -> Any:
        await asyncio.sleep(0.2)
        return await self.engine.handle(event)


async def test_slow_work_is_deferred_then_followed_up(h: Harness) -> None:
    h.bot.interactions.engine = SlowEngine(h.bot.engine)  # type: ignore[assignment]
    h.bot.interactions.defer_after = 0.05
    h.clock.set(START + timedelta(minutes=2))
    cb = await h.command("checkin", P3)
    assert cb["type"] == 5 and cb["data"]["flags"] & EPHEMERAL  # "thinking…", privately
    await h.fake.wait_for(lambda: h.fake.count("PATCH", "/webhooks/") == 1)
    (edit,) = [r for r in h.fake.requests if r.method == "PATCH"]
    assert edit.path == f"/webhooks/{P.APP_ID}/{cb['token']}/messages/@original"
    assert edit.body["content"].startswith("You're checked in")


async def test_commands_in_a_dm_with_the_bot(h: Harness) -> None:
    h.clock.set(START + timedelta(minutes=2))
    cb = await h.command("checkin", P2, dm=True)
    assert cb["data"]["content"].startswith("You're checked in to Evening Group A")


async def test_survey_opens_as_a_modal_and_answers_are_stored(h: Harness) -> None:
    h.clock.set(START + timedelta(minutes=2))
    await h.command("checkin", P1)
    h.clock.set(START + timedelta(hours=3, minutes=5))
    await h.engine_app.engine.end_session("evening-a-20261130-1800", actor_id="test")
    await survey_sent(h.engine_app.store, "evening-a-20261130-1800", "p-001")
    cb = await h.command("survey", P1, dm=True)
    assert cb["type"] == 9, cb  # a modal
    modal = cb["data"]
    assert modal["title"] == "How was today's group?"
    labels = modal["components"]
    assert [c["type"] for c in labels] == [18, 18, 18]
    assert labels[0]["component"]["type"] == 3  # yes/no as a select menu
    assert all(len(c["label"]) <= 45 for c in labels)
    ids = [c["component"]["custom_id"] for c in labels]
    assert ids == ["q:attended", "q:helpful", "q:climate"]
    submit = P.modal_submit(
        modal["custom_id"],
        P1,
        {"q:attended": ["yes"], "q:helpful": ["4"], "q:climate": ["Mostly OK"]},
        guild_id=None,
        channel=P.dm_channel("300000000000000001", P1),
    )
    (thanks,) = await h.interact(submit)
    assert thanks["type"] == 4
    assert thanks["data"]["content"] == "Thank you — your answers are saved."
    entries = await h.engine_app.store.evidence(kinds=[EvidenceKind.SURVEY])
    answers = {str(e.data.get("question")): e.data.get("answer") for e in entries}
    assert answers["attended"] is True and answers["helpful"] == 4
    assert answers["climate"] == "Mostly OK"
    anonymous = next(e for e in entries if e.data.get("question") == "climate")
    assert anonymous.person_id is None


async def test_many_quick_interactions_each_get_one_answer(h: Harness) -> None:
    h.clock.set(START + timedelta(minutes=2))
    payloads = [
        P.slash("attendance", uid, guild_id=GUILD, channel=text_channel()) for uid in (P1, P2, P3)
    ]
    before = len(h.fake.callbacks)
    await asyncio.gather(*(h.fake.dispatch("INTERACTION_CREATE", p) for p in payloads))
    await h.fake.wait_for(lambda: len(h.fake.callbacks) == before + 3)
    answered = {cb["id"] for cb in h.fake.callbacks[before:]}
    assert answered == {p["id"] for p in payloads}


async def test_a_slow_click_is_deferred_then_the_roster_edited(h: Harness) -> None:
    h.clock.set(START + timedelta(minutes=5))
    cb = await h.command("roster", FAC)
    button = cb["data"]["components"][0]["components"][0]
    name = button["label"].split(":")[0]  # the first person (attention first, then by name)
    assert button["label"] == f"{name}: Present"
    h.bot.interactions.engine = SlowEngine(h.bot.engine)  # type: ignore[assignment]
    h.bot.interactions.defer_after = 0.05
    deferred = await press(h, FAC, button["custom_id"], message_of(cb, h))
    assert deferred["type"] == 6  # acknowledged silently; the message is edited next
    await h.fake.wait_for(lambda: h.fake.count("PATCH", "/webhooks/") == 1)
    (edit,) = [r for r in h.fake.requests if r.method == "PATCH"]
    assert f"**{name}** — present" in edit.body["embeds"][0]["description"]


async def test_a_slow_survey_offers_its_button_instead_of_the_form(h: Harness) -> None:
    h.clock.set(START + timedelta(minutes=2))
    await h.command("checkin", P1)
    h.clock.set(START + timedelta(hours=3, minutes=5))
    await h.engine_app.engine.end_session("evening-a-20261130-1800", actor_id="test")
    await survey_sent(h.engine_app.store, "evening-a-20261130-1800", "p-001")
    h.bot.interactions.engine = SlowEngine(h.bot.engine)  # type: ignore[assignment]
    h.bot.interactions.defer_after = 0.05
    cb = await h.command("survey", P1, dm=True)
    assert cb["type"] == 5
    await h.fake.wait_for(lambda: h.fake.count("PATCH", "/webhooks/") == 1)
    (edit,) = [r for r in h.fake.requests if r.method == "PATCH"]
    (row,) = edit.body["components"]
    answer = row["components"][0]
    assert answer["custom_id"] == "rollcall:survey:evening-a-20261130-1800"
    h.bot.interactions.engine = h.bot.engine
    h.bot.interactions.defer_after = DEFER_AFTER  # the click is quick again: no deferral
    message = h.fake.originals[cb["token"]]
    payload = P.component(
        answer["custom_id"],
        P1,
        message=message,
        guild_id=None,
        channel=P.dm_channel("300000000000000001", P1),
    )
    (opened,) = await h.interact(payload)
    assert opened["type"] == 9  # the click opens the form at once


class BrokenEngine(SlowEngine):
    async def handle(self, event: Any) -> Any:
        raise RuntimeError("boom")


async def test_an_engine_failure_is_a_private_apology(h: Harness) -> None:
    h.bot.interactions.engine = BrokenEngine(h.bot.engine)  # type: ignore[assignment]
    cb = await h.command("attendance", P1)
    assert cb["data"]["content"].startswith("Sorry — something went wrong")
    assert cb["data"]["flags"] & EPHEMERAL


async def test_a_facilitator_links_a_guest_from_the_roster(h: Harness) -> None:
    h.clock.set(START)
    await h.voice(GUEST_ID, VOICE)  # K. joined from an account nobody configured
    h.clock.set(START + timedelta(minutes=20))
    roster = await h.command("roster", FAC)
    guests = roster["data"]["embeds"][0]["description"].splitlines()[-1]
    key = guests.split("(")[-1].rstrip(")")
    assert key.startswith("discord:")
    option, resolved = P.user_option("person", P4)
    cb = await h.command(
        "link", FAC, options=[{"name": "guest", "type": 3, "value": key}, option], resolved=resolved
    )
    assert cb["data"]["content"].startswith(f"Linked guest {key} to K. in Evening Group A")
    (record,) = await h.engine_app.store.records(person_id="p-004")
    assert record.attended_minutes == 20
