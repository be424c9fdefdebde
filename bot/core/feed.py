"""The private calendar feed: its tokens, and the read model behind
`GET /calendar/{token}.ics` (a person's upcoming sessions, booked make-ups included,
cancelled ones marked so calendar apps strike them out).

A token is long and random and is given out once, by /calendar; the store keeps only
its sha256, so a database reader cannot use the links. Each /calendar revokes the last.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.core.domain import AuditEntry, EvidenceKind, SessionState
from bot.core.ports import Store

#: how far back a session may have started and still be shown (it has not ended yet)
RUNNING = timedelta(days=1)
#: tokens are url-safe base64 of this many random bytes (43 characters)
TOKEN_BYTES = 32


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def feed_path(token: str) -> str:
    return f"/calendar/{token}.ics"


@dataclass(frozen=True, slots=True, kw_only=True)
class FeedEvent:
    session_id: str
    #: the group's name only (no program-type words)
    title: str
    start: datetime
    end: datetime
    cancelled: bool = False
    makeup: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class CalendarFeed:
    person_id: str
    #: the IANA zone the sessions are scheduled in (the program's)
    timezone: str
    events: tuple[FeedEvent, ...]


async def issue(store: Store, person_id: str, *, at: datetime, actor_id: str, via: str) -> str:
    """A fresh token for the person (the previous one stops working), audited."""
    token = new_token()
    await store.set_calendar_token(person_id, token_hash(token), at)
    await store.append_audit(
        AuditEntry(
            at=at,
            actor_id=actor_id,
            action="calendar.issue",
            target=person_id,
            detail={"platform": via},
        )
    )
    return token


async def revoke(store: Store, person_id: str, *, at: datetime, actor_id: str) -> bool:
    """The person's link stops working; audited (also when there was none)."""
    had = await store.revoke_calendar_token(person_id)
    await store.append_audit(
        AuditEntry(
            at=at,
            actor_id=actor_id,
            action="calendar.revoke",
            target=person_id,
            detail={"had_link": had},
        )
    )
    return had


async def owner_of(store: Store, token: str) -> str | None:
    """Whose live link this is; None for an unknown, forged or revoked token."""
    if not token or len(token) > 200:
        return None
    return await store.calendar_token_owner(token_hash(token))


async def upcoming(store: Store, person_id: str, now: datetime, tz_name: str) -> CalendarFeed:
    """Sessions not yet ended of the person's active groups, and the make-ups they
    booked, ordered by start; cancelled ones are included, marked."""
    groups = {e.group_id for e in await store.enrollments(person_id=person_id) if e.active}
    booked = {
        e.session_id
        for e in await store.evidence(person_id=person_id, kinds=[EvidenceKind.MAKEUP_BOOKING])
        if e.session_id
    }
    names: dict[str, str] = {}
    events: list[FeedEvent] = []
    for s in await store.list_sessions(start_from=now - RUNNING):
        if s.end <= now or (s.group_id not in groups and s.id not in booked):
            continue
        if s.group_id not in names:
            group = await store.get_group(s.group_id)
            names[s.group_id] = group.name if group else s.group_id
        events.append(
            FeedEvent(
                session_id=s.id,
                title=names[s.group_id],
                start=s.start,
                end=s.end,
                cancelled=s.state is SessionState.CANCELLED,
                makeup=s.id in booked,
            )
        )
    return CalendarFeed(person_id=person_id, timezone=tz_name, events=tuple(events))
