"""Erasure reaches the disk while the bot keeps running (issue 17).

The scenario's database holds canaries: p-004's name, e-mail and absence reason, a
guest's display name. `rollcall run` is started on it and stays up; `rollcall
participant forget` / `guest forget` run beside it, as an operator would; then the
database file, its `-wal` and its `-shm` are read byte by byte, with the server still
running, and no canary may be left in any of them.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.e2e.conftest import DB_NAME, Site, assert_ok, db_rows
from tests.e2e.test_run_server import rollcall_run

CANARIES = (b"Kendall", b"kendall@example.org", b"family visit")


def disk_bytes(directory: Path) -> dict[str, bytes]:
    """The database file and its WAL and shared-memory files, as they are on disk now."""
    out = {}
    for suffix in ("", "-wal", "-shm"):
        path = directory / f"{DB_NAME}{suffix}"
        out[path.name] = path.read_bytes() if path.exists() else b""
    return out


def canaries_on_disk(directory: Path, canaries: tuple[bytes, ...]) -> list[str]:
    return [
        f"{canary.decode()} in {name}"
        for name, data in disk_bytes(directory).items()
        for canary in canaries
        if canary in data
    ]


async def test_forget_reaches_the_disk_while_the_bot_runs(scenario_site: Site) -> None:
    site = scenario_site
    # the canaries really are on disk before the erasure (else the test proves nothing)
    assert canaries_on_disk(site.dir, CANARIES), "the scenario lost its canaries"
    cli = site.cli()
    async with rollcall_run(site.dir) as running:
        await asyncio.sleep(0.5)  # the bot is up: seeded, scheduler ticking, pool open
        forgot = await asyncio.to_thread(cli.run, "participant", "forget", "p-004")
        assert_ok(forgot)
        assert running.proc.returncode is None, running.output  # still running
        assert canaries_on_disk(site.dir, CANARIES) == []
        # and again a moment later: the running bot wrote nothing of them back
        await asyncio.sleep(1.0)
        assert canaries_on_disk(site.dir, CANARIES) == []
    assert canaries_on_disk(site.dir, CANARIES) == []
    # the erasure itself is audited, the de-identified record kept
    assert db_rows(site.db, "SELECT count(*) FROM audit WHERE action = 'participant.forget'") == [
        (1,)
    ]
    assert db_rows(site.db, "SELECT status FROM attendance_records WHERE person_id = 'p-004'") == [
        ("excused",)
    ]


NOTES = (b"family visit", b"feeling unwell", b"on my phone today", b"left the call early")


async def test_retention_purges_old_notes_from_the_disk_while_the_bot_runs(
    scenario_site: Site,
) -> None:
    """`[privacy] retention_days = 1`: the scenario's notes are two weeks old."""
    site = scenario_site
    with site.config.open("a", encoding="utf-8") as f:
        f.write("\n[privacy]\nretention_days = 1\n")
    assert canaries_on_disk(site.dir, NOTES)
    records_before = db_rows(site.db, "SELECT * FROM attendance_records ORDER BY person_id")
    async with rollcall_run(site.dir) as running:
        # the leader's first tick runs at start-up: the purge commits with its audit row,
        # then checkpoints the WAL (truncate) — poll for both, the bot still running
        for _ in range(200):
            done = db_rows(site.db, "SELECT detail FROM audit WHERE action = 'privacy.retention'")
            if done and not canaries_on_disk(site.dir, NOTES):
                break
            await asyncio.sleep(0.1)
        assert done, running.output
        assert '"notes": 4' in done[0][0] or '"notes":4' in done[0][0], done
        assert running.proc.returncode is None
        assert canaries_on_disk(site.dir, NOTES) == []
    # de-identified counts stay: every record as it was; names are not notes
    assert db_rows(site.db, "SELECT * FROM attendance_records ORDER BY person_id") == (
        records_before
    )
    assert canaries_on_disk(site.dir, NOTES) == []
    assert assert_ok(site.cli().run("audit", "verify")).stdout.startswith("ok: ")
