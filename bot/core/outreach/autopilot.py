"""What rollcall does on its own, one tick at a time: plan reminders and session-open
posts, end sessions that are over and fan out their follow-ups, deliver the outbox.

Truth lives in the store (sessions, outbox), so a tick after a restart picks up where
things stand; everything it enqueues is keyed, so ticks never double anything.
Only the scheduler leader plans; every process delivers (claims never overlap)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from bot.core.domain import SessionState
from bot.core.engine import Engine
from bot.core.logging_policy import describe
from bot.core.outreach.delivery import Dispatcher
from bot.core.outreach.followup import FollowUp
from bot.core.outreach.planner import reminders_for, session_open_post
from bot.core.outreach.signoff_reminders import signoff_reminders
from bot.core.ports import Store
from bot.core.settings import Config

log = logging.getLogger("rollcall.autopilot")

FOLLOW_UP_WINDOW = timedelta(hours=26)  # re-run follow-ups of sessions that ended lately
FOLLOW_UP_EVERY = timedelta(minutes=10)  # ... this often (enqueueing is idempotent)


class Autopilot:
    """Reads and ends sessions through the engine's public API; plans into the outbox
    of `store` (the engine's, handed over by the composition root)."""

    def __init__(
        self,
        engine: Engine,
        config: Config,
        dispatcher: Dispatcher,
        *,
        store: Store,
        materialize: Callable[[], Awaitable[int]] | None = None,
    ) -> None:
        self.engine = engine
        self.store = store
        self.config = config
        self.program = engine.program
        self.dispatcher = dispatcher
        if dispatcher.program is None:  # reminders are worded in the program's zone
            dispatcher.program = self.program
        self.materialize = materialize
        self._followed_up: dict[str, datetime] = {}
        self.followup = FollowUp(
            store=store,
            program=self.program,
            reminders=config.reminders,
            survey_enabled=bool(config.survey.questions),
        )

    async def plan(self) -> int:
        """Enqueue reminders and session-open posts for the coming sessions."""
        store, now = self.store, self.engine.now()
        horizon = max(self.config.reminders.before, default=timedelta(0)) + timedelta(hours=1)
        added = 0
        for session in await store.list_sessions(
            start_from=now, start_to=now + horizon, states=[SessionState.SCHEDULED]
        ):
            group = await store.get_group(session.group_id)
            if group is None:
                continue
            people = []
            for pid in await self.engine.participants(session):
                person = await store.get_person(pid)
                if person is not None:
                    people.append(person)
            items = reminders_for(session, group, people, self.program, self.config.reminders)
            items.append(session_open_post(session, group, self.program))
            added += await store.enqueue(items)
        return added

    async def close_sessions(self) -> int:
        """End sessions that are over (with the reconnect grace) and fan out follow-ups."""
        store, now = self.store, self.engine.now()
        grace = timedelta(seconds=self.program.policy.reconnect_merge_seconds)
        ended = 0
        for s in await store.list_sessions(
            start_from=now - timedelta(days=2), start_to=now, states=[SessionState.SCHEDULED]
        ):
            if s.end + grace <= now:
                await self.engine.end_session(s.id, actor_id="system")
                ended += 1
        for s in await store.list_sessions(
            start_from=now - FOLLOW_UP_WINDOW - timedelta(hours=12),
            start_to=now,
            states=[SessionState.ENDED],
        ):
            last = self._followed_up.get(s.id)
            if s.end + FOLLOW_UP_WINDOW < now or (last and now - last < FOLLOW_UP_EVERY):
                continue
            try:
                await store.enqueue(await self.followup.after_session(s, now))
                self._followed_up[s.id] = now
            except Exception as e:  # one session's trouble must not stop the others
                log.error("follow-ups of session %s failed: %s", s.id, describe(e))
        try:
            await store.enqueue(await signoff_reminders(store, self.program, now))
        except Exception as e:
            log.error("sign-off reminders failed: %s", describe(e))
        return ended

    async def tick(self, *, leader: bool) -> None:
        """Plan (leader only), then deliver — delivery runs even when planning failed."""
        try:
            if leader:
                if self.materialize is not None:
                    await self.materialize()
                await self.plan()
                await self.close_sessions()
        finally:
            await self.dispatcher.drain()
