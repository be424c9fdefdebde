"""The sign-off reminder: one private message to each facilitator of a session that ended
`signoff_reminder_hours` ago and is still not signed off."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.core.attendance.signoff import unsigned_sessions
from bot.core.domain import Program
from bot.core.outbox import Kind, OutboxItem
from bot.core.outreach import messages
from bot.core.ports import Store
from bot.core.timeutil import zone

REMINDER_LIFETIME = timedelta(hours=24)


async def signoff_reminders(store: Store, program: Program, now: datetime) -> list[OutboxItem]:
    """One private reminder to each facilitator of a session that ended at least
    `signoff_reminder_hours` ago (and at most a day more) and is still not signed off.
    Keyed per session and facilitator: enqueueing again is a no-op."""
    due_after = timedelta(hours=program.policy.signoff_reminder_hours)
    items: list[OutboxItem] = []
    for s in await unsigned_sessions(
        store,
        start_from=now - due_after - REMINDER_LIFETIME - timedelta(days=1),
        start_to=now,
        now=now - due_after,
    ):
        due = s.end + due_after
        if due + REMINDER_LIFETIME < now:
            continue
        group = await store.get_group(s.group_id)
        if group is None:
            continue
        for fid in group.facilitators:
            f = await store.get_person(fid)
            if f is None or f.forgotten:
                continue
            tz = zone(f.timezone, program.timezone)
            items.append(
                OutboxItem(
                    key=f"signoff_reminder:{s.id}:to:{fid}",
                    kind=Kind.ALERT,
                    person_id=fid,
                    group_id=group.id,
                    session_id=s.id,
                    due_at=due,
                    expires_at=due + REMINDER_LIFETIME,
                    text=messages.signoff_reminder(group, s.start, tz),
                )
            )
    return items
