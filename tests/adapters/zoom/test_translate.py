"""Zoom payloads -> core types: pure functions, no I/O."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime

import pytest

from adapters.zoom.translate import (
    BadPayload,
    Ignored,
    MeetingEnded,
    UrlValidation,
    parse_body,
    request_time,
    signature,
    signature_ok,
    translate,
    url_validation_answer,
)
from bot.core.events import Identity, PresenceObserved
from tests.fakes.zoom import (
    MEETING,
    joined,
    left,
    meeting_ended,
    participant_event,
    url_validation,
)

AT = datetime(2026, 11, 16, 23, 5, 7, tzinfo=UTC)


def test_signature_is_hmac_of_v0_timestamp_body() -> None:
    body = b'{"event":"meeting.participant_joined"}'
    want = hmac.new(b"s3cret", b"v0:1700000000:" + body, hashlib.sha256).hexdigest()
    assert signature("s3cret", "1700000000", body) == "v0=" + want
    assert signature_ok("s3cret", "1700000000", body, "v0=" + want)
    assert not signature_ok("s3cret", "1700000001", body, "v0=" + want)
    assert not signature_ok("other", "1700000000", body, "v0=" + want)
    assert not signature_ok("s3cret", "1700000000", body + b" ", "v0=" + want)
    assert not signature_ok("s3cret", "1700000000", body, "v0=é" + want[2:])  # non-ASCII


def test_url_validation_answer() -> None:
    doc = translate(url_validation("abc"))
    assert doc == UrlValidation(plain_token="abc")
    answer = url_validation_answer("s3cret", "abc")
    assert answer == {
        "plainToken": "abc",
        "encryptedToken": hmac.new(b"s3cret", b"abc", hashlib.sha256).hexdigest(),
    }


def test_request_time_accepts_seconds_and_milliseconds_only() -> None:
    assert request_time("1700000000") == datetime.fromtimestamp(1_700_000_000, UTC)
    assert request_time("1700000000123") == datetime.fromtimestamp(1_700_000_000, UTC)
    for bad in ("", "abc", "-5", "1.5", "１２３", "9" * 40):
        assert request_time(bad) is None


def test_participant_joined_becomes_presence_with_the_payload_time() -> None:
    doc = joined(
        uuid="U-1", name="Jay Smith", at=AT, email="Jay@Example.org", registrant_id="reg-9"
    )
    ev = translate(doc)
    assert isinstance(ev, PresenceObserved)
    assert ev.source == "zoom" and ev.room_id == MEETING
    assert ev.action == "join" and ev.at == AT and ev.stream == "U-1"
    assert ev.identity == Identity(
        email="Jay@Example.org", registrant_id="reg-9", display_name="Jay Smith"
    )
    # a redelivery (same content) gets the same key; another action or time does not
    assert translate(json.loads(json.dumps(doc))) == ev
    assert translate(left(uuid="U-1", name="Jay Smith", at=AT)).key != ev.key  # type: ignore[union-attr]
    later = translate(joined(uuid="U-1", name="Jay Smith", at=AT.replace(second=8)))
    assert isinstance(later, PresenceObserved) and later.key != ev.key


def test_numeric_meeting_id_and_missing_participant_uuid() -> None:
    doc = joined(uuid="", name="x", at=AT, meeting=85746352000, user_id="16778240")
    ev = translate(doc)
    assert isinstance(ev, PresenceObserved)
    assert ev.room_id == MEETING and ev.stream == "16778240"


def test_waiting_room_and_breakout_events() -> None:
    def t(event: str, **kw: object) -> object:
        return translate(participant_event(event, uuid="U-1", name="x", at=AT, **kw))  # type: ignore[arg-type]

    admitted = t("meeting.participant_admitted")
    assert isinstance(admitted, PresenceObserved) and admitted.action == "join"
    # admitted and joined at the same instant are one event
    assert admitted.key == translate(joined(uuid="U-1", name="x", at=AT)).key  # type: ignore[union-attr]
    put_back = t("meeting.participant_put_in_waiting_room")
    assert isinstance(put_back, PresenceObserved) and put_back.action == "leave"
    assert t("meeting.participant_joined_waiting_room") == Ignored(
        event="meeting.participant_joined_waiting_room", reason="waiting room"
    )
    assert isinstance(t("meeting.participant_left_waiting_room"), Ignored)
    into_breakout = t("meeting.participant_joined_breakout_room")
    assert isinstance(into_breakout, PresenceObserved) and into_breakout.action == "join"
    moved = t("meeting.participant_left", leave_reason="left the meeting to join breakout room")
    assert moved == Ignored(event="meeting.participant_left", reason="breakout room")
    back = t(
        "meeting.participant_left_breakout_room",
        leave_reason="leave breakout room to join main meeting",
    )
    assert back == Ignored(event="meeting.participant_left_breakout_room", reason="breakout room")
    gone = t(
        "meeting.participant_left_breakout_room",
        leave_reason="left the meeting. Reason : left the meeting",
    )
    assert isinstance(gone, PresenceObserved) and gone.action == "leave"
    # the same as Zoom's own participant_left at that moment: a later one is a no-op
    plain = t("meeting.participant_left", leave_reason="left the meeting")
    assert isinstance(plain, PresenceObserved) and plain.key == gone.key


def test_meeting_ended() -> None:
    ev = translate(meeting_ended(AT))
    assert isinstance(ev, MeetingEnded)
    assert ev.meeting_id == MEETING and ev.at == AT
    assert translate(meeting_ended(AT)) == ev
    other = translate(meeting_ended(AT, instance="another-instance"))
    assert isinstance(other, MeetingEnded) and other.key != ev.key


def test_unknown_events_are_ignored() -> None:
    assert translate({"event": "recording.completed", "payload": {}}) == Ignored(
        event="recording.completed", reason="unknown event"
    )


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not json",
        b"\xff\xfe",
        b"[1, 2]",
        b'{"payload": {}}',
        b'{"event": "meeting.participant_joined"}',
        b'{"event": "meeting.participant_joined", "payload": {"object": {"id": "1"}}}',
        b'{"event": "meeting.participant_joined", "payload": {"object": '
        b'{"participant": {"participant_uuid": "u", "join_time": "2026-11-16T23:00:00Z"}}}}',
        b'{"event": "meeting.participant_joined", "payload": {"object": {"id": "1", '
        b'"participant": {"participant_uuid": "u", "join_time": "yesterday"}}}}',
        b'{"event": "meeting.participant_left", "payload": {"object": {"id": "1", '
        b'"participant": {"participant_uuid": "u"}}}}',
        b'{"event": "meeting.participant_joined", "payload": {"object": {"id": "1", '
        b'"participant": {"join_time": "2026-11-16T23:00:00Z"}}}}',
        b'{"event": "meeting.ended", "payload": {"object": {"id": "1"}}}',
        b'{"event": "endpoint.url_validation", "payload": {}}',
        b'{"event": "endpoint.url_validation", "payload": {"plainToken": "' + b"x" * 300 + b'"}}',
    ],
)
def test_malformed_bodies_raise_bad_payload(body: bytes) -> None:
    with pytest.raises(BadPayload):
        translate(parse_body(body))


def test_naive_times_are_utc() -> None:
    doc = joined(uuid="U", name="x", at=AT)
    doc["payload"]["object"]["participant"]["join_time"] = "2026-11-16T23:05:07"
    ev = translate(doc)
    assert isinstance(ev, PresenceObserved) and ev.at == AT
