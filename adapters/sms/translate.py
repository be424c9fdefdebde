"""Pure: a core `DirectMessage` to a Twilio-style Messages request, and its answer back
to a `Delivery`.

An SMS travels in clear through carriers and shows on lock screens: it carries only
the message text the core wrote for this person, never a link with ids. Buttons
cannot work in SMS, so a message with buttons gets one line pointing to the chat app.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from bot.core.actions import DirectMessage
from bot.core.domain import Person
from bot.core.ports import Delivery

MAX_BODY = 1600  # Twilio's limit on Body, in characters
CHAT_HINT = "To respond, please open the chat app you use with your group."
ELLIPSIS = "..."  # plain ASCII: "…" would force UCS-2 and double the segment count

#: Twilio error codes that say this number cannot get our SMS (retrying will not help):
#: 21211 invalid 'To' number, 21265 'To' is a short code, 21408 region not enabled for
#: this number's country, 21608 unverified number (trial account), 21610 unsubscribed
#: (replied STOP), 21612 not reachable via SMS, 21614 not a mobile number, 21635 landline
UNREACHABLE_CODES = frozenset({21211, 21265, 21408, 21608, 21610, 21612, 21614, 21635})

_E164 = re.compile(r"\+[1-9][0-9]{6,14}\Z")


def recipient_number(person: Person) -> str | None:
    """The person's number in E.164 form (as config stores it), else None."""
    if person.forgotten or not person.phone:
        return None
    number = re.sub(r"[\s().-]", "", person.phone)
    return number if _E164.match(number) else None


def sms_body(message: DirectMessage) -> str:
    """The text, with the chat hint when it has buttons, cut to `MAX_BODY` characters
    (the hint survives the cut)."""
    text = message.text.strip()
    tail = f"\n\n{CHAT_HINT}" if message.buttons else ""
    room = MAX_BODY - len(tail)
    if len(text) > room:
        text = text[: room - len(ELLIPSIS)].rstrip() + ELLIPSIS
    return text + tail


def form_fields(*, message: DirectMessage, to_number: str, from_number: str) -> dict[str, str]:
    return {"To": to_number, "From": from_number, "Body": sms_body(message)}


def error_code(body: bytes) -> int | None:
    """The Twilio error `code` from an error response body, if there is one."""
    try:
        payload = json.loads(body)
    except ValueError:
        return None
    code = payload.get("code") if isinstance(payload, dict) else None
    return code if isinstance(code, int) and not isinstance(code, bool) else None


@dataclass(frozen=True, slots=True, kw_only=True)
class Outcome:
    delivery: Delivery
    #: our side is misconfigured (credentials, account, sender, URL): log at ERROR
    misconfigured: bool = False


def classify(status: int, code: int | None) -> Outcome:
    """An HTTP status (and Twilio error code) to what the caller should do."""
    if 200 <= status < 300:
        return Outcome(delivery=Delivery.DELIVERED)
    if status == 429 or status >= 500:
        return Outcome(delivery=Delivery.RETRY)
    if code in UNREACHABLE_CODES:
        return Outcome(delivery=Delivery.UNREACHABLE)
    # 401/403 credentials, 404 account or URL, other 400s (sender number, ...), 3xx:
    # nothing this person can fix; keep the message and tell the operator
    return Outcome(delivery=Delivery.RETRY, misconfigured=True)


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())
