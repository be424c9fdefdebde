"""Voice presence and reconciliation through discord.py's real gateway connection."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from bot.core.attendance.presence import guest_key
from bot.core.domain import EvidenceKind, Flag
from bot.core.events import Identity
from tests.adapters.discord.conftest import START, TZ
from tests.adapters.discord.harness import (
    FAC,
    GUEST,
    GUILD,
    LOBBY,
    P1,
    P2,
    VOICE,
    Harness,
    eventually,
    guild,
)
from tests.fakes import discord_gateway as P
from tests.fakes.discord import Scripted

Row = tuple[str, str, datetime, bool]


async def presence(h: Harness) -> list[Row]:
    store = h.engine_app.store
    entries = await store.evidence(group_id="evening-a", kinds=[EvidenceKind.PRESENCE])
    return [
        (
            e.person_id or str(e.guest_key),
            str(e.data["action"]),
            e.at.astimezone(TZ),
            bool(e.data.get("reconciled")),
        )
        for e in entries
    ]


def at(minutes: int) -> datetime:
    return START + timedelta(minutes=minutes)


async def test_login_syncs_commands_and_identifies_with_unprivileged_intents(h: Harness) -> None:
    puts = [r for r in h.fake.requests if r.method == "PUT"]
    guild_put, global_put = puts
    assert guild_put.path == f"/applications/{P.APP_ID}/guilds/{GUILD}/commands"
    names = {c["name"] for c in guild_put.body}
    assert {"checkin", "checkout", "absent", "attendance", "roster", "verify", "enroll"} <= names
    assert "unenroll" in names and "help" in names
    verify = next(c for c in guild_put.body if c["name"] == "verify")
    status = next(o for o in verify["options"] if o["name"] == "status")
    assert [c["value"] for c in status["choices"]] == [
        "present",
        "late",
        "partial",
        "absent",
        "excused",
        "made_up",
    ]
    # participation alone needs no status; a make-up says its kind
    assert status.get("required", False) is False
    kind = next(o for o in verify["options"] if o["name"] == "kind")
    assert [c["value"] for c in kind["choices"]] == ["recorded", "one_on_one"]
    assert next(o for o in verify["options"] if o["name"] == "person")["type"] == 6
    # the global copies are for DMs with the bot only, so a server shows no duplicates
    assert global_put.path == f"/applications/{P.APP_ID}/commands"
    assert {c["name"] for c in global_put.body} == names
    assert all(c["contexts"] == [1] for c in global_put.body)
    (identify,) = [f for f in h.fake.gateway_log if f["op"] == 2]
    assert identify["d"]["intents"] == 1 | 128  # GUILDS | GUILD_VOICE_STATES, none privileged


async def test_joins_camera_and_leaves_become_evidence_and_mute_splits_nothing(h: Harness) -> None:
    h.clock.set(at(-2))
    await h.voice(P1, VOICE)
    h.clock.set(at(5))
    await h.voice(P1, VOICE, self_video=True)
    h.clock.set(at(20))
    await h.voice(P1, VOICE, self_video=True, self_mute=True)  # mute: nothing
    await h.voice(P1, VOICE, self_video=True, self_mute=True, self_deaf=True)  # deafen: nothing
    h.clock.set(at(35))
    await h.voice(P1, VOICE, self_video=False, self_mute=True, self_stream=True)
    h.clock.set(at(50))
    await h.voice(P1, LOBBY)  # a move to an unbound channel is a leave
    h.clock.set(at(55))
    await h.voice(P1, LOBBY, self_video=True)  # nothing: not a group's room
    await h.voice(FAC, LOBBY)
    assert await presence(h) == [
        ("p-001", "join", at(-2), False),
        ("p-001", "camera_on", at(5), False),
        ("p-001", "camera_off", at(35), False),
        ("p-001", "screen_on", at(35), False),
        ("p-001", "leave", at(50), False),
    ]
    (record,) = await h.engine_app.store.records(person_id="p-001")
    assert record.attended_minutes == 50 and record.camera_minutes == 30


async def test_a_guest_and_a_bot_in_the_room(h: Harness) -> None:
    h.clock.set(at(1))
    await h.voice(GUEST, VOICE)
    before = h.bot.voice.processed
    bot = P.voice_state(VOICE, "300000000000000777", guild_id=GUILD)
    bot["member"] = P.member("300000000000000777", "music", bot=True)
    await h.fake.dispatch("VOICE_STATE_UPDATE", bot)
    await h.voice(P2, VOICE)  # processed in order: the bot's update was skipped before it
    assert h.bot.voice.processed == before + 1
    key = guest_key("discord", Identity(platform_user_id=GUEST))
    assert await presence(h) == [(key, "join", at(1), False), ("p-002", "join", at(1), False)]


async def test_a_member_removed_from_the_server_leaves_once(h: Harness) -> None:
    h.clock.set(at(0))
    await h.voice(P2, VOICE)
    h.clock.set(at(30))
    before = h.bot.voice.processed
    await h.fake.dispatch("GUILD_MEMBER_REMOVE", {"guild_id": GUILD, "user": P.user(P2)})
    await eventually(lambda: h.bot.voice.processed > before)
    h.clock.set(at(31))
    await h.voice(P2, None)  # Discord disconnects them from voice too: no second leave
    assert await presence(h) == [
        ("p-002", "join", at(0), False),
        ("p-002", "leave", at(30), False),
    ]


async def test_startup_snapshot_opens_stays_for_people_already_in_the_room(
    tmp_path: Path,
) -> None:
    harness = Harness(tmp_path, at(3))
    bot_state = P.voice_state(VOICE, "300000000000000777")
    try:
        await harness.start(
            [P.voice_state(VOICE, P1, self_video=True), bot_state], bots=("300000000000000777",)
        )
        assert await presence(harness) == [
            ("p-001", "join", at(3), True),
            ("p-001", "camera_on", at(3), True),
        ]
    finally:
        await harness.stop()


async def test_a_new_session_whose_snapshot_differs_is_reconciled(h: Harness) -> None:
    h.clock.set(at(0))
    await h.voice(P1, VOICE)
    await h.voice(P2, VOICE, self_video=True)
    h.clock.set(at(60))
    reconciles = h.bot.voice.reconciles
    h.fake.ready_gate.clear()  # the new connection waits for READY until we say so
    await h.fake.invalidate()
    await h.fake.wait_for(lambda: h.fake.identifies() == 2)
    assert h.bot.gap_since == at(60)
    # during the gap: J. left, M. turned the camera off, K. came in
    h.fake.guilds[GUILD] = guild(
        [P.voice_state(VOICE, P2), P.voice_state(VOICE, "200000000000000014")]
    )
    h.clock.set(at(75))
    h.fake.ready_gate.set()
    await eventually(lambda: h.bot.voice.reconciles > reconciles and h.bot.gap_since is None)
    rows = await presence(h)
    assert rows[3:] == [
        ("p-001", "leave", at(60), True),  # closed when the gap began: uncertain
        ("p-002", "camera_off", at(75), True),
        ("p-004", "join", at(75), True),
    ]
    (j,) = await h.engine_app.store.records(person_id="p-001")
    assert Flag.UNCERTAIN in j.flags and j.attended_minutes == 60
    # the adapter's belief follows the snapshot: K. leaving now is an ordinary leave
    h.clock.set(at(80))
    await h.voice("200000000000000014", None)
    assert (await presence(h))[-1] == ("p-004", "leave", at(80), False)


async def test_a_resumed_session_changes_nothing(h: Harness) -> None:
    h.clock.set(at(0))
    await h.voice(P1, VOICE)
    reconciles = h.bot.voice.reconciles
    await h.fake.drop()
    await h.fake.wait_for(lambda: h.fake.resumes() == 1)
    await eventually(lambda: h.bot.voice.reconciles > reconciles)
    assert h.fake.identifies() == 1
    assert await presence(h) == [("p-001", "join", at(0), False)]
    await h.voice(P1, None)
    assert (await presence(h))[-1][1] == "leave"


async def test_sharded_client_finds_its_gateway_and_tracks_voice(tmp_path: Path) -> None:
    harness = Harness(tmp_path, at(0))
    try:
        await harness.start(sharded=True)
        await harness.engine_app.engine.create_session(
            group_id="evening-a", start=START, minutes=180, actor_id="test"
        )
        assert harness.fake.count("GET", "/gateway/bot") >= 1
        (identify,) = [f for f in harness.fake.gateway_log if f["op"] == 2]
        assert identify["d"]["shard"] == [0, 1]
        await harness.voice(P1, VOICE)
        assert await presence(harness) == [("p-001", "join", at(0), False)]
    finally:
        await harness.stop()


async def test_a_refused_token_stops_the_start_with_a_clear_message(tmp_path: Path) -> None:
    harness = Harness(tmp_path, at(0))
    try:
        await harness.prepare()
        unauthorized = Scripted(401, {"message": "401: Unauthorized", "code": 0})
        harness.fake.failures["GET /users/@me"] = [unauthorized]
        with pytest.raises(
            RuntimeError, match=r"Discord refused the bot token \(\[discord\] token\)"
        ):
            await harness.bot.start()
    finally:
        await harness.stop()


async def test_discord_down_at_start_is_retried_in_the_background(tmp_path: Path) -> None:
    harness = Harness(tmp_path, at(0))
    try:
        await harness.prepare()
        down = Scripted(503, {"message": "upstream connect error"})
        harness.fake.failures["GET /users/@me"] = [down, down]
        await harness.bot.start()  # returns: the rest of the bot starts without Discord
        await harness.ready()
        assert harness.fake.count("GET", "/users/@me") == 3
        assert harness.fake.count("PUT", "/applications/") == 2  # commands synced once
        await harness.voice(P1, VOICE)
        assert await presence(harness) == [("p-001", "join", at(0), False)]
    finally:
        await harness.stop()
