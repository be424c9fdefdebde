"""A whole group session over Slack: the bot as `rollcall run` wires it (HTTP mode, a
real SQLite file), signed requests over loopback, and a local stand-in for Slack's Web
API and response_urls. Every step asserts the reply, what is stored and the audit rows.
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.core.domain import EvidenceKind, Flag, Status
from bot.core.ledger import verify_chain
from bot.core.outreach.autopilot import Autopilot
from bot.core.outreach.delivery import Dispatcher
from bot.shell.app import build_channels
from tests.adapters.slack.harness import (
    FACILITATOR,
    NAMES,
    NOW,
    P1,
    P2,
    P3,
    STRANGER,
    SlackBot,
    running_bot,
)

NOTE = "ride-was-late-5521"


async def _audit(bot: SlackBot) -> list[tuple[str, str, str]]:
    return [(a.action, a.actor_id, a.target) for a in await bot.app.store.audit_page()]


async def _ledger_size(bot: SlackBot) -> int:
    return len(await bot.app.store.ledger_page())


def _last_response(bot: SlackBot) -> dict[str, Any]:
    return bot.fake.responses[-1][1]


def _autopilot(bot: SlackBot) -> Autopilot:
    """What `rollcall run` schedules: plan, end sessions, deliver through the adapter."""
    channels = build_channels(bot.config, [bot.adapter])
    dispatcher = Dispatcher(
        bot.app.store, bot.clock, notifiers=channels.notifiers, posters=channels.posters
    )
    return Autopilot(bot.engine, bot.config, dispatcher, store=bot.app.store)


def _posts(bot: SlackBot, prefix: str) -> list[dict[str, Any]]:
    return [c for c in bot.fake.called("chat.postMessage") if str(c["channel"]).startswith(prefix)]


async def test_a_group_session_over_slack(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    for name in ("rollcall", "slack_bolt", "slack_sdk", "rollcall.slack.sdk"):
        caplog.set_level(logging.DEBUG, logger=name)
    async with running_bot(tmp_path, pace_interval=0.01) as bot:
        store = bot.app.store
        autopilot = _autopilot(bot)

        # -- 5:50 PM, the session opens: a post in the group's channel that names nobody --
        bot.clock.set(NOW - timedelta(minutes=15))
        await autopilot.tick(leader=True)
        bot.clock.set(NOW)
        (opened_post,) = _posts(bot, "C0001")
        assert (
            opened_post["text"]
            == "Evening Group A is open. Use /checkin to let us know you're here."
        )

        # -- participants check in: one with a note, one from a DM, one twice --------------
        first = await bot.command(P1, "/checkin", f"{NOTE} <@U0002|Morgan Z.>")
        assert first.status == 200 and first.json["response_type"] == "ephemeral"
        assert first.json["text"].startswith("You're checked in to Evening Group A (Mon 6:00 PM)")
        bot.clock.advance(timedelta(minutes=8))  # 6:13 PM: late
        second = await bot.command(P2, "/checkin", channel_id="D0002")
        assert second.json["text"].startswith("You're checked in to Evening Group A")
        again = await bot.command(P1, "/checkin")
        assert again.json["text"] == (
            "You already checked in to Evening Group A (Mon 6:00 PM) at 6:05 PM."
        )
        checkins = await store.evidence(kinds=[EvidenceKind.CHECKIN])
        assert sorted(e.person_id or "" for e in checkins) == ["p-001", "p-002"]
        session_id = checkins[0].session_id
        assert session_id is not None
        assert [n for _, n in await store.notes_for("p-001")] == [f"{NOTE} <@U0002>"]

        # -- someone the program doesn't know ---------------------------------------------
        stranger = await bot.command(STRANGER, "/checkin")
        assert stranger.json["text"] == (
            "You're not enrolled in a group here — ask your facilitator."
        )
        assert ("command.unknown_person", f"slack:{STRANGER}", "checkin") in await _audit(bot)

        # -- a participant may not see the roster -----------------------------------------
        denied = await bot.command(P3, "/roster")
        assert denied.status == 200 and denied.text == ""  # acked at once, answered after
        await bot.settle()
        assert _last_response(bot)["text"] == "Only this group's facilitators can see the roster."
        assert _last_response(bot)["response_type"] == "ephemeral"
        assert ("command.denied", "p-003", "roster") in await _audit(bot)

        # -- the facilitator sees it and excuses someone with a button --------------------
        await bot.command(FACILITATOR, "/roster")
        await bot.settle()
        roster = _last_response(bot)
        assert roster["response_type"] == "ephemeral"
        shown = json.dumps(roster["blocks"])
        assert all(name in shown for name in NAMES[:3])  # private to the facilitator
        assert ("roster.view", "f-001", session_id) in await _audit(bot)
        buttons = [e for b in roster["blocks"] if b["type"] == "actions" for e in b["elements"]]
        excuse = next(b for b in buttons if b["value"] == f"{session_id}|p-003|excused")
        message_url = bot.fake.response_url("roster-message")
        pressed = await bot.press(
            FACILITATOR, excuse["action_id"], excuse["value"], response_url=message_url
        )
        assert pressed.status == 200
        await bot.settle()
        token, updated = bot.fake.responses[-1]
        assert token == "roster-message" and updated["replace_original"] is True
        rows = [b["text"]["text"] for b in updated["blocks"] if b["type"] == "section"]
        assert any(r.startswith("*Alex V.* · excused") for r in rows)
        assert ("attendance.override", "f-001", f"{session_id}/p-003") in await _audit(bot)

        records = {r.person_id: r for r in await store.records(session_id=session_id)}
        assert records["p-001"].status is Status.PRESENT
        assert records["p-002"].status is Status.LATE
        assert records["p-003"].status is Status.EXCUSED
        assert Flag.OVERRIDE in records["p-003"].flags
        assert records["p-003"].verified_by == "f-001"

        # -- the survey, as a modal: once the session has ended and its survey gone out ----
        running = await bot.command(P1, "/survey", channel_id="D0001")
        assert "no survey waiting" in str(running.json.get("text", ""))
        ended = await store.get_session(session_id)
        assert ended is not None
        bot.clock.set(ended.end + timedelta(minutes=5))
        await autopilot.tick(leader=True)
        survey = await bot.command(P1, "/survey", channel_id="D0001")
        assert survey.status == 200
        await bot.settle()
        (opened,) = bot.fake.called("views.open")
        assert opened["view"]["private_metadata"] == session_id
        submitted = await bot.submit_survey(
            P1,
            session_id,
            {
                "attended": ("radio_buttons", "yes"),
                "helpful": ("radio_buttons", "4"),
                "climate": ("radio_buttons", "Safe and supportive"),
            },
        )
        assert submitted.json["response_action"] == "update"
        assert "your answers are saved" in json.dumps(submitted.json["view"])
        answers = await store.evidence(session_id=session_id, kinds=[EvidenceKind.SURVEY])
        confirming = next(e for e in answers if e.data.get("question") == "attended")
        assert confirming.person_id == "p-001" and confirming.data["attended"] is True
        climate = next(e for e in answers if e.data.get("question") == "climate")
        assert climate.person_id is None  # anonymous

        # -- forged and stale requests change nothing --------------------------------------
        size, audit_rows = await _ledger_size(bot), len(await _audit(bot))
        forged = await bot.command(P3, "/checkin", secret="guessed-secret")
        stale = await bot.command(P3, "/checkin", age=6 * 60)
        assert (forged.status, stale.status) == (401, 401)
        assert await _ledger_size(bot) == size and len(await _audit(bot)) == audit_rows
        assert not await store.evidence(person_id="p-003", kinds=[EvidenceKind.CHECKIN])

        # -- a redelivered event changes nothing -------------------------------------------
        home = {"type": "app_home_opened", "user": P2, "channel": "D0002", "tab": "home"}
        assert (await bot.event(home, event_id="Ev0E2E")).status == 200
        assert (await bot.event(home, event_id="Ev0E2E", retry=1)).status == 200
        assert (await bot.event(home, event_id="Ev0E2E", retry=2)).status == 200
        await bot.settle()
        (published,) = bot.fake.called("views.publish")
        assert published["user_id"] == P2
        assert "Your attendance so far" in json.dumps(published["view"])
        assert await _ledger_size(bot) == size and len(await _audit(bot)) == audit_rows

        # -- the session ends: survey invitations go by DM, each to its own person ---------
        bot.clock.advance(timedelta(hours=3))  # 21:13, past the end and its grace
        await autopilot.tick(leader=True)
        dms = _posts(bot, "D")
        invites = {c["channel"]: c for c in dms if c["text"].startswith("Thanks for being part")}
        # who attended (the invitations went before P1 answered through /survey above);
        # the excused p-003 did not attend
        assert set(invites) == {f"D{P1}", f"D{P2}"}
        button = invites[f"D{P2}"]["blocks"][-1]["elements"][0]
        assert button["action_id"] == "rc:survey:0" and button["value"] == session_id
        for dm in dms:  # reminders and invitations: about the group, never about others
            assert not any(name in json.dumps(dm) for name in NAMES)
        ended = await store.get_session(session_id)
        assert ended is not None and ended.state.value == "ended"

        # -- the record holds together -----------------------------------------------------
        for chain, fetch in (
            ("ledger", lambda after: store.ledger_page(after_seq=after)),
            ("audit", lambda after: store.audit_page(after_seq=after)),
        ):
            assert await verify_chain(chain, fetch, await store.chain_head(chain)) is None

        # -- nothing in a channel names anyone; every answer was private -------------------
        channel_posts = _posts(bot, "C")
        assert channel_posts
        for post in channel_posts:
            assert not any(name in json.dumps(post) for name in NAMES)
        assert all(body.get("response_type") == "ephemeral" for _, body in bot.fake.responses)

    log_text = "\n".join(
        r.getMessage() for r in caplog.records if not r.name.startswith(("aiosqlite", "sqlalchemy"))
    )
    assert "bad or stale signature" in log_text
    assert "redelivered" in log_text
    for secret in (NOTE, *NAMES, "name-of-U0001", "Safe and supportive"):
        assert secret not in log_text, secret


async def test_the_digest_tells_a_worse_episode_again_over_slack(tmp_path: Path) -> None:
    """Nobody comes to the daily group: Tuesday's digest to the facilitator (a Slack DM)
    names each two-in-a-row streak and 0% rate; Wednesday's tells the streaks again,
    worse (three in a row), and leaves out the rates, still 0%."""
    async with running_bot(tmp_path, pace_interval=0.01) as bot:
        autopilot = _autopilot(bot)
        bot.clock.set(NOW - timedelta(minutes=20))  # Monday 5:45 PM
        end = NOW + timedelta(days=2, hours=4)  # Wednesday 10:05 PM
        while bot.clock.now() < end:
            await autopilot.tick(leader=True)
            bot.clock.advance(timedelta(hours=1))
        await bot.settle()
        digests = [
            c["text"]
            for c in _posts(bot, f"D{FACILITATOR}")
            if c["text"].startswith("After Evening Group A")
        ]
        assert len(digests) == 2  # Monday's one miss is no pattern
        tuesday, wednesday = (d.splitlines() for d in digests)
        assert tuesday[0] == (
            "After Evening Group A (Tue May 5, 6:00 PM): 3 people to look at, most urgent first."
        )
        assert all("missed 2 sessions of Evening Group A in a row" in t for t in tuesday[1:])
        assert all("attendance in Evening Group A is 0%" in t for t in tuesday[1:])
        assert len(wednesday) == 4
        for line in wednesday[1:]:
            assert "missed 3 sessions of Evening Group A in a row" in line
            assert "attendance in" not in line  # unchanged: not told again
        # only to the facilitator: the participants' DMs name nobody else
        for dm in _posts(bot, "D"):
            if dm["channel"] != f"D{FACILITATOR}":
                assert not any(name in dm["text"] for name in NAMES)
