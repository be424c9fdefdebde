"""Dashboard sign-in state: spent link nonces and cookie sessions (15 idle minutes).

Kept in this process's memory: a restart signs everyone out, and with several bot
processes the dashboard needs sticky routing (or one process serving it)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.core.overview.scope import Scope

IDLE = timedelta(minutes=15)
COOKIE = "rollcall_dashboard"


@dataclass(kw_only=True)
class WebSession:
    person_id: str
    csrf: str
    last_seen: datetime


@dataclass(kw_only=True)
class Viewer:
    """Who is looking, what they may see, and this response's CSP nonce."""

    scope: Scope
    session: WebSession
    nonce: str


@dataclass(kw_only=True)
class Sessions:
    idle: timedelta = IDLE
    _sessions: dict[str, WebSession] = field(default_factory=dict)
    _spent: dict[str, datetime] = field(default_factory=dict)  # nonce -> link expiry

    def spend(self, nonce: str, expires_at: datetime, now: datetime) -> bool:
        """True the first time a link's nonce is used; False ever after."""
        self._spent = {n: t for n, t in self._spent.items() if t > now}
        if nonce in self._spent:
            return False
        self._spent[nonce] = expires_at
        return True

    def open(self, person_id: str, now: datetime) -> str:
        self._sessions = {k: s for k, s in self._sessions.items() if now - s.last_seen < self.idle}
        sid = secrets.token_urlsafe(32)
        self._sessions[sid] = WebSession(
            person_id=person_id, csrf=secrets.token_urlsafe(24), last_seen=now
        )
        return sid

    def get(self, sid: str | None, now: datetime) -> WebSession | None:
        """The live session (its idle clock restarted), or None."""
        s = self._sessions.get(sid or "")
        if s is None:
            return None
        if now - s.last_seen >= self.idle:
            del self._sessions[sid or ""]
            return None
        s.last_seen = now
        return s

    def close(self, sid: str | None) -> None:
        self._sessions.pop(sid or "", None)
