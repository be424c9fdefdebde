"""Crash safety beyond SQLite and Zoom (issue 17): `rollcall run` with Slack (HTTP mode)
killed with SIGKILL at random moments during a storm of signed `/checkin`s while the
reminders of a session starting in an hour are due; on SQLite and on PostgreSQL, where
the PostgreSQL server is also restarted mid-burst.

After the last restart, checked in the store: every acknowledged check-in is there
exactly once (a replay of an acknowledged one adds nothing), nothing un-sent is there,
the hash chains verify and the store's invariants hold. Reminders (counted by the Slack
stand-in, tests/fakes/slack.py): every participant got theirs — none lost — and none
twice: a kill between Slack's answer and the outbox's "sent" row leaves the message
marked as in flight, and the restarted bot finds it in the DM's history (its metadata
tag) instead of sending it again (docs/RELIABILITY.md).

Real processes, real HTTP on loopback; kills at seeded random moments
(ROLLCALL_CRASH_SEED, ROLLCALL_CRASH_CYCLES). Marked `tail`.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest

from bot.core.pipeline import SORRY
from storage.sql import open_store
from tests.conftest import PgCluster
from tests.e2e.conftest import Cli, assert_ok
from tests.e2e.test_crash_storm import storm_bot
from tests.fakes.casts import config_text, facilitator, group, person
from tests.fakes.slack import FORM, FakeSlack, command_body, signed_headers
from tests.invariants import store_problems

SECRET = "slack-storm-secret"
SEED = int(os.environ.get("ROLLCALL_CRASH_SEED", "17"))
CYCLES = int(os.environ.get("ROLLCALL_CRASH_CYCLES", "3"))
PEOPLE = 45
PER_CYCLE = 15
REMINDED = "Group Two"  # the group whose session starts in an hour: its reminders are due


def _config(storage: str, api: str) -> str:
    ids = [f"p-{i:03d}" for i in range(PEOPLE)]
    return config_text(
        storage=storage,
        server={"host": "127.0.0.1", "port": 0},
        slack={
            "enabled": True, "mode": "http", "bot_token": "xoxb-test",
            "signing_secret": SECRET, "api_base_url": api,
        },
        program={"name": "Storm IOP", "timezone": "UTC", "reminders": {"before": ["1h"]}},
        people=[
            facilitator("f-001", "F.", slack_user_id="UF001"),
            *(person(pid, f"Canary {i}", slack_user_id=f"U{2000 + i}") for i, pid in
              enumerate(ids)),
        ],
        groups=[
            group("g", "Group One", facilitators=["f-001"], participants=ids,
                  slack_channel="C0001"),
            group("g2", REMINDED, facilitators=["f-001"], participants=ids),
        ],
    )  # fmt: skip


async def _checkin(http: aiohttp.ClientSession, url: str, uid: str) -> str | None:
    """The answer's text when the bot acknowledged the /checkin (200), else None."""
    body = command_body("/checkin", "", user_id=uid, channel_id="C0001")
    try:
        async with http.post(
            url, data=body, headers=signed_headers(SECRET, body, content_type=FORM)
        ) as r:
            if r.status != 200:
                return None
            answer = await r.json(content_type=None)
            return str(answer.get("text", ""))
    except (TimeoutError, aiohttp.ClientError, ConnectionError, ValueError):
        return None  # killed mid-request (or cut off): not acknowledged


def _reminders(fake: FakeSlack) -> Counter[str]:
    """Reminder DMs per channel (D<user>) as Slack got them."""
    return Counter(
        str(p.get("channel"))
        for p in fake.called("chat.postMessage")
        if str(p.get("channel", "")).startswith("D") and REMINDED in str(p.get("text", ""))
    )


