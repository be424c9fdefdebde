"""POST /zoom/webhook over HTTP on a running bot: authentication, answers, durability."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
from datetime import timedelta

import pytest

from bot.core.domain import EvidenceKind, LedgerEntry, Session, Status
from bot.shell.metrics import REGISTRY
from tests.adapters.zoom.conftest import local
from tests.adapters.zoom.harness import ZoomBot
from tests.fakes.casts import zoom_cast
from tests.fakes.zoom import SECRET, joined, left, url_validation


def rejected(reason: str) -> float:
    value = REGISTRY.get_sample_value(
        "rollcall_webhooks_rejected_total", {"source": "zoom", "reason": reason}
    )
    return value or 0.0


async def test_url_validation_answers_the_hmac_of_the_plain_token(bot: ZoomBot) -> None:
    r = await bot.send(url_validation("qgg8vlvZRS6UYooatFL8Aw"))
    assert r.status == 200
    assert r.body == {
        "plainToken": "qgg8vlvZRS6UYooatFL8Aw",
        "encryptedToken": hmac.new(
            SECRET.encode(), b"qgg8vlvZRS6UYooatFL8Aw", hashlib.sha256
        ).hexdigest(),
    }


async def test_url_validation_is_no_signing_oracle(bot: ZoomBot) -> None:
    # unsigned or wrongly signed, it is refused: else anyone could have us sign anything
    for headers in ({"x-zm-signature": ""}, {"x-zm-signature": "v0=" + "0" * 64}):
        r = await bot.send(url_validation(), headers=headers)
        assert r.status == 401 and "encryptedToken" not in r.body


async def test_bad_signature_is_refused_and_stores_nothing(
    bot: ZoomBot, session: Session, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    before, count = await bot.ledger_size(), rejected("bad_signature")
    doc = joined(uuid="U-1", name="Jordan Q", email="jordan@example.org", at=local(18))
    r = await bot.send(doc, secret="not-the-secret")
    assert r.status == 401
    assert await bot.ledger_size() == before
    assert rejected("bad_signature") == count + 1
    assert "Jordan" not in caplog.text and "jordan@" not in caplog.text


async def test_missing_signature_headers(bot: ZoomBot, session: Session) -> None:
    before = await bot.ledger_size()
    doc = joined(uuid="U-1", name="x", at=local(18))
    for headers in ({"x-zm-signature": ""}, {"x-zm-request-timestamp": ""}):
        assert (await bot.send(doc, headers=headers)).status == 401
    assert await bot.ledger_size() == before


async def test_stale_or_future_timestamps_are_refused(bot: ZoomBot, session: Session) -> None:
    now = int(bot.clock.now().timestamp())
    before, count = await bot.ledger_size(), rejected("stale")
    doc = joined(uuid="U-1", name="x", email="jordan@example.org", at=local(18))
    assert (await bot.send(doc, timestamp=now - 301)).status == 401
    assert (await bot.send(doc, timestamp=now + 301)).status == 401
    assert (await bot.send(doc, timestamp=(now - 301) * 1000)).status == 401
    assert await bot.ledger_size() == before
    assert rejected("stale") == count + 3
    # a replay of a once-valid request, after five minutes, is refused too
    assert (await bot.send(doc, timestamp=now - 299)).status == 200
    assert await bot.ledger_size() == before + 1


async def test_malformed_bodies_are_400_and_store_nothing(
    bot: ZoomBot, session: Session, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    before, count = await bot.ledger_size(), rejected("malformed")
    bodies = [
        b"{not json",
        b'{"event": "meeting.participant_joined", "payload": {"object": {"id": "85746352000"}}}',
        b'{"event": "meeting.participant_joined", "payload": {"object": {"id": "85746352000",'
        b' "participant": {"participant_uuid": "u", "user_name": "Secret Name",'
        b' "join_time": "soon"}}}}',
    ]
    for body in bodies:
        r = await bot.send(body)
        assert r.status == 400 and r.body["error"]
    assert await bot.ledger_size() == before
    assert rejected("malformed") == count + len(bodies)
    assert "Secret Name" not in caplog.text


async def test_unknown_events_and_unbound_meetings_are_acknowledged_and_ignored(
    bot: ZoomBot, session: Session
) -> None:
    before = await bot.ledger_size()
    r = await bot.send({"event": "recording.completed", "payload": {"object": {}}})
    assert (r.status, r.body) == (200, {"status": "ignored"})
    r = await bot.send(joined(uuid="U-9", name="x", at=local(18), meeting="11122233344"))
    assert (r.status, r.body) == (200, {"status": "unchanged"})
    assert await bot.ledger_size() == before


async def test_a_redelivery_is_a_no_op(bot: ZoomBot, session: Session) -> None:
    doc = joined(uuid="U-1", name="Jordan", email="jordan@example.org", at=local(18))
    assert (await bot.send(doc)).body == {"status": "stored"}
    size = await bot.ledger_size()
    bot.clock.advance(timedelta(minutes=85))  # Zoom retries, re-signed, much later
    assert (await bot.send(doc)).body == {"status": "unchanged"}
    assert await bot.ledger_size() == size


async def test_storage_failure_is_503_and_logs_no_row(
    bot: ZoomBot,
    session: Session,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def broken(entries: object, *, notes: object = None, unit: object = False) -> list[bool]:
        raise RuntimeError("INSERT failed: [parameters: ('Jordan Q', 'jordan@example.org')]")

    monkeypatch.setattr(bot.app.store, "append_evidence", broken)
    caplog.set_level(logging.DEBUG)
    doc = joined(uuid="U-1", name="Jordan Q", email="jordan@example.org", at=local(18))
    r = await bot.send(doc)
    assert r.status == 503
    assert "Jordan" not in caplog.text and "jordan@" not in caplog.text
    assert "RuntimeError" in caplog.text


async def test_concurrent_requests_share_transactions_and_all_land(
    bot: ZoomBot, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []
    real = bot.app.store.append_evidence

    async def counting(
        entries: list[LedgerEntry], *, notes: object = None, unit: bool = False
    ) -> list[bool]:
        calls.append(len(entries))
        return await real(entries, notes=notes, unit=unit)  # type: ignore[arg-type]

    monkeypatch.setattr(bot.app.store, "append_evidence", counting)
    bot.clock.set(local(18, 30))
    before = await bot.ledger_size()
    n = 120
    docs = [
        joined(uuid=f"U-{i}", name=f"Guest {i}", at=local(18, 0, i % 60) + timedelta(minutes=i))
        for i in range(n)
    ]
    docs.append(joined(uuid="J-1", name="J", email="jordan@example.org", at=local(17, 58)))
    results = await asyncio.gather(*(bot.send(d, settle=False) for d in docs))
    assert all(r.status == 200 and r.body == {"status": "stored"} for r in results)
    await bot.adapter.idle()
    assert await bot.ledger_size() == before + n + 1
    assert sum(calls) == n + 1 and len(calls) < n / 4, calls  # batched
    # the session is running: its records are derived when someone looks
    _, records = await bot.app.engine.live_records(session.id)
    (rec,) = [r for r in records if r.person_id == "p-001"]
    assert rec.status is Status.PRESENT and rec.in_room


async def test_stop_waits_for_the_records(tmp_path: object, clock: object) -> None:
    from pathlib import Path

    from bot.core.clock import FakeClock
    from tests.adapters.zoom.conftest import START
    from tests.adapters.zoom.harness import running_bot

    assert isinstance(clock, FakeClock)
    db = Path(str(tmp_path)) / "stop.db"
    async with running_bot(zoom_cast(db), clock, settle_seconds=30) as b:
        s = await b.app.engine.create_session(
            group_id="evening-a", start=START, minutes=180, actor_id="test"
        )
        clock.set(local(18, 5))
        doc = joined(uuid="U-1", name="J", email="jordan@example.org", at=local(18))
        assert (await b.send(doc, settle=False)).status == 200
        assert await b.app.store.records(session_id=s.id, person_id="p-001") == []
        await b.adapter.stop()
        (rec,) = await b.app.store.records(session_id=s.id, person_id="p-001")
        assert rec.status is Status.PRESENT
        # after stop, nothing more is accepted: Zoom will retry
        assert (await b.send(left(uuid="U-1", name="J", at=local(19)), settle=False)).status == 503


async def test_evidence_is_stored_with_payload_time_and_ids_only(
    bot: ZoomBot, session: Session
) -> None:
    bot.clock.set(local(18, 20))
    doc = joined(uuid="U-7", name="Jordan", email="JORDAN@example.org", at=local(18, 3, 4))
    await bot.send(doc)
    (e,) = await bot.app.store.evidence(group_id="evening-a", kinds=[EvidenceKind.PRESENCE])
    assert e.person_id == "p-001" and e.guest_key is None
    assert e.at == local(18, 3, 4) and e.recorded_at == local(18, 20)
    assert dict(e.data) == {
        "action": "join",
        "source": "zoom",
        "stream": "U-7",
        "reconciled": False,
    }
