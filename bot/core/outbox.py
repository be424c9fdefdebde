"""The outbox: every notification rollcall sends on its own, as a row with a unique key.

Planning enqueues (a second enqueue of the same key is a no-op); dispatching claims
due rows, delivers them and records the outcome. The key makes planning idempotent
(nothing is enqueued twice); delivery is at least once. Right before a send the row is
marked `sending_at`; a row claimed again with that mark and no result may already have
reached the platform (a crash in the send window), and the notifier is told so
(`DirectMessage.possibly_sent_since`) to look before it sends again: Slack DMs are
found (effectively once), Discord DMs by their words (`DirectMessage.earlier_text`: a
reminder as the cut attempt worded it); e-mail, SMS and channel posts
can't be checked and go again (docs/RELIABILITY.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.core.actions import Button


class Kind(StrEnum):
    REMINDER = "reminder"
    SESSION_OPEN = "session_open"  # a post in the group's channel, no names
    SURVEY = "survey"
    NUDGE = "nudge"
    ALERT = "alert"  # to facilitators: patterns, weekly minimum, review, unreachable


class OutboxStatus(StrEnum):
    PENDING = "pending"
    CLAIMED = "claimed"
    SENT = "sent"
    DROPPED = "dropped"  # too late to be useful (audited)
    FAILED = "failed"  # no channel could reach the person


#: messages no one will send again: their words may go (retention)
FINISHED = frozenset({OutboxStatus.SENT, OutboxStatus.DROPPED, OutboxStatus.FAILED})


@dataclass(frozen=True, slots=True, kw_only=True)
class OutboxItem:
    key: str  # unique per kind, session (or episode), person and channel
    kind: Kind
    due_at: datetime
    text: str
    person_id: str | None = None  # the recipient of a DM
    group_id: str | None = None  # the group (the channel, for a post)
    session_id: str | None = None
    expires_at: datetime | None = None  # past this, drop rather than send
    buttons: tuple[Button, ...] = ()
    status: OutboxStatus = OutboxStatus.PENDING
    attempts: int = 0
    next_attempt_at: datetime | None = None  # None: due_at
    claimed_by: str | None = None
    claimed_until: datetime | None = None
    channel_used: str | None = None
    finished_at: datetime | None = None
    last_error: str | None = None  # a short code, never message text
    #: the first moment a send began that has no result yet (kept through a retry: a
    #: timed-out send may have arrived); cleared when the item is finished
    sending_at: datetime | None = None
