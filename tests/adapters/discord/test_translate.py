"""The pure translations: voice states, command options, components, modal fields, errors."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Any

import pytest

from adapters.discord import survey_form
from adapters.discord import translate as T
from adapters.discord.translate import VoiceSnapshot as V
from bot.core.actions import Button, RosterRow, RosterView, SurveyForm, SurveyQuestionView
from bot.core.ports import Delivery

ROOM, OTHER, LOBBY = "10", "11", "99"
BOUND = {ROOM, OTHER}


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (None, V(channel_id=ROOM), [(ROOM, "join")]),
        (V(channel_id=ROOM), None, [(ROOM, "leave")]),
        (V(channel_id=ROOM), V(channel_id=None), [(ROOM, "leave")]),
        (None, V(channel_id=ROOM, camera=True), [(ROOM, "join"), (ROOM, "camera_on")]),
        (V(channel_id=ROOM), V(channel_id=ROOM, camera=True), [(ROOM, "camera_on")]),
        (V(channel_id=ROOM, camera=True), V(channel_id=ROOM), [(ROOM, "camera_off")]),
        (V(channel_id=ROOM, camera=True), None, [(ROOM, "leave")]),  # the leave ends the camera
        (V(channel_id=ROOM), V(channel_id=ROOM, streaming=True), [(ROOM, "screen_on")]),
        (V(channel_id=ROOM, streaming=True), V(channel_id=ROOM), [(ROOM, "screen_off")]),
        # a move to an untracked channel is a leave; from one, a join
        (V(channel_id=ROOM), V(channel_id=LOBBY), [(ROOM, "leave")]),
        (V(channel_id=LOBBY), V(channel_id=ROOM), [(ROOM, "join")]),
        (V(channel_id=ROOM), V(channel_id=OTHER), [(ROOM, "leave"), (OTHER, "join")]),
        # unbound rooms and no-op changes yield nothing (mute/deaf are not even in the snapshot)
        (V(channel_id=LOBBY), None, []),
        (None, V(channel_id=LOBBY, camera=True), []),
        (V(channel_id=ROOM), V(channel_id=ROOM), []),
        (None, None, []),
    ],
)
def test_voice_actions(old: V | None, new: V | None, expected: list[tuple[str, str]]) -> None:
    assert T.voice_actions(old, new, BOUND) == expected


def test_presence_event_is_keyed_by_member_action_connection_and_instant() -> None:
    at = datetime(2026, 11, 30, 23, 0, tzinfo=UTC)
    ev = T.presence_event(room_id=ROOM, user_id="7", action="join", at=at, voice_session="s1")
    assert ev.source == "discord" and ev.stream == "voice" and ev.room_id == ROOM
    assert ev.identity.platform_user_id == "7"
    assert ev.key == f"{ROOM}:7:join:s1:{at.isoformat()}"
    again = T.presence_event(room_id=ROOM, user_id="7", action="join", at=at, voice_session="s1")
    assert again.key == ev.key  # a replay of the same event is the same evidence


def test_command_text_in_the_cores_order_with_mentions_and_keys() -> None:
    options = [
        {"name": "note", "type": 3, "value": "joined  late\nsorry"},
        {"name": "participation", "type": 3, "value": "high"},
        {"name": "status", "type": 3, "value": "late"},
        {"name": "person", "type": 6, "value": "12345"},
    ]
    assert T.command_text("verify", options) == "<@12345> late participation=high joined late sorry"
    attested = [*options, {"name": "minutes", "type": 4, "value": 170}]
    assert T.command_text("verify", attested) == (
        "<@12345> late participation=high minutes=170 joined late sorry"
    )
    assert T.command_text("dashboard", []) == ""
    assert T.command_text("checkin", []) == ""
    assert T.command_text("absent", [{"name": "reason", "type": 3, "value": "doctor"}]) == "doctor"
    assert T.command_text("someday", [{"name": "text", "type": 3, "value": "2"}]) == "2"
    link = [{"name": "person", "type": 6, "value": "9"}, {"name": "guest", "value": "discord:ab"}]
    assert T.command_text("link", link) == "discord:ab <@9>"
    assert [o.name for o in T.options_of("someday")] == ["text"]
    assert T.options_of("roster") == ()


def test_custom_ids_round_trip_and_respect_the_limit() -> None:
    cid = T.custom_id("mark", "s-1|p-1|present")
    assert cid == "rollcall:mark:s-1|p-1|present"
    assert T.parse_custom_id(cid) == ("mark", "s-1|p-1|present")
    assert T.custom_id("mark", "x" * 100) is None
    assert T.parse_custom_id("other:thing") is None


def _roster(n: int) -> RosterView:
    rows, buttons = [], []
    for i in range(n):
        pid = f"p-{i:03}"
        rows.append(
            RosterRow(
                person_id=pid,
                display_name=f"P{i}",
                status="present",
                checked_in_at=None,
                in_room=True,
                minutes=10,
                camera_minutes=5,
                camera_known=True,
                flags=("uncertain",) if i == 0 else (),
            )
        )
        buttons.append(
            (
                pid,
                tuple(
                    Button(label=label, action="mark", value=f"s-1|{pid}|{label.lower()}")
                    for label in ("Present", "Absent", "Excused")
                )
                + tuple(
                    Button(label=f"Participation {lv}", action="engage", value=f"s-1|{pid}|{lv}")
                    for lv in ("high", "medium", "low")
                ),
            )
        )
    return RosterView(
        session_id="s-1",
        group_name="G",
        title="G — Mon 6:00 PM–9:00 PM",
        rows=tuple(rows),
        guests=("visitor",),
        counts=(("enrolled", n),),
        buttons_for=tuple(buttons),
    )


def test_small_rosters_get_a_row_of_buttons_per_person() -> None:
    rows = T.roster_rows(_roster(3))
    assert len(rows) == 4  # a person a row, and the switch to the participation marks
    assert [(b.label, b.custom_id) for b in rows[-1]] == [  # type: ignore[union-attr]
        ("Participation marks ▸", "rollcall:page:s-1|0|participation")
    ]
    first = rows[0]
    assert isinstance(first, tuple)
    assert [b.custom_id for b in first] == [
        "rollcall:mark:s-1|p-000|present",
        "rollcall:mark:s-1|p-000|absent",
        "rollcall:mark:s-1|p-000|excused",
    ]
    assert first[0].label == "P0: Present"


def test_large_rosters_get_one_select_menu_per_mark() -> None:
    rows = T.roster_rows(_roster(12))
    assert len(rows) == 4  # present, absent, excused (this roster's marks), the switch
    pick = rows[0]
    assert isinstance(pick, T.PickSpec)
    assert pick.custom_id == "rollcallpick:mark:s-1|{}|present|0"
    assert len(pick.options) == 12 and pick.options[1] == ("P1", "p-001")
    assert T.picked_value("s-1|{}|present|0", "p-001") == "s-1|p-001|present|0"
    # the participation marks: a select per level, and the switch back
    engage = T.roster_rows(dataclasses.replace(_roster(12), marking="participation"))
    assert [r.custom_id for r in engage if isinstance(r, T.PickSpec)] == [
        "rollcallpick:engage:s-1|{}|high|0",
        "rollcallpick:engage:s-1|{}|medium|0",
        "rollcallpick:engage:s-1|{}|low|0",
    ]
    assert [b.custom_id for b in engage[-1]] == ["rollcall:page:s-1|0"]  # type: ignore[union-attr]


def _embed_size(embed: dict[str, Any]) -> int:
    return len(embed["title"]) + len(embed["description"]) + len(embed["footer"]["text"])


@pytest.mark.parametrize("marking", ["status", "participation"])
@pytest.mark.parametrize("n", [1, 25, 26, 45, 46, 60, 150])
def test_every_person_of_any_roster_can_be_seen_and_marked(n: int, marking: str) -> None:
    """Discord's documented limits: 5 action rows, 5 buttons or 1 select a row (25
    components), 25 options a select, 100 characters a custom_id, 80 a label; an embed
    title 256, description 4,096, footer 2,048, 6,000 characters a message."""
    base = _roster(n)
    base = dataclasses.replace(
        base,
        rows=tuple(
            dataclasses.replace(
                r,
                display_name="Person with a rather long name " + r.display_name,
                hint="in a Slack huddle since 6:02 PM (a hint, not attendance)",
            )
            for r in base.rows
        ),
        marking=marking,
    )
    first, suffix = ("present", "") if marking == "status" else ("high", "|participation")
    first_action = "mark" if marking == "status" else "engage"
    count = T.roster_pages(base)
    markable: list[str] = []
    for page in range(count):
        view = dataclasses.replace(base, page=page)
        rows = T.roster_rows(view)
        assert len(rows) <= T.MAX_ROWS
        components = 0
        for row in rows:
            if isinstance(row, T.PickSpec):
                components += 1
                assert 1 <= len(row.options) <= 25 and len(row.custom_id) <= 100
                assert all(len(label) <= 80 for label, _ in row.options)
                if row.custom_id.startswith(f"rollcallpick:{first_action}:s-1|{{}}|{first}"):
                    markable += [pid for _, pid in row.options]
            else:
                assert len(row) <= 5
                components += len(row)
                for b in row:
                    assert len(b.custom_id) <= 100 and len(b.label) <= 80
                    if b.custom_id.endswith(f"|{first}") and b.custom_id.startswith(
                        f"rollcall:{first_action}:"
                    ):
                        markable.append(b.custom_id.split("|")[1])
        assert components <= 25
        embed = T.roster_embed(view, UTC)
        assert len(embed["title"]) <= 256 and len(embed["description"]) <= 4096
        assert len(embed["footer"]["text"]) <= 2048 and _embed_size(embed) <= 6000
        shown = [
            pid for pid in markable[page * 25 :] if f"P{int(pid[2:])}**" in embed["description"]
        ]
        assert len(shown) == len(markable[page * 25 :])  # whoever can be marked is shown
        nav = [b.custom_id for b in rows[-1]] if count > 1 and isinstance(rows[-1], tuple) else []
        if page < count - 1:
            assert f"rollcall:page:s-1|{page + 1}{suffix}" in nav
        if page > 0:
            assert f"rollcall:page:s-1|{page - 1}{suffix}" in nav
        if count > 1:
            assert embed["title"].endswith(f"({page + 1}/{count})")
    assert markable == [f"p-{i:03}" for i in range(n)]  # everyone, once, in order


def test_roster_embed_is_private_detail() -> None:
    embed = T.roster_embed(_roster(2), UTC)
    assert embed["title"].startswith("Roster: G")
    assert "**P0** — present" in embed["description"]
    assert "camera 5 min" in embed["description"]
    assert "flags: uncertain" in embed["description"]
    assert "visitor" in embed["description"]
    assert embed["footer"]["text"] == "enrolled: 2"


def test_survey_fields_fit_discords_limits() -> None:
    form = SurveyForm(
        session_id="s-1",
        title="How was today's group?",
        questions=(
            SurveyQuestionView(id="attended", kind="yes_no", prompt="Were you able to take part?"),
            SurveyQuestionView(
                id="helpful",
                kind="rating",
                prompt="How helpful was today's group for you? (1 = not at all, 5 = very)",
            ),
            SurveyQuestionView(
                id="climate",
                kind="choice",
                prompt="How did it feel?",
                choices=("A", "B"),
                anonymous=True,
            ),
            SurveyQuestionView(id="more", kind="text", prompt="Anything else?"),
            SurveyQuestionView(id="q5", kind="text", prompt="Five"),
            SurveyQuestionView(id="q6", kind="text", prompt="Six is one too many"),
        ),
    )
    fields = survey_form.survey_fields(form)
    assert [f.question_id for f in fields] == ["attended", "helpful", "climate", "more", "q5"]
    assert fields[0].options == (("Yes", "yes"), ("No", "no"))
    assert fields[1].options == tuple((str(i), str(i)) for i in range(1, 6))
    assert len(fields[1].label) <= 45 and fields[1].label.endswith("…")
    assert fields[1].description is not None and "5 = very" in fields[1].description
    assert fields[2].description == "(anonymous)"
    assert fields[3].kind == "text"
    answers = survey_form.survey_answers(fields, {"attended": "yes", "helpful": "", "more": " ok "})
    assert answers == (("attended", "yes"), ("more", "ok"))


@pytest.mark.parametrize(
    ("status", "code", "expected"),
    [
        (403, 50007, Delivery.UNREACHABLE),
        (404, 10013, Delivery.UNREACHABLE),
        (400, 50035, Delivery.UNREACHABLE),
        (429, 0, Delivery.RETRY),
        (500, 0, Delivery.RETRY),
        (503, 0, Delivery.RETRY),
        (0, 0, Delivery.RETRY),
    ],
)
def test_delivery_for_error(status: int, code: int, expected: Delivery) -> None:
    assert T.delivery_for_error(status, code) is expected


def test_long_content_is_clipped() -> None:
    assert len(T.clip_content("x" * 5000)) == 2000
