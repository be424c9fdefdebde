"""SQLite: erased text leaves the database file, its WAL and its shared memory at once.

Two stores on one file stand in for the running bot and the CLI that erases; the bot's
store stays open (and has just read) while the files are read byte by byte.
"""

from __future__ import annotations

from pathlib import Path

from bot.core.domain import EvidenceKind
from storage.migrate import upgrade
from storage.sql import open_store
from tests.contract.factories import audit_entry, entry, person

NAME, NOTE, GUEST = "Canary Quillfeather", "canary-note-7731", "Canary Guest Zyx"


def on_disk(db: Path, *needles: str) -> list[str]:
    found = []
    for suffix in ("", "-wal", "-shm"):
        path = Path(f"{db}{suffix}")
        data = path.read_bytes() if path.exists() else b""
        found += [f"{n} in {path.name}" for n in needles if n.encode() in data]
    return found


async def test_forget_person_and_guest_leave_no_byte_behind(tmp_path: Path) -> None:
    db = tmp_path / "rollcall.db"
    url = f"sqlite:///{db}"
    await upgrade(url)
    bot, cli = await open_store(url), await open_store(url)
    try:
        await bot.upsert_person(person("p-1", display_name=NAME, email="canary@example.org"))
        await bot.append_evidence([entry("c1", person_id="p-1", session_id="s1")], notes=[NOTE])
        await bot.append_evidence(
            [
                entry(
                    "g1",
                    kind=EvidenceKind.PRESENCE,
                    guest_key="zoom:guest-1",
                    data={"action": "join"},
                )
            ],
            notes=[GUEST],
        )
        assert on_disk(db, NAME, NOTE, GUEST)  # the canaries are there to be found
        assert await cli.forget_person("p-1", audit=audit_entry("participant.forget"))
        assert await cli.forget_guest("zoom:guest-1", audit=audit_entry("guest.forget")) == 1
        # the bot keeps running and reading
        assert (await bot.get_person("p-1")) is not None
        assert on_disk(db, NAME, NOTE, GUEST, "canary@example.org") == []
    finally:
        await cli.close()
        await bot.close()
    assert on_disk(db, NAME, NOTE, GUEST, "canary@example.org") == []
