"""Voice presence: what the adapter believes about bound voice channels, and the
events it hands to the engine when that changes or after a gap in the gateway.

Transitions are computed from what the adapter last believed (not only from
discord.py's `before`), so a member-removal event and the voice update that
follows it close a stay once, and nothing is emitted for a change seen twice.
All of it runs under one lock: events and reconciliation never interleave.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from datetime import datetime

from adapters.discord.translate import SOURCE, STREAM, VoiceSnapshot, presence_event, voice_actions
from bot.core.attendance.reconcile import RoomSnapshot
from bot.core.engine import Engine

log = logging.getLogger("rollcall.discord")

Key = tuple[str, str]  # (guild id, user id)


class VoiceTracker:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.believed: dict[Key, VoiceSnapshot] = {}
        self.bound: frozenset[str] = frozenset()
        self._lock = asyncio.Lock()
        #: voice updates and reconciliations handled so far (for metrics and tests)
        self.processed = 0
        self.reconciles = 0

    async def refresh_bound(self) -> frozenset[str]:
        groups = await self.engine.groups()
        self.bound = frozenset(
            g.discord_voice_channel_id
            for g in groups
            if g.discord_voice_channel_id and g.discord_voice_channel_id.isdigit()
        )
        return self.bound

    def now(self) -> datetime:
        return self.engine.now()

    async def changed(
        self,
        guild_id: str,
        user_id: str,
        new: VoiceSnapshot | None,
        *,
        voice_session: str | None = None,
        display_name: str | None = None,
    ) -> int:
        """A member's voice state is now `new` (None: out of voice). Events emitted."""
        async with self._lock:
            key = (guild_id, user_id)
            actions = voice_actions(self.believed.get(key), new, self.bound)
            at = self.now()
            for room_id, action in actions:
                await self.engine.handle(
                    presence_event(
                        room_id=room_id,
                        user_id=user_id,
                        action=action,
                        at=at,
                        voice_session=voice_session,
                        display_name=display_name,
                    )
                )
            if new is not None and new.channel_id in self.bound:
                self.believed[key] = new
            else:
                self.believed.pop(key, None)
            self.processed += 1
            if actions:
                log.debug("voice: user %s %s", user_id, ",".join(f"{a}@{r}" for r, a in actions))
            return len(actions)

    async def reconcile(
        self,
        guild_id: str,
        rooms: Mapping[str, Mapping[str, VoiceSnapshot]],
        *,
        left_at: datetime | None = None,
    ) -> int:
        """Make the ledger agree with a guild's snapshot: room id -> user id -> state.

        Rooms missing from `rooms` are left alone (their channel isn't visible)."""
        async with self._lock:
            at = self.now()
            emitted = 0
            for room_id, members in rooms.items():
                if room_id not in self.bound:
                    continue
                known = [
                    u
                    for (g, u), s in self.believed.items()
                    if g == guild_id and s.channel_id == room_id
                ]
                snapshot = RoomSnapshot(
                    source=SOURCE,
                    room_id=room_id,
                    present={u: s.camera for u, s in members.items()},
                    stream=STREAM,
                )
                events = await self.engine.reconcile_room(
                    snapshot, at=at, left_at=left_at, known_users=known
                )
                emitted += len(events)
                for u in known:
                    self.believed.pop((guild_id, u), None)
                for u, s in members.items():
                    self.believed[(guild_id, u)] = s
            self.reconciles += 1
            if emitted:
                log.info("voice: reconciled guild %s with %d event(s)", guild_id, emitted)
            return emitted