async def _storm(site: Path, url_of_store: str, pg: PgCluster | None) -> None:
    rng = random.Random(SEED)
    fake = await FakeSlack().start()
    try:
        (site / "config.toml").write_text(_config(url_of_store, fake.api_url), encoding="utf-8")
        cli = Cli(config=site / "config.toml", cwd=site)
        now = datetime.now(UTC).replace(microsecond=0)
        assert_ok(cli.run("db", "upgrade"))
        open_now = (now - timedelta(minutes=5)).isoformat()
        due = (now + timedelta(minutes=59)).isoformat()  # its "1h" reminders are due now
        made = cli.run_all(
            ["session", "create", "--group", "g", "--start", open_now, "--minutes", "120"],
            ["session", "create", "--group", "g2", "--start", due, "--minutes", "60"],
        )
        for r in made:
            assert_ok(r)
        users = {f"U{2000 + i}": f"p-{i:03d}" for i in range(PEOPLE)}
        pending = list(users)
        acked: set[str] = set()
        sent: set[str] = set()
        kills = restarts = 0
        temporary: list[str] = []  # answered "try again" (the check-in may or may not be in)
        timeout = aiohttp.ClientTimeout(total=10)
        for cycle in range(CYCLES + 1):
            last = cycle == CYCLES
            async with (
                storm_bot(
                    site,
                    "/slack/events",
                    ROLLCALL_TICK_SECONDS="1",
                    ROLLCALL_OUTBOX_LEASE_SECONDS="3",
                ) as (proc, url),
                aiohttp.ClientSession(timeout=timeout) as http,
            ):
                batch = pending if last else pending[:PER_CYCLE]
                replays = rng.sample(sorted(acked), min(4, len(acked)))
                gate = asyncio.Semaphore(6)
                restarting = pg is not None and cycle == 1

                async def one(
                    uid: str,
                    http: aiohttp.ClientSession = http,
                    url: str = url,
                    gate: asyncio.Semaphore = gate,
                    restarting: bool = restarting,
                ) -> None:
                    async with gate:
                        sent.add(uid)
                        text = await _checkin(http, url, uid)
                        if text == SORRY:
                            # a clear "try again": only while the database restarts
                            assert restarting, text
                            temporary.append(uid)
                        elif text is not None:
                            assert "checked in" in text, text  # new, or "already checked in"
                            acked.add(uid)

                before = len(acked)
                tasks = [asyncio.create_task(one(u)) for u in [*batch, *replays]]
                if restarting:
                    assert pg is not None
                    # the database server restarts mid-burst: requests in flight fail
                    # (not acknowledged), the bot reconnects by itself
                    await asyncio.sleep(rng.uniform(0.05, 0.3))
                    await asyncio.to_thread(pg.restart)
                    restarts += 1
                if not last:
                    for _ in range(600):
                        if len(acked) > before or all(t.done() for t in tasks):
                            break
                        await asyncio.sleep(0.01)
                    await asyncio.sleep(rng.uniform(0.0, 0.4))
                    proc.send_signal(signal.SIGKILL)
                    kills += 1
                await asyncio.gather(*tasks)
                if last:
                    # the reminders: everyone's, before the last bot stops
                    for _ in range(300):
                        if len(_reminders(fake)) >= PEOPLE:
                            break
                        await asyncio.sleep(0.1)
                    await asyncio.sleep(2)  # a second copy would show up by now
                pending = [u for u in pending if u not in acked]
        assert not pending, f"{len(pending)} check-ins never acknowledged after the last restart"

        store = await open_store(url_of_store)
        try:
            rows = [
                e.person_id
                for e in await store.ledger_page(limit=100_000)
                if e.kind.value == "checkin"
            ]
            assert await store_problems(store) == []
        finally:
            await store.close()
        counted = Counter(rows)
        assert [p for p, n in counted.items() if n > 1] == [], "a check-in was stored twice"
        assert {users[u] for u in acked} <= set(counted), "acknowledged but lost"
        assert set(counted) <= {users[u] for u in sent}
        verified = assert_ok(cli.run("audit", "verify"))
        assert verified.stdout.startswith("ok: ")

        reminders = _reminders(fake)
        assert set(reminders) == {f"DU{2000 + i}" for i in range(PEOPLE)}, (
            f"a reminder was lost: {len(reminders)} of {PEOPLE} reached Slack"
        )
        doubled = sum(n - 1 for n in reminders.values())
        assert doubled == 0, f"{doubled} reminders sent twice in {kills} kills"
        print(
            f"slack crash storm ({'postgresql' if pg else 'sqlite'}): {kills} SIGKILLs, "
            f"{restarts} database restarts ({len(temporary)} 'try again' answers), "
            f"{len(acked)} acknowledged check-ins kept once, "
            f"{len(reminders)} reminders, {doubled} sent twice "
            f"({len(fake.called('conversations.history'))} DMs cut mid-send looked up)",
            file=sys.stderr,
        )
    finally:
        await fake.close()


@pytest.mark.tail
@pytest.mark.timeout(240)
async def test_slack_checkins_and_reminders_survive_sigkill_on_sqlite(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    await _storm(site, f"sqlite:///{site / 'db.sqlite'}", None)


@pytest.mark.tail
@pytest.mark.timeout(240)
async def test_slack_checkins_and_reminders_survive_sigkill_and_a_server_restart_on_postgresql(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    site = tmp_path / "site"
    site.mkdir()
    pg: PgCluster = request.getfixturevalue("pg_cluster")
    url: str = request.getfixturevalue("pg_url")
    await _storm(site, url, pg)
