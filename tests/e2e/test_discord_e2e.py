"""A whole session on Discord, end to end: the real discord.py client against a stand-in
Discord (REST + gateway on 127.0.0.1), the real engine, a SQLite file store, a fake clock.

Evening Group A meets Monday 6–9 PM (America/New_York). J. joins early, checks in,
drops out of voice for a minute and back (under the 120 s merge gap); M. never checks
in but stays all evening with her camera on for an hour and a mute toggle; A. leaves
early and has DMs closed; the bot's gateway blips (RESUME) and later loses its session:
the new READY's snapshot says J. has gone and K., whose join the bot never saw, is in
the room with her camera on. The facilitator looks at the roster; a participant can't.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.core.outbox import Kind, OutboxItem, OutboxStatus
from bot.core.outreach.delivery import Dispatcher
from bot.core.reports.render import to_csv
from tests.adapters.discord.harness import (
    FAC,
    GUEST,
    GUILD,
    P1,
    P2,
    P3,
    P4,
    VOICE,
    Harness,
    eventually,
    guild,
)
from tests.fakes import discord_gateway as P

TZ = ZoneInfo("America/New_York")
START = datetime(2026, 11, 30, 18, 0, tzinfo=TZ)
SESSION = "evening-a-20261130-1800"
EPHEMERAL = 64


def at(hh: int, mm: int) -> datetime:
    return START.replace(hour=hh, minute=mm)


@pytest.fixture
async def h(tmp_path: Path) -> AsyncIterator[Harness]:
    harness = Harness(tmp_path, at(17, 50))
    try:
        await harness.start()
        await harness.engine_app.engine.create_session(
            group_id="evening-a", start=START, minutes=180, actor_id="coordinator"
        )
        yield harness
    finally:
        await harness.stop()


async def test_a_session_on_discord(h: Harness) -> None:
    engine, store, fake, bot = h.engine_app.engine, h.engine_app.store, h.fake, h.bot

    h.clock.set(at(17, 58))
    await h.voice(P1, VOICE, session_id="j-1")
    h.clock.set(at(18, 0))
    await h.voice(P2, VOICE)
    h.clock.set(at(18, 1))
    checkin = await h.command("checkin", P1)
    assert checkin["data"]["flags"] & EPHEMERAL
    assert checkin["data"]["content"] == (
        "You're checked in to Evening Group A (Mon 6:00 PM) at 6:01 PM. Welcome!"
    )
    h.clock.set(at(18, 2))
    await h.voice(P3, VOICE)
    h.clock.set(at(18, 5))
    await h.voice(P2, VOICE, self_video=True)
    h.clock.set(at(18, 10))
    await h.voice(GUEST, VOICE)
    h.clock.set(at(18, 20))
    await h.voice(GUEST, None)
    # J.'s own connection blips: out at 6:30, back at 6:31 (60 s < the 120 s merge gap)
    h.clock.set(at(18, 30))
    await h.voice(P1, None, session_id="j-1")
    h.clock.set(at(18, 31))
    await h.voice(P1, VOICE, session_id="j-2")
    h.clock.set(at(18, 40))
    await h.voice(P2, VOICE, self_video=True, self_mute=True)  # mute: splits nothing

    # the facilitator's roster, private; a participant is refused, privately
    h.clock.set(at(18, 45))
    roster = await h.command("roster", FAC)
    assert roster["type"] == 4 and roster["data"]["flags"] & EPHEMERAL
    (embed,) = roster["data"]["embeds"]
    lines = embed["description"].splitlines()
    # attention first (not here yet), then present, by name
    assert lines[0].startswith("**K.** — not here yet · not in the room · 0 min")
    assert lines[1].startswith("**A.** — present · in the room · 43 min")
    assert lines[2] == (
        "**J.** — present · checked in 6:01 PM · in the room · 45 min · camera 0 min"
    )
    assert lines[3].startswith("**M.** — present · in the room · 45 min · camera 40 min")
    assert lines[4].startswith("Guests (not linked to anyone): visitor")
    denied = await h.command("roster", P2)
    assert denied["data"]["content"] == "Only this group's facilitators can see the roster."
    assert denied["data"]["flags"] & EPHEMERAL

    # a gateway blip: the socket drops, discord.py RESUMEs, nothing changes
    h.clock.set(at(18, 50))
    reconciles = bot.voice.reconciles
    await fake.drop()
    await fake.wait_for(lambda: fake.resumes() == 1)
    await eventually(lambda: bot.voice.reconciles > reconciles and bot.gap_since is None)

    h.clock.set(at(19, 5))
    await h.voice(P2, VOICE, self_video=False, self_mute=True)
    h.clock.set(at(19, 30))
    await h.voice(P3, None)  # A. leaves early

    # a reminder to A., whose DMs are closed, through the outbox: unreachable once (her
    # facilitator reads it in the session's digest), no request at all for the later ones
    fake.closed_dms.add(P3)
    dispatcher = Dispatcher(store, h.clock, notifiers={"chat": [bot.notifier]}, posters=[bot])
    h.clock.set(at(19, 35))
    await store.enqueue(
        [
            OutboxItem(
                key=f"nudge:{SESSION}:p-003:{i}",
                kind=Kind.NUDGE,
                person_id="p-003",
                due_at=h.clock.now(),
                text="We missed you — here's how to book a make-up.",
            )
            for i in range(3)
        ]
    )
    await dispatcher.drain()
    a_channel = next(c for c, u in fake.dm_channels.items() if u == P3)
    assert fake.count("POST", f"/channels/{a_channel}/messages") == 1
    assert fake.count("POST", "/users/@me/channels") == 1  # A. once
    failed = await store.outbox_items(person_id="p-003")
    assert {i.status for i in failed} == {OutboxStatus.FAILED}
    assert await store.unreachable_channels("p-003") == {"chat"}

    # 8:00 PM: the session is lost. While the bot is away J. leaves and K. (whose
    # join it never sees) comes in with her camera on; M. is still there.
    h.clock.set(at(20, 0))
    reconciles = bot.voice.reconciles
    fake.ready_gate.clear()
    await fake.invalidate()
    await fake.wait_for(lambda: fake.identifies() == 2)
    fake.guilds[GUILD] = guild(
        [
            P.voice_state(VOICE, P2, self_mute=True),
            P.voice_state(VOICE, P4, self_video=True),
        ]
    )
    h.clock.set(at(20, 10))
    fake.ready_gate.set()
    await eventually(lambda: bot.voice.reconciles > reconciles and bot.gap_since is None)

    # the session ends; housekeeping would do this at 9:02 PM
    h.clock.set(at(21, 5))
    await engine.end_session(SESSION, actor_id="system")

    rows = await engine.report_rows(group_id="evening-a")
    csv = to_csv(rows, TZ).splitlines()
    assert csv[0] == (
        "session_id,group_id,session_start,session_end,participant_id,status,"
        "attended_minutes,camera_minutes,first_seen,last_seen,checked_in_at,flags,"
        "verified_by,makeup_for"
    )
    s = f"{SESSION},evening-a,2026-11-30T18:00:00-05:00,2026-11-30T21:00:00-05:00"
    assert csv[1:] == [
        # 5:58 (clipped to 6:00) → 8:00, the blip merged; closed by reconciliation
        f"{s},p-001,partial,120,0,2026-11-30T17:58:00-05:00,2026-11-30T20:00:00-05:00,"
        "2026-11-30T18:01:00-05:00,left_early;uncertain,,",
        # all evening; camera 6:05–7:05; never checked in
        f"{s},p-002,present,180,60,2026-11-30T18:00:00-05:00,2026-11-30T21:00:00-05:00,"
        ",seen_not_checked_in,,",
        # 6:02–7:30, left early; DMs closed
        f"{s},p-003,partial,88,0,2026-11-30T18:02:00-05:00,2026-11-30T19:30:00-05:00,"
        ",seen_not_checked_in;left_early;dm_unreachable,,",
        # seen only in the new snapshot: 8:10–9:00, camera on throughout
        f"{s},p-004,partial,50,50,2026-11-30T20:10:00-05:00,2026-11-30T21:00:00-05:00,"
        ",seen_not_checked_in,,",
    ]
    # every interaction got exactly one answer, and none was public
    assert all(cb["data"]["flags"] & EPHEMERAL for cb in fake.callbacks if cb["type"] == 4)
