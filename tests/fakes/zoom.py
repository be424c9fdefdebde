"""The Zoom webhook sender: the payloads Zoom posts (participant joined/left,
meeting ended, URL validation) and `post_signed`, which posts one the way Zoom
does: the raw JSON body, `x-zm-request-timestamp` and `x-zm-signature`.

tests/adapters/zoom/harness.py runs a bot to send them to.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import aiohttp

from adapters.zoom.translate import signature

SECRET = "zoom-test-secret"
MEETING = "85746352000"
MEETING_SPACED = f"{MEETING[:3]} {MEETING[3:7]} {MEETING[7:]}"  # as Zoom shows it
INSTANCE = "4444AAAiAAAAAiAiAiiAii=="


def zulu(at: datetime) -> str:
    """How Zoom writes a time: UTC, seconds, a Z."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def participant_event(
    event: str,
    *,
    uuid: str,
    name: str,
    at: datetime,
    email: str = "",
    registrant_id: str = "",
    user_id: str = "16778240",
    leave_reason: str | None = None,
    meeting: str | int = MEETING,
    instance: str = INSTANCE,
) -> dict[str, Any]:
    who: dict[str, Any] = {
        "user_id": user_id,
        "user_name": name,
        "id": "",
        "participant_uuid": uuid,
        "email": email,
        "registrant_id": registrant_id,
        "participant_user_id": "",
        "customer_key": "",
        "phone_number": "",
    }
    if event == "meeting.participant_left_breakout_room":
        # by default a move back to the main room (leaving the meeting says so)
        who["leave_time"] = zulu(at)
        who["leave_reason"] = leave_reason or "leave breakout room to join main meeting"
    elif event == "meeting.participant_left":
        who["leave_time"] = zulu(at)
        who["leave_reason"] = leave_reason or "left the meeting. Reason : left the meeting"
    elif event in (
        "meeting.participant_admitted",
        "meeting.participant_put_in_waiting_room",
        "meeting.participant_joined_waiting_room",
        "meeting.participant_left_waiting_room",
    ):
        who["date_time"] = zulu(at)
    else:
        who["join_time"] = zulu(at)
    return {
        "event": event,
        "event_ts": 1_700_000_000_000,
        "payload": {
            "account_id": "AAAAAABBBB",
            "object": {
                "id": meeting,
                "uuid": instance,
                "host_id": "x1yCzABCDEfg23HiJKl4mN",
                "topic": "Evening group",
                "type": 8,
                "start_time": "2026-11-16T22:55:00Z",
                "timezone": "America/New_York",
                "duration": 180,
                "participant": who,
            },
        },
    }


def joined(**kw: Any) -> dict[str, Any]:
    return participant_event("meeting.participant_joined", **kw)


def left(**kw: Any) -> dict[str, Any]:
    return participant_event("meeting.participant_left", **kw)


def meeting_ended(
    end: datetime, *, meeting: str | int = MEETING, instance: str = INSTANCE
) -> dict[str, Any]:
    return {
        "event": "meeting.ended",
        "event_ts": 1_700_000_000_000,
        "payload": {
            "account_id": "AAAAAABBBB",
            "object": {
                "id": meeting,
                "uuid": instance,
                "host_id": "x1yCzABCDEfg23HiJKl4mN",
                "topic": "Evening group",
                "type": 8,
                "start_time": "2026-11-16T22:55:00Z",
                "end_time": zulu(end),
                "timezone": "America/New_York",
                "duration": 180,
            },
        },
    }


def url_validation(token: str = "qgg8vlvZRS6UYooatFL8Aw") -> dict[str, Any]:
    return {"event": "endpoint.url_validation", "payload": {"plainToken": token}, "event_ts": 1}


@dataclass(kw_only=True)
class Response:
    status: int
    body: dict[str, Any]


async def post_signed(
    http: aiohttp.ClientSession,
    url: str,
    doc: Mapping[str, Any] | bytes,
    *,
    stamp: str,
    secret: str = SECRET,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """POST as Zoom does. `headers` replace the signed ones (an empty value drops one)."""
    body = doc if isinstance(doc, bytes) else json.dumps(doc).encode()
    sent = {
        "content-type": "application/json; charset=utf-8",
        "x-zm-request-timestamp": stamp,
        "x-zm-signature": signature(secret, stamp, body),
    }
    if headers is not None:
        sent = {k: v for k, v in sent.items() if k not in headers} | dict(headers)
        sent = {k: v for k, v in sent.items() if v}
    async with http.post(url, data=body, headers=sent) as r:
        status = r.status
        text = await r.text()
    return Response(status=status, body=json.loads(text) if text else {})
