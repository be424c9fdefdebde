"""What comes in: platform-neutral events that adapters build from payloads."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.core.domain import LedgerEntry


@dataclass(frozen=True, slots=True, kw_only=True)
class Actor:
    """A chat identity: the platform and the platform's own user id.

    On the console the user id is the configured person id.
    """

    platform: str  # "slack" | "discord" | "console"
    user_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CommandInvoked:
    actor: Actor
    command: str  # without the slash: "checkin", "roster", ...
    text: str = ""  # the arguments; mentions as <@PLATFORM_ID> or @person-id
    channel_id: str | None = None  # None or is_dm for a direct message
    is_dm: bool = False
    at: datetime
    request_id: str  # unique per delivery attempt of the platform (dedupe key)


@dataclass(frozen=True, slots=True, kw_only=True)
class ButtonPressed:
    actor: Actor
    action: str  # "mark", "checkin", ...
    value: str
    channel_id: str | None = None
    at: datetime
    request_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class PresenceHint:
    """A platform's word that someone is (or no longer is) in *some* call, without
    saying which room: a Slack huddle. Shown to facilitators on the roster; never
    evidence of attendance, never in the ledger."""

    actor: Actor
    source: str  # "slack_huddle"
    active: bool
    at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class Identity:
    """Who a meeting platform says was there; any field may be unknown."""

    platform_user_id: str | None = None
    email: str | None = None
    registrant_id: str | None = None
    display_name: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class PresenceObserved:
    """A join, leave or camera change in a group's room, by the platform's clock."""

    source: str  # "discord" | "zoom" | "console"
    room_id: str  # voice channel id, meeting id, or group id (console)
    identity: Identity
    action: str  # "join" | "leave" | "camera_on" | "camera_off"
    at: datetime
    stream: str = ""  # one connection within the source (pairs joins with leaves)
    key: str  # unique: a redelivery carries the same key
    reconciled: bool = False  # closed by reconciliation after a gap in events


@dataclass(frozen=True, slots=True, kw_only=True)
class SurveySubmitted:
    """Answers to a `SurveyForm`: (question id, answer text) pairs."""

    actor: Actor
    session_id: str
    answers: tuple[tuple[str, str], ...]
    at: datetime
    request_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class TextReplied:
    """A reply a person sent to one of our texts (SMS), already matched to them."""

    person_id: str
    channel: str  # "sms"
    text: str
    at: datetime
    request_id: str  # the provider's message id


@dataclass(frozen=True, slots=True, kw_only=True)
class LinkNotice:
    """The POST of a signed "can't make it" link (e-mail), bound to person and session."""

    person_id: str
    session_id: str
    at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class ImportedStay:
    """One row of a meeting platform's participant report: someone in the meeting from
    `joined` to `left` (aware datetimes). `line` is the row's line in the file."""

    line: int
    identity: Identity
    joined: datetime
    left: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class PlatformReport:
    """A participant report downloaded from a meeting platform, parsed at the edge
    (adapters.importers): "zoom", "teams" or "meet", and its stays in file order."""

    source: str
    stays: tuple[ImportedStay, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class PresenceBatch:
    """Presence events written as one durable group commit (Zoom's webhook burst).
    The engine answers with `Recorded`; records are recomputed later, on
    `PresenceSettled`, so a burst is not recomputed once per event."""

    events: tuple[PresenceObserved, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class RoomClosed:
    """A meeting platform says a room's meeting ended (its stays close on settling)."""

    source: str
    room_id: str
    key: str  # unique: a redelivery carries the same key
    at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class PresenceSettled:
    """Recompute what the presence entries stored by earlier batches changed."""

    entries: tuple[LedgerEntry, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class PresenceCatchUp:
    """After a restart: close stays and recompute what a source's presence since
    `since` touched."""

    source: str
    since: datetime
