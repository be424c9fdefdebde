"""Zoom webhook payloads <-> core types. Pure: no I/O, no clock.

Signatures: Zoom signs every request, the URL validation included, with
``x-zm-signature: v0=HEX`` where HEX is HMAC-SHA256(secret token,
``v0:{x-zm-request-timestamp}:{raw body}``). The URL validation answer is
HMAC-SHA256(secret token, plainToken) in hex; because that makes the endpoint an
HMAC oracle, the validation request is only answered when its own signature holds.

Events (everything else is ignored):

- ``meeting.participant_joined`` / ``meeting.participant_admitted`` (let in from
  the waiting room) → join; ``meeting.participant_left`` /
  ``meeting.participant_put_in_waiting_room`` → leave. A ``participant_left`` whose
  ``leave_reason`` mentions a breakout room is not a leave: the person is still in
  the session.
- ``meeting.participant_joined_breakout_room`` → join (a no-op while the stay is
  open; it bridges a main-room leave Zoom may report for the move). Leaving a
  breakout room for the main room, and being in the waiting room, change nothing;
  a ``participant_left_breakout_room`` whose ``leave_reason`` says the person left
  the meeting closes the stay (keyed like a leave at that time, so Zoom's own
  ``participant_left`` for the same moment is the same event).
- ``meeting.ended`` → `MeetingEnded`: every stay still open is closed at ``end_time``.

Times are the payload's own (``join_time``, ``leave_time``, ``date_time``,
``end_time``), never arrival time. Zoom sends no event id and redelivers, so each
event's key is derived from what it says: the meeting instance (uuid), the
participant's stream, the action and the time. A redelivery gets the same key.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bot.core.events import Identity, PresenceObserved

SOURCE = "zoom"
URL_VALIDATION = "endpoint.url_validation"
MEETING_ENDED = "meeting.ended"
#: event -> action; None: recognised, deliberately not presence
PRESENCE_EVENTS: Mapping[str, str | None] = {
    "meeting.participant_joined": "join",
    "meeting.participant_left": "leave",
    "meeting.participant_admitted": "join",
    "meeting.participant_put_in_waiting_room": "leave",
    "meeting.participant_joined_breakout_room": "join",
    "meeting.participant_left_breakout_room": None,
    "meeting.participant_joined_waiting_room": None,
    "meeting.participant_left_waiting_room": None,
}
#: where the time of each action may be, in order of preference
_TIME_FIELDS = {"join": ("join_time", "date_time"), "leave": ("leave_time", "date_time")}
MAX_TOKEN = 256


class BadPayload(ValueError):
    """Malformed JSON or missing fields (answered 400). The message names no person."""


@dataclass(frozen=True, slots=True, kw_only=True)
class UrlValidation:
    plain_token: str


@dataclass(frozen=True, slots=True, kw_only=True)
class MeetingEnded:
    meeting_id: str
    key: str  # unique per meeting instance and end time
    at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class Ignored:
    event: str
    reason: str  # "unknown event", "waiting room", "breakout room"


Translated = UrlValidation | PresenceObserved | MeetingEnded | Ignored


# -- signatures -----------------------------------------------------------------------
def _hmac_hex(secret: str, message: bytes) -> str:
    return hmac.digest(secret.encode(), message, "sha256").hex()  # one-shot, in C


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """The ``x-zm-signature`` value Zoom sends for this timestamp and raw body."""
    return "v0=" + _hmac_hex(secret, b"v0:" + timestamp.encode() + b":" + body)


def signature_ok(secret: str, timestamp: str, body: bytes, given: str) -> bool:
    want = signature(secret, timestamp, body).encode()
    return hmac.compare_digest(want, given.encode("utf-8", "replace"))


def request_time(timestamp: str) -> datetime | None:
    """``x-zm-request-timestamp`` (epoch seconds; milliseconds tolerated) as UTC."""
    text = timestamp.strip()
    if not text.isascii() or not text.isdigit() or len(text) > 16:
        return None
    value = int(text)
    if value > 100_000_000_000:  # milliseconds
        value //= 1000
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def url_validation_answer(secret: str, plain_token: str) -> dict[str, str]:
    return {
        "plainToken": plain_token,
        "encryptedToken": _hmac_hex(secret, plain_token.encode()),
    }


# -- payloads -------------------------------------------------------------------------
def parse_body(body: bytes) -> dict[str, Any]:
    try:
        doc = json.loads(body)
    except (UnicodeDecodeError, ValueError):
        raise BadPayload("body is not JSON") from None
    if not isinstance(doc, dict):
        raise BadPayload("body is not a JSON object")
    return doc


def _object(value: object, what: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise BadPayload(f"{what} is missing or not an object")
    return value


def _text(value: object) -> str | None:
    """A non-empty string (numbers, as Zoom sometimes sends ids, become strings)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def parse_time(value: object, what: str) -> datetime:
    text = _text(value)
    if text is None:
        raise BadPayload(f"{what} is missing")
    try:
        at = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise BadPayload(f"{what} is not an ISO 8601 time") from None
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)  # Zoom's times are UTC
    return at.astimezone(UTC)


