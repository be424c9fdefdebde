"""Gathering report rows: records of every non-cancelled session in range."""

from __future__ import annotations

from datetime import datetime

from bot.core.attendance.recorder import Recorder
from bot.core.attendance.signoff import signoffs
from bot.core.domain import SessionState
from bot.core.reports.render import ReportRow, sort_rows


async def collect(
    recorder: Recorder,
    *,
    group_id: str | None = None,
    person_id: str | None = None,
    start_from: datetime | None = None,
    start_to: datetime | None = None,
) -> list[ReportRow]:
    """Rows for the filters. Sessions still running are recomputed first, so their
    rows say where things stand now; ended sessions are read as recorded."""
    store = recorder.store
    now = recorder.clock.now()
    sessions = {
        s.id: s
        for s in await store.list_sessions(
            group_id=group_id,
            start_from=start_from,
            start_to=start_to,
            states=[SessionState.SCHEDULED, SessionState.ENDED],
        )
    }
    for s in sessions.values():
        if s.state is SessionState.SCHEDULED and s.opens_at(recorder.policy) <= now:
            await recorder.recompute(s)
    records = await store.records(
        group_id=group_id, person_id=person_id, start_from=start_from, start_to=start_to
    )
    kept = [r for r in records if r.session_id in sessions]
    signed = await signoffs(store, {r.session_id for r in kept})
    return sort_rows(
        [
            ReportRow(session=sessions[r.session_id], record=r, signoff=signed.get(r.session_id))
            for r in kept
        ]
    )
