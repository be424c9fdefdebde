"""The Slack adapter over HTTP: signed requests to the running bot, FakeSlack for the Web API."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

from adapters.slack.blocks import action_id
from bot.core.actions import Action
from bot.core.domain import EvidenceKind
from bot.core.engine import Engine
from bot.core.events import ButtonPressed, CommandInvoked, PresenceObserved, SurveySubmitted
from tests.adapters.slack.harness import (
    FACILITATOR,
    NAMES,
    P1,
    P2,
    STRANGER,
    SlackBot,
    end_with_survey,
    open_session_id,
    running_bot,
)

#: the adapter tests run on a SQLite file like production (False: the in-memory store)
SQLITE = True


def _ack_text(sent: Any) -> str:
    return str(sent.json.get("text", ""))


async def _audit_actions(bot: SlackBot) -> list[str]:
    return [a.action for a in await bot.app.store.audit_page()]


async def test_checkin_is_stored_before_its_ack_and_replied_privately(tmp_path: Path) -> None:
    async with running_bot(tmp_path, sqlite=SQLITE) as bot:
        sent = await bot.command(P1, "/checkin", "bus late <@U0002|morgan z> &amp; more")
        assert sent.status == 200
        assert sent.json["response_type"] == "ephemeral"
        assert _ack_text(sent).startswith("You're checked in to Evening Group A (Mon 6:00 PM)")
        entries = await bot.app.store.evidence(person_id="p-001", kinds=[EvidenceKind.CHECKIN])
        assert len(entries) == 1 and entries[0].source == "slack"
        notes = await bot.app.store.notes_for("p-001")
        assert [n for _, n in notes] == ["bus late <@U0002> & more"]
        again = await bot.command(P1, "/checkin")
        assert _ack_text(again).startswith("You already checked in to Evening Group A")
        assert len(await bot.app.store.evidence(kinds=[EvidenceKind.CHECKIN])) == 1
        await bot.settle()
        assert not bot.fake.called("chat.postMessage")  # nothing posted in a channel


async def test_unknown_person_gets_the_generic_answer_and_an_audit_row(tmp_path: Path) -> None:
    async with running_bot(tmp_path, sqlite=SQLITE) as bot:
        sent = await bot.command(STRANGER, "/checkin")
        assert _ack_text(sent) == "You're not enrolled in a group here — ask your facilitator."
        assert "command.unknown_person" in await _audit_actions(bot)
        assert not await bot.app.store.evidence()


async def test_roster_acks_at_once_and_answers_through_response_url(tmp_path: Path) -> None:
    async with running_bot(tmp_path, sqlite=SQLITE) as bot:
        denied = await bot.command(P2, "/roster")
        assert denied.status == 200 and denied.text == ""
        await bot.settle()
        (_, body) = bot.fake.responses[-1]
        assert body["text"] == "Only this group's facilitators can see the roster."
        assert body["response_type"] == "ephemeral"
        assert "command.denied" in await _audit_actions(bot)

        await bot.command(FACILITATOR, "/roster")
        await bot.settle()
        (_, roster) = bot.fake.responses[-1]
        assert roster["response_type"] == "ephemeral" and roster["text"].startswith("Roster:")
        blocks = roster["blocks"]
        buttons = [e for b in blocks if b["type"] == "actions" for e in b["elements"]]
        # three participants × present/late/absent/excused + participation high/medium/low
        assert len(buttons) == 21
        assert "roster.view" in await _audit_actions(bot)

        excuse = next(b for b in buttons if b["value"].endswith("|p-002|excused"))
        url = bot.fake.response_url("roster-msg")
        pressed = await bot.press(
            FACILITATOR, excuse["action_id"], excuse["value"], response_url=url
        )
        assert pressed.status == 200
        await bot.settle()
        token, updated = bot.fake.responses[-1]
        assert token == "roster-msg" and updated["replace_original"] is True
        assert "excused" in json.dumps(updated["blocks"])
        records = await bot.app.store.records(person_id="p-002")
        assert records[-1].status.value == "excused" and records[-1].verified_by == "f-001"
        assert "attendance.override" in await _audit_actions(bot)


async def test_a_participant_pressing_a_roster_button_changes_nothing(tmp_path: Path) -> None:
    async with running_bot(tmp_path, sqlite=SQLITE) as bot:
        session_id = await open_session_id(bot)
        await bot.press(P1, action_id("mark", 0), f"{session_id}|p-002|absent")
        await bot.settle()
        (_, body) = bot.fake.responses[-1]
        assert body["text"] == "Only this group's facilitators can change attendance."
        assert body["replace_original"] is False
        assert not await bot.app.store.evidence(kinds=[EvidenceKind.VERIFY])


async def test_bad_and_stale_signatures_are_refused_and_store_nothing(tmp_path: Path) -> None:
    async with running_bot(tmp_path, sqlite=SQLITE) as bot:
        forged = await bot.command(P1, "/checkin", secret="not-the-secret")
        stale = await bot.command(P1, "/checkin", age=6 * 60)
        assert (forged.status, stale.status) == (401, 401)
        assert not await bot.app.store.evidence()
        fresh_enough = await bot.command(P1, "/checkin", age=4 * 60)
        assert fresh_enough.status == 200


async def test_url_verification_and_garbage(tmp_path: Path) -> None:
    async with running_bot(tmp_path, sqlite=SQLITE) as bot:
        body = json.dumps({"type": "url_verification", "challenge": "c-123", "token": "x"})
        sent = await bot.send(body, content_type="application/json")
        assert sent.status == 200 and sent.json == {"challenge": "c-123"}
        bad = await bot.send(
            "payload=%7Bnot-json", content_type="application/x-www-form-urlencoded"
        )
        assert 400 <= bad.status < 500
        unsigned = await bot.http.post(bot.url, data=b"command=%2Fcheckin&user_id=U0001")
        assert unsigned.status == 401
        huge = await bot.send("text=" + "x" * (2 * 1024 * 1024))
        assert huge.status == 413
        assert not await bot.app.store.evidence()


async def test_app_home_shows_only_the_viewers_own_record(tmp_path: Path) -> None:
    async with running_bot(tmp_path, sqlite=SQLITE) as bot:
        await bot.command(P1, "/checkin")
        home = {"type": "app_home_opened", "user": P1, "channel": "D1", "tab": "home"}
        assert (await bot.event(home, event_id="Ev1")).status == 200
        await bot.settle()
        (published,) = bot.fake.called("views.publish")
        assert published["user_id"] == P1
        text = json.dumps(published["view"])
        assert "Your attendance so far" in text
        assert not any(name in text for name in NAMES)
        facilitator = dict(home, user=FACILITATOR)
        await bot.event(facilitator, event_id="Ev2")
        await bot.settle()
        text = json.dumps(bot.fake.called("views.publish")[-1]["view"])
        assert "Evening Group A" in text and "/roster" in text
        assert not any(name in text for name in NAMES)


async def test_a_redelivered_event_changes_nothing(tmp_path: Path) -> None:
    async with running_bot(tmp_path, sqlite=SQLITE) as bot:
        home = {"type": "app_home_opened", "user": P1, "channel": "D1", "tab": "home"}
        await bot.event(home, event_id="Ev9")
        again = await bot.event(home, event_id="Ev9", retry=1)
        assert again.status == 200
        await bot.settle()
        assert len(bot.fake.called("views.publish")) == 1


async def test_huddle_changes_are_hints_only(tmp_path: Path) -> None:
    async with running_bot(tmp_path, sqlite=SQLITE) as bot:
        event = {
            "type": "user_huddle_changed",
            "user": {
                "id": P1,
                "real_name": "Jordan Q.",
                "profile": {"huddle_state": "in_a_huddle", "huddle_state_call_id": "R1"},
            },
        }
        assert (await bot.event(event, event_id="EvH")).status == 200
        other = {"type": "reaction_added", "user": P1}
        assert (await bot.event(other, event_id="EvR")).status == 200
        await bot.settle()
        assert not await bot.app.store.evidence()
        assert not await bot.app.store.records()
        assert {c.method for c in bot.fake.calls} == {"auth.test"}

        def rows(roster: dict[str, Any]) -> dict[str, str]:
            """The roster's row per person id, from its Block Kit sections."""
            texts = [b["text"]["text"] for b in roster["blocks"] if b["type"] == "section"]
            names = {"p-001": NAMES[0], "p-002": NAMES[1]}
            return {pid: t for t in texts for pid, name in names.items() if name in t}

        # the facilitator sees the hint beside the person, and only as a hint
        await bot.command(FACILITATOR, "/roster")
        await bot.settle()
        (_, roster) = bot.fake.responses[-1]
        shown = rows(roster)
        assert "in a Slack huddle since" in shown["p-001"] and "not attendance" in shown["p-001"]
        assert "huddle" not in shown["p-002"]
        (record,) = await bot.app.store.records(person_id="p-001")
        assert record.status.value == "absent" and record.attended_minutes == 0
        # they leave the huddle: the hint goes
        left = {"type": "user_huddle_changed", "user": {"id": P1, "profile": {}}}
        assert (await bot.event(left, event_id="EvH2")).status == 200
        await bot.settle()
        await bot.command(FACILITATOR, "/roster")
        await bot.settle()
        (_, roster) = bot.fake.responses[-1]
        assert "huddle" not in rows(roster)["p-001"]
        assert not await bot.app.store.evidence()


