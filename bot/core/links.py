"""Signed one-click links (the e-mail "can't make it" link): bound to a person and a
session, valid until a moment (the session's end). Pure: stdlib hmac.

A token is `{payload}.{mac}`: the payload base64url of "person|session|expiry epoch",
the MAC HMAC-SHA256 over it with the configured secret, base64url, 32 bytes."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class LinkClaim:
    person_id: str
    session_id: str
    expires: datetime


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(secret: str, payload: str) -> str:
    return _b64(hmac.new(secret.encode(), payload.encode(), hashlib.sha256).digest())


def make_token(secret: str, person_id: str, session_id: str, expires: datetime) -> str:
    payload = _b64(f"{person_id}|{session_id}|{int(expires.timestamp())}".encode())
    return f"{payload}.{_mac(secret, payload)}"


def read_token(secret: str, token: str, now: datetime) -> LinkClaim | None:
    """The claim of a genuine, unexpired token; None for anything else."""
    if not secret or len(token) > 512 or token.count(".") != 1:
        return None
    payload, mac = token.split(".")
    if not hmac.compare_digest(mac, _mac(secret, payload)):
        return None
    try:
        person_id, session_id, expiry = _unb64(payload).decode().split("|")
        expires = datetime.fromtimestamp(int(expiry), tz=UTC)
    except (ValueError, UnicodeDecodeError, binascii.Error):
        return None
    if now > expires:
        return None
    return LinkClaim(person_id=person_id, session_id=session_id, expires=expires)