def event_key(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def translate(doc: Mapping[str, Any]) -> Translated:
    """One parsed webhook body -> what it means. Raises BadPayload."""
    event = _text(doc.get("event"))
    if event is None:
        raise BadPayload("event is missing")
    payload = _object(doc.get("payload"), "payload")
    if event == URL_VALIDATION:
        token = _text(payload.get("plainToken"))
        if token is None or len(token) > MAX_TOKEN:
            raise BadPayload("plainToken is missing or too long")
        return UrlValidation(plain_token=token)
    if event == MEETING_ENDED:
        obj = _object(payload.get("object"), "payload.object")
        meeting_id = _meeting_id(obj)
        at = parse_time(obj.get("end_time"), "payload.object.end_time")
        instance = _text(obj.get("uuid")) or meeting_id
        return MeetingEnded(
            meeting_id=meeting_id,
            key="ended:" + event_key(instance, at.isoformat()),
            at=at,
        )
    if event not in PRESENCE_EVENTS:
        return Ignored(event=event, reason="unknown event")
    action = PRESENCE_EVENTS[event]
    if event == LEFT_BREAKOUT and _left_meeting(payload):
        action = "leave"
    if action is None:
        reason = "breakout room" if "breakout" in event else "waiting room"
        return Ignored(event=event, reason=reason)
    obj = _object(payload.get("object"), "payload.object")
    meeting_id = _meeting_id(obj)
    who = _object(obj.get("participant"), "payload.object.participant")
    reason = (_text(who.get("leave_reason")) or "").lower()
    if action == "leave" and "breakout" in reason:
        return Ignored(event=event, reason="breakout room")
    stream = _text(who.get("participant_uuid")) or _text(who.get("user_id")) or _text(who.get("id"))
    if stream is None:
        raise BadPayload("payload.object.participant has no participant_uuid or user_id")
    at = _participant_time(who, action)
    instance = _text(obj.get("uuid")) or meeting_id
    return PresenceObserved(
        source=SOURCE,
        room_id=meeting_id,
        identity=Identity(
            email=_text(who.get("email")),
            registrant_id=_text(who.get("registrant_id")),
            display_name=_text(who.get("user_name")),
            platform_user_id=None,
        ),
        action=action,
        at=at,
        stream=stream,
        key=event_key(instance, stream, action, at.isoformat()),
    )


LEFT_BREAKOUT = "meeting.participant_left_breakout_room"


def _left_meeting(payload: Mapping[str, Any]) -> bool:
    """A breakout-room leave that is a leave of the whole meeting (not a move back to
    the main room): its reason says "left the meeting" and names no room to go to."""
    obj = payload.get("object")
    who = obj.get("participant") if isinstance(obj, Mapping) else None
    if not isinstance(who, Mapping):
        return False
    reason = (_text(who.get("leave_reason")) or "").lower()
    return "left the meeting" in reason and "breakout" not in reason and "main" not in reason


def _meeting_id(obj: Mapping[str, Any]) -> str:
    raw = _text(obj.get("id"))
    if raw is None:
        raise BadPayload("payload.object.id is missing")
    return raw.replace(" ", "")


def _participant_time(who: Mapping[str, Any], action: str) -> datetime:
    for name in _TIME_FIELDS[action]:
        if _text(who.get(name)) is not None:
            return parse_time(who.get(name), f"payload.object.participant.{name}")
    raise BadPayload(f"payload.object.participant.{_TIME_FIELDS[action][0]} is missing")