async def test_survey_opens_a_modal_and_its_submission_is_stored(tmp_path: Path) -> None:
    async with running_bot(tmp_path, sqlite=SQLITE) as bot:
        await bot.command(P1, "/checkin")
        await end_with_survey(bot, "p-001")
        sent = await bot.command(P1, "/survey")
        assert sent.status == 200 and sent.text == ""
        await bot.settle()
        (opened,) = bot.fake.called("views.open")
        view = opened["view"]
        assert opened["trigger_id"] and view["callback_id"] == "rollcall_survey"
        session_id = view["private_metadata"]
        answers = {
            "attended": ("radio_buttons", "yes"),
            "helpful": ("radio_buttons", "5"),
            "climate": ("radio_buttons", "Mostly OK"),
        }
        done = await bot.submit_survey(P1, session_id, answers)
        assert done.status == 200
        assert done.json["response_action"] == "update"
        assert "your answers are saved" in json.dumps(done.json["view"])
        entries = await bot.app.store.evidence(session_id=session_id, kinds=[EvidenceKind.SURVEY])
        confirming = [e for e in entries if e.data.get("question") == "attended"]
        assert confirming and confirming[0].person_id == "p-001"
        assert confirming[0].data.get("attended") is True
        anonymous = [e for e in entries if e.data.get("question") == "climate"]
        assert anonymous and anonymous[0].person_id is None
        twice = await bot.submit_survey(P1, session_id, answers)
        assert "already answered" in json.dumps(twice.json["view"])


