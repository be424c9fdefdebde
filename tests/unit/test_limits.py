"""Length limits on every free-text field, each with a clear answer and nothing written."""

from __future__ import annotations

from datetime import timedelta

from bot.core import limits
from bot.core.domain import EvidenceKind
from bot.core.events import Identity
from tests.unit.test_commands import MON, World

LONG = "x" * 10_000


async def _world() -> World:
    w = World()
    await w.setup()
    return w


async def test_notes_past_the_limit_are_refused_clearly_and_nothing_is_written() -> None:
    w = await _world()
    w.at(MON + timedelta(minutes=5))
    before = len(await w.store.ledger_page(limit=10_000))
    for who, text in (
        ("p-001", f"/checkin {LONG}"),
        ("p-002", f"/absent {LONG}"),
        ("f-001", f"/verify @p-001 present {LONG}"),
    ):
        reply = await w.say(who, text)
        assert "too long (10000 characters)" in reply, reply
        assert f"keep it to {limits.MAX_NOTE_CHARS}" in reply and "Nothing was recorded" in reply
    assert len(await w.store.ledger_page(limit=10_000)) == before
    # at the limit it is fine
    ok = await w.say("p-001", "/checkin " + "y" * limits.MAX_NOTE_CHARS)
    assert "checked in" in ok
    (checkin,) = await w.store.evidence(person_id="p-001", kinds=[EvidenceKind.CHECKIN])
    assert await w.store.notes_by_key([checkin.key]) == {checkin.key: "y" * 500}


async def test_a_guest_display_name_is_cut_not_lost() -> None:
    w = await _world()
    w.at(MON + timedelta(minutes=5))
    await w.chat.presence(
        source="console",
        room_id="ga",
        identity=Identity(platform_user_id="zz-guest", display_name="G" * 5000),
        action="join",
        stream="s-guest",
    )
    (entry,) = [e for e in await w.store.ledger_page(limit=10_000) if e.guest_key]
    label = (await w.store.notes_by_key([entry.key]))[entry.key]
    assert len(label) == limits.MAX_LABEL_CHARS and label.endswith("…")


def test_the_recorder_backstop_refuses_any_longer_note() -> None:
    import pytest

    from bot.core.errors import UserError

    limits.check_stored([None, "ok", "z" * limits.MAX_STORED_CHARS])
    with pytest.raises(UserError, match="too long"):
        limits.check_stored(["z" * (limits.MAX_STORED_CHARS + 1)])
