"""One-time sign-in links to the web dashboard: signed, short-lived tokens (stdlib only).

A token names the person, when it expires and a random nonce, signed with HMAC-SHA256.
That it is used only once is the web adapter's business (it remembers spent nonces).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

LINK_LIFETIME = timedelta(minutes=10)


@dataclass(frozen=True, slots=True, kw_only=True)
class Grant:
    """What a valid token says."""

    person_id: str
    nonce: str
    expires_at: datetime


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True, slots=True, kw_only=True)
class SignIn:
    """Issues and checks dashboard links. `secret` must be the same in every process
    that serves the dashboard; `public_url` is the address people open."""

    public_url: str
    secret: bytes = field(repr=False)
    lifetime: timedelta = LINK_LIFETIME

    def _sign(self, payload: bytes) -> str:
        mac = hmac.new(self.secret, b"dashboard-login\x00" + payload, hashlib.sha256)
        return _b64(mac.digest())

    def issue(self, person_id: str, now: datetime) -> str:
        expires = int((now + self.lifetime).timestamp())
        payload = f"{person_id}|{expires}|{secrets.token_urlsafe(16)}".encode()
        return f"{_b64(payload)}.{self._sign(payload)}"

    def link(self, person_id: str, now: datetime) -> str:
        return f"{self.public_url.rstrip('/')}/dashboard/login/{self.issue(person_id, now)}"

    def check(self, token: str, now: datetime) -> Grant | None:
        """The grant of a genuine, unexpired token; None for anything else."""
        body, dot, sig = token.partition(".")
        if not dot or len(token) > 512:
            return None
        try:
            payload = _unb64(body)
        except (ValueError, TypeError):
            return None
        if not hmac.compare_digest(self._sign(payload), sig):
            return None
        try:
            person_id, expires, nonce = payload.decode().split("|")
            expires_at = datetime.fromtimestamp(int(expires), UTC)
        except (ValueError, UnicodeDecodeError, OverflowError):
            return None
        if now >= expires_at:
            return None
        return Grant(person_id=person_id, nonce=nonce, expires_at=expires_at)