async def test_survey_falls_back_to_a_button_when_the_modal_cannot_open(tmp_path: Path) -> None:
    async with running_bot(tmp_path, sqlite=SQLITE) as bot:
        await bot.command(P1, "/checkin")
        await end_with_survey(bot, "p-001")
        bot.fake.fail("views.open", "expired_trigger_id")
        await bot.command(P1, "/survey")
        await bot.settle()
        (_, body) = bot.fake.responses[-1]
        assert body["blocks"][-1]["elements"][0]["action_id"] == "rc:survey:0"


async def test_the_survey_button_of_a_dm_opens_the_modal(tmp_path: Path) -> None:
    async with running_bot(tmp_path, sqlite=SQLITE) as bot:
        await bot.command(P1, "/checkin")
        session_id = await end_with_survey(bot, "p-001")
        await bot.press(P1, action_id("survey", 0), session_id, channel_id="DU0001")
        await bot.settle()
        (opened,) = bot.fake.called("views.open")
        assert opened["view"]["private_metadata"] == session_id


async def test_rollcall_command_is_help(tmp_path: Path) -> None:
    async with running_bot(tmp_path, sqlite=SQLITE) as bot:
        sent = await bot.command(P1, "/rollcall")
        assert _ack_text(sent).startswith("What I can do:")
        assert "/checkin" in _ack_text(sent) and "/roster" not in _ack_text(sent)


async def test_without_a_response_url_answers_go_ephemeral_then_by_dm(tmp_path: Path) -> None:
    async with running_bot(tmp_path, sqlite=SQLITE, pace_interval=0.05) as bot:
        bot.fake.respond_status = 404  # the response_url expired
        await bot.command(P2, "/roster")
        await bot.settle()
        (ephemeral,) = bot.fake.called("chat.postEphemeral")
        assert (ephemeral["channel"], ephemeral["user"]) == ("C0001", P2)
        assert ephemeral["text"] == "Only this group's facilitators can see the roster."
        bot.fake.fail("chat.postEphemeral", "not_in_channel")
        await bot.command(P2, "/roster")
        await bot.settle()
        (dm,) = bot.fake.called("chat.postMessage")
        assert dm["channel"] == f"D{P2}" and dm["text"] == ephemeral["text"]


class SlowEngine(Engine):
    """Delays every event, to see the ack deadline at work."""

    def __init__(self, engine: Engine, delay: float) -> None:  # no super(): it wraps
        self._engine, self._delay = engine, delay

    def __getattr__(self, name: str) -> object:  # every read model: the wrapped engine's
        return getattr(self._engine, name)

    async def handle(
        self, event: CommandInvoked | ButtonPressed | PresenceObserved | SurveySubmitted
    ) -> list[Action]:
        await asyncio.sleep(self._delay)
        result: list[Action] = await self._engine.handle(event)
        return result


async def test_slow_work_acks_in_time_and_answers_later(tmp_path: Path) -> None:
    async with running_bot(tmp_path, sqlite=SQLITE, ack_deadline=0.2) as bot:
        bot.adapter.engine = bot.adapter.outbound.engine = SlowEngine(bot.engine, 0.5)
        started = time.monotonic()
        sent = await bot.command(P1, "/checkin", "note")
        assert time.monotonic() - started < 0.45
        assert _ack_text(sent) == "Working on it…"
        await bot.settle()
        (_, body) = bot.fake.responses[-1]
        assert body["text"].startswith("You're checked in")
        assert len(await bot.app.store.evidence(kinds=[EvidenceKind.CHECKIN])) == 1
