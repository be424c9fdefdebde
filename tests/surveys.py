"""Test helper: what the end-of-session follow-up records when it sends a survey."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.core.attendance.surveys import invite_key
from bot.core.outbox import Kind, OutboxItem, OutboxStatus
from bot.core.ports import Store


async def survey_sent(store: Store, session_id: str, *person_ids: str) -> None:
    """Mark the session's survey as sent to these people (as the follow-up would)."""
    now = datetime.now(UTC)
    await store.enqueue(
        [
            OutboxItem(
                key=invite_key(session_id, pid),
                kind=Kind.SURVEY,
                person_id=pid,
                session_id=session_id,
                due_at=now,
                text="A few quick questions?",
                status=OutboxStatus.SENT,
                finished_at=now,
            )
            for pid in person_ids
        ]
    )
