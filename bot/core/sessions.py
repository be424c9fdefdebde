"""Sessions: which one is open, which comes next, creating, ending, cancelling."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from bot.core.attendance.presence import close_open_stays
from bot.core.attendance.recorder import Recorder
from bot.core.domain import (
    AuditEntry,
    Session,
    SessionState,
)
from bot.core.errors import UserError
from bot.core.timeutil import zone

LIVE = (SessionState.SCHEDULED,)
NOT_CANCELLED = (SessionState.SCHEDULED, SessionState.ENDED)
MAX_MINUTES = 12 * 60


def session_id_for(group_id: str, start: datetime, tz_name: str) -> str:
    local = start.astimezone(zone(tz_name))
    return f"{group_id}-{local:%Y%m%d-%H%M}"


class SessionService:
    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder
        self.store = recorder.store

    async def open_sessions(self, group_ids: Iterable[str], at: datetime) -> list[Session]:
        """Sessions open for check-in at `at`, across the given groups, by start."""
        policy = self.recorder.policy
        # whole-hour bounds: the same query for a whole hour, so a store's read cache
        # answers the check-in storm at the top of the hour; filtered exactly below
        hour = at.replace(minute=0, second=0, microsecond=0)
        out: list[Session] = []
        for gid in sorted(set(group_ids)):
            for s in await self.store.list_sessions(
                group_id=gid,
                start_from=hour - timedelta(minutes=MAX_MINUTES),
                start_to=hour + timedelta(hours=2),
                states=LIVE,
            ):
                if s.is_open(at, policy):
                    out.append(s)
        return sorted(out, key=lambda s: (s.start, s.id))

    async def next_session(self, group_ids: Iterable[str], after: datetime) -> Session | None:
        best: Session | None = None
        for gid in set(group_ids):
            upcoming = await self.store.list_sessions(group_id=gid, start_from=after, states=LIVE)
            if upcoming and (best is None or upcoming[0].start < best.start):
                best = upcoming[0]
        return best

    async def recent_session(self, group_ids: Iterable[str], at: datetime) -> Session | None:
        """The open session, else the most recent one that has started."""
        open_now = await self.open_sessions(group_ids, at)
        if open_now:
            return open_now[0]
        best: Session | None = None
        for gid in set(group_ids):
            started = [
                s
                for s in await self.store.list_sessions(
                    group_id=gid, start_to=at, states=NOT_CANCELLED
                )
            ]
            if started and (best is None or started[-1].start > best.start):
                best = started[-1]
        return best

    async def create(
        self,
        *,
        group_id: str,
        start: datetime,
        minutes: int,
        actor_id: str,
        makeup_for: str | None = None,
        session_id: str | None = None,
    ) -> Session:
        group = await self.store.get_group(group_id)
        if group is None:
            raise UserError(f"unknown group: {group_id}")
        if not 1 <= minutes <= MAX_MINUTES:
            raise UserError(f"minutes must be between 1 and {MAX_MINUTES}, got {minutes}")
        end = start + timedelta(minutes=minutes)
        if makeup_for is not None:
            original = await self.store.get_session(makeup_for)
            if original is None:
                raise UserError(f"unknown session: {makeup_for}")
            if original.makeup_for is not None:
                raise UserError(f"{makeup_for} is itself a make-up session")
        for other in await self.store.list_sessions(
            group_id=group_id,
            start_from=start - timedelta(minutes=MAX_MINUTES),
            start_to=end,
            states=NOT_CANCELLED,
        ):
            if other.start < end and start < other.end:
                raise UserError(f"overlaps session {other.id} of group {group_id}")
        sid = session_id or session_id_for(group_id, start, self.recorder.program.timezone)
        session = Session(id=sid, group_id=group_id, start=start, end=end, makeup_for=makeup_for)
        audit = AuditEntry(
            at=self.recorder.clock.now(),
            actor_id=actor_id,
            action="session.create",
            target=sid,
            detail={"group_id": group_id, "makeup_for": makeup_for},
        )
        if not await self.store.add_session(session, audit=audit):
            raise UserError(f"session {sid} already exists")
        return session

    async def get(self, session_id: str) -> Session:
        s = await self.store.get_session(session_id)
        if s is None:
            raise UserError(f"unknown session: {session_id}")
        return s

    async def end(self, session_id: str, *, actor_id: str) -> Session:
        """Close open stays at the end, mark it ended and compute its records."""
        s = await self.get(session_id)
        if s.state is SessionState.CANCELLED:
            raise UserError(f"session {session_id} was cancelled")
        if s.state is SessionState.ENDED:
            return s
        now = self.recorder.clock.now()
        if now < s.start:
            raise UserError(f"session {session_id} hasn't started yet; cancel it instead")
        await self._close_open_stays(s, min(now, s.end))
        await self.store.set_session_state(
            s.id,
            SessionState.ENDED,
            audit=AuditEntry(at=now, actor_id=actor_id, action="session.end", target=s.id),
        )
        ended = await self.get(s.id)
        await self.recorder.recompute(ended)
        return ended

    async def cancel(self, session_id: str, *, actor_id: str) -> Session:
        s = await self.get(session_id)
        if s.state is SessionState.CANCELLED:
            return s
        if s.state is SessionState.ENDED:
            raise UserError(f"session {session_id} has already ended")
        await self.store.set_session_state(
            s.id,
            SessionState.CANCELLED,
            audit=AuditEntry(
                at=self.recorder.clock.now(),
                actor_id=actor_id,
                action="session.cancel",
                target=s.id,
            ),
        )
        return await self.get(s.id)

    async def _close_open_stays(self, s: Session, at: datetime) -> None:
        """Append a leave at `at` for every stay still open in the session's room."""
        await close_open_stays(
            self.recorder,
            group_id=s.group_id,
            at=at,
            key_prefix=f"session-end:{s.id}",
            closed_by="session_end",
            seen_until=s.window(self.recorder.policy)[1],
        )
