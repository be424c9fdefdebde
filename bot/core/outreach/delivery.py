"""Delivering the outbox: claim what is due, send it on the person's channels in order
of preference, record the outcome. Never raises for a platform's failure."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta

from bot.core.actions import ChannelPost, DirectMessage
from bot.core.domain import AuditEntry, EvidenceKind, Person, Program, Session, SessionState
from bot.core.logging_policy import describe
from bot.core.outbox import Kind, OutboxItem, OutboxStatus
from bot.core.outreach import messages
from bot.core.outreach.planner import planned_start
from bot.core.outreach.routing import as_retry, backoff, channel_order, recipient_of
from bot.core.ports import (
    Clock,
    Delivery,
    Notifier,
    Poster,
    Retry,
    Store,
    Telemetry,
    ZoneSource,
)
from bot.core.replies import SMS_STOPPED
from bot.core.telemetry import NULL as NULL_TELEMETRY
from bot.core.timeutil import zone

log = logging.getLogger("rollcall.dispatch")

LEASE = timedelta(minutes=5)  # time to deliver one claimed item (an e-mail may take 45 s)
MAX_ATTEMPTS = 6
#: most items claimed at once
BATCH = 16
#: most items one drain (one scheduler tick) delivers: 5,000 reminders due at once go
#: out in three ticks
DRAIN = 2000
#: and the seconds a drain goes on claiming (about one scheduler tick): a slow platform
#: never keeps a tick past the scheduler's health window (/readyz: three ticks)
DRAIN_SECONDS = 15.0
#: recipients sent to at once (a channel's pacing or Retry-After holds only its own)
CONCURRENCY = 16
NOTIFICATIONS = "rollcall_notifications_total"
#: the longest a platform's Retry-After holds a channel
MAX_HOLD = timedelta(hours=1)


class Dispatcher:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        *,
        notifiers: Mapping[str, Sequence[Notifier]],
        posters: Sequence[Poster] = (),
        worker: str = "worker",
        lease: timedelta = LEASE,
        program: Program | None = None,
        zones: ZoneSource | None = None,
        reply_link: Callable[[Person, Session], str | None] | None = None,
        telemetry: Telemetry = NULL_TELEMETRY,
        drain_seconds: float = DRAIN_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        """`program`: its zone words reminders for people without one (`zones` may know
        theirs); `reply_link`: the one-click "can't come" link e-mailed reminders carry;
        `drain_seconds`: how long one drain goes on claiming (by `monotonic`)."""
        self.store = store
        self.clock = clock
        self.notifiers = notifiers
        self.posters = posters
        self.worker = worker
        self.lease = lease
        self.program = program
        self.zones = zones
        self.reply_link = reply_link
        self.telemetry = telemetry
        self.drain_seconds = drain_seconds
        self.monotonic = monotonic
        #: channel -> when its platform's Retry-After ends: its sends wait until then
        self.held: dict[str, datetime] = {}

    async def run_once(self, limit: int = BATCH) -> int:
        """Claim one batch of at most `limit` items and deliver it; the number of items
        handled (see `drain`)."""
        return await self.drain(max_items=limit, batch=limit)

    async def drain(self, max_items: int = DRAIN, batch: int = BATCH) -> int:
        """Deliver what is due, up to `max_items` and for about `drain_seconds` (it
        claims nothing more after that; the sends under way finish); the number of items
        handled. What is left goes on the next drain.

        Sends to different recipients go concurrently (at most CONCURRENCY at once),
        and more items are claimed as sends finish: a platform's pacing or Retry-After
        for one channel holds that channel's sends only, never the others. One
        recipient's items (a person's DMs, a group's posts) go one after another, in
        the order claimed.

        Cancelled (the bot stops), it gives back at once the items it claimed and has
        not begun to send (no attempt counted): they are not left to their lease."""
        lanes: dict[str, list[OutboxItem]] = {}
        running: set[asyncio.Task[None]] = set()
        begun: set[str] = set()
        handled = 0
        deadline = self.monotonic() + self.drain_seconds

        async def lane(recipient: str) -> None:
            queue = lanes[recipient]
            try:
                while queue:
                    begun.add(queue[0].key)
                    await self._one(queue[0])
                    queue.pop(0)
            finally:
                del lanes[recipient]

        try:
            while True:
                free = min(CONCURRENCY - len(running), batch, max_items - handled)
                if self.monotonic() >= deadline:
                    free = 0  # time is up: finish what runs, claim nothing more
                # claim when nothing runs, or when enough slots are free to be worth a write
                if free > 0 and (not running or free >= CONCURRENCY // 2):
                    now = self.clock.now()
                    try:
                        items = await self.store.claim_due(
                            now, worker=self.worker, limit=free, lease=self.lease
                        )
                    except Exception:
                        # the sends under way finish (and are recorded) before this fails
                        await asyncio.gather(*running, return_exceptions=True)
                        running = set()
                        raise
                    handled += len(items)
                    for item in items:
                        recipient = recipient_of(item)
                        if recipient in lanes:  # already being sent to: after those
                            lanes[recipient].append(item)
                        else:
                            lanes[recipient] = [item]
                            running.add(asyncio.create_task(lane(recipient)))
                    if not items and not running:
                        break
                elif not running:
                    break  # max_items handled, or time is up
                if running:
                    done, running = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
                    for task in done:
                        task.result()
        finally:
            if running:
                waiting = [i for q in lanes.values() for i in q if i.key not in begun]
                for task in running:
                    task.cancel()
                await asyncio.gather(*running, return_exceptions=True)
                await self._release(waiting)
        return handled

    async def _release(self, items: list[OutboxItem]) -> None:
        """End this worker's claim on items it never began to send: claimable again at
        once, with no attempt counted (a send begun keeps its claim to its lease end:
        whether it went out is unknown)."""
        now = self.clock.now()
        for item in items:
            try:
                await self.store.renew_claim(item.key, worker=self.worker, until=now)
            except Exception as e:  # its lease runs out and it is claimed again
                log.error("outbox item %s: not released: %s", item.key, describe(e))

    async def _one(self, item: OutboxItem) -> None:
        # the lease restarts for each item, right before it is sent: a slow channel can't
        # let another worker's claim of the same item overlap this send; the same write
        # marks the send as begun (item.sending_at still tells whether an earlier attempt
        # began and never got its result), so it is never skipped
        now = self.clock.now()
        try:
            renewed = await self.store.renew_claim(
                item.key, worker=self.worker, until=now + self.lease, sending_at=now
            )
        except Exception as e:  # left claimed: its lease runs out and it is claimed again
            log.error("renewing outbox item %s failed: %s", item.key, describe(e))
            return
        if not renewed:
            log.warning("outbox item %s: claim lost before sending; skipped", item.key)
            return
        try:
            await self._deliver(item, begun=now)
        except Exception as e:
            log.error("delivering outbox item %s failed: %s", item.key, describe(e))
            try:
                await self._finish(item, OutboxStatus.PENDING, error="internal", retry=True)
            except Exception as again:  # its lease runs out and it is claimed again
                log.error("outbox item %s: not released: %s", item.key, describe(again))

    async def _finish(
        self,
        item: OutboxItem,
        status: OutboxStatus,
        *,
        channel: str | None = None,
        error: str | None = None,
        retry: bool = False,
        not_before: timedelta = timedelta(0),
        unsent_since: datetime | None = None,
    ) -> None:
        now = self.clock.now()
        if retry and item.attempts + 1 < MAX_ATTEMPTS:
            self._count(item, channel, "retry")
            await self.store.finish(
                item.key,
                OutboxStatus.PENDING,
                at=now,
                error=error,
                next_attempt_at=now + max(backoff(item.attempts), not_before),
                unsent_since=unsent_since,
            )
            return
        if retry:
            status = OutboxStatus.FAILED
        await self.store.finish(item.key, status, at=now, channel=channel, error=error)
        self._count(item, channel, status.value)
        if status in (OutboxStatus.DROPPED, OutboxStatus.FAILED):
            await self.store.append_audit(
                AuditEntry(
                    at=now,
                    actor_id="system",
                    action=f"notification.{status.value}",
                    target=item.key,
                    detail={"kind": item.kind.value, "reason": error},
                )
            )

    def _count(self, item: OutboxItem, channel: str | None, result: str) -> None:
        self.telemetry.count(
            NOTIFICATIONS, kind=item.kind.value, channel=channel or "none", result=result
        )

    async def _deliver(self, item: OutboxItem, *, begun: datetime) -> None:
        now = self.clock.now()
        if not item.text:  # its words were erased on request (participant forget)
            await self._finish(item, OutboxStatus.DROPPED, error="erased")
            return
        if item.expires_at is not None and now > item.expires_at:
            await self._finish(item, OutboxStatus.DROPPED, error="too_late")
            return
        session = None
        if item.session_id and item.kind is not Kind.ALERT:
            session = await self.store.get_session(item.session_id)
            if session is not None and session.state is SessionState.CANCELLED:
                await self._finish(item, OutboxStatus.DROPPED, error="session_cancelled")
                return
        if item.kind is Kind.SESSION_OPEN:
            await self._post(item)
            return
        person = await self.store.get_person(item.person_id) if item.person_id else None
        if person is None or person.forgotten:
            await self._finish(item, OutboxStatus.DROPPED, error="no_person")
            return
        text = item.text
        earlier: str | None = None
        if item.kind is Kind.REMINDER and session is not None:
            moot = await self._moot(item, session, person, now)
            if moot is not None:
                await self._finish(item, OutboxStatus.DROPPED, error=moot)
                return
            # worded at the moment its send is marked (`begun`, kept as `sending_at`), so a
            # retry after a cut send can word it exactly as that attempt did
            text = await self._reminder_text(session, person, begun) or text
            if item.sending_at is not None:  # an attempt may have sent it, worded then
                earlier = await self._reminder_text(session, person, item.sending_at)
        retry = False
        unknown = False  # a send whose outcome is unknown (it may have arrived)
        wait = timedelta(0)
        order = channel_order(person, self.notifiers)
        blocked = await self.store.unreachable_channels(person.id)
        if SMS_STOPPED in blocked:  # they replied STOP: never text them
            order = [c for c in order if c != "sms"]
        # a channel known not to reach them is skipped while another one might
        order = [c for c in order if c not in blocked] or order
        tried = False
        for channel in order:
            held = self.held.get(channel)
            if held is not None and held > now:
                # its platform asked it to wait: the message waits for its channel rather
                # than falling to the next one (the person preferred this one)
                retry = True
                wait = max(wait, held - now)
                break
            tried = True
            link = None
            if channel == "email" and session is not None and self.reply_link is not None:
                link = self.reply_link(person, session) if item.kind is Kind.REMINDER else None
            message = DirectMessage(
                person_id=person.id,
                text=messages.for_channel(text, channel, link=link),
                kind=item.kind.value,
                key=item.key,
                buttons=item.buttons,
                possibly_sent_since=item.sending_at,
                earlier_text=messages.for_channel(earlier, channel, link=link) if earlier else None,
            )
            results = [await n.deliver(person, message) for n in self.notifiers[channel]]
            if Delivery.DELIVERED in results:
                if channel in blocked:  # they opened their DMs again (or the like)
                    await self.store.clear_unreachable(person.id, channel)
                await self._finish(item, OutboxStatus.SENT, channel=channel)
                return
            later = [as_retry(r) for r in results if r is Delivery.RETRY or isinstance(r, Retry)]
            if later:
                # a passing failure: fall to the next channel now, and if none delivers,
                # try again later (the platform's Retry-After holds the whole channel)
                retry = True
                unknown |= any(not r.refused for r in later)
                after = max(r.after for r in later)
                if after > timedelta(0):
                    until = self.clock.now() + min(after, MAX_HOLD)
                    self.held[channel] = max(until, self.held.get(channel, until))
                    wait = max(wait, until - now)
                continue
            # every notifier of this channel says it cannot reach them
            await self._unreachable(person, channel, now)
        if not tried and retry:
            # every channel is held by its platform's Retry-After: nothing was attempted,
            # so no attempt is counted; the claim is parked until the hold ends
            await self.store.renew_claim(item.key, worker=self.worker, until=now + wait)
            return
        await self._finish(
            item,
            OutboxStatus.FAILED,
            error="unreachable",
            retry=retry,
            not_before=wait,
            unsent_since=None if unknown else begun,
        )

    async def _moot(
        self, item: OutboxItem, session: Session, person: Person, now: datetime
    ) -> str | None:
        """Why a due reminder should not go (None: it should): the session started or
        moved, or the person already gave notice or checked in."""
        planned = planned_start(item.key)
        if planned is not None and planned != session.start:
            return "session_moved"  # its re-planned reminders carry the new start
        if now >= session.start or session.state is not SessionState.SCHEDULED:
            return "too_late"
        told = await self.store.evidence(
            session_id=session.id,
            person_id=person.id,
            kinds=[EvidenceKind.ABSENCE_NOTICE, EvidenceKind.CHECKIN],
        )
        if any(e.kind is EvidenceKind.ABSENCE_NOTICE for e in told):
            return "notice_given"
        if told:
            return "checked_in"
        return None

    async def _reminder_text(self, session: Session, person: Person, now: datetime) -> str | None:
        """The reminder worded now, in the person's zone (theirs, else the platform's,
        else the program's)."""
        group = await self.store.get_group(session.group_id)
        if group is None:
            return None
        name = person.timezone
        if name is None and self.zones is not None:
            name = await self.zones.zone_of(person)
        tz = zone(name, self.program.timezone) if self.program else zone(name)
        return messages.reminder(group, session, tz, now)

    async def _unreachable(self, person: Person, channel: str, now: datetime) -> None:
        """Remember it; the person's facilitators read it in their next digest (once per
        channel, see bot.core.outreach.digest)."""
        if await self.store.mark_unreachable(person.id, channel, now):
            log.info("person=%s unreachable on %s", person.id, channel)

    async def _post(self, item: OutboxItem) -> None:
        group = await self.store.get_group(item.group_id) if item.group_id else None
        if group is None:
            await self._finish(item, OutboxStatus.DROPPED, error="no_group")
            return
        post = ChannelPost(group_id=group.id, text=item.text, key=item.key)
        retry = False
        delivered = False
        for poster in self.posters:
            result = await poster.post(group, post)
            delivered |= result is Delivery.DELIVERED
            retry |= result is Delivery.RETRY
        if delivered:
            await self._finish(item, OutboxStatus.SENT, channel="post")
        elif retry:
            await self._finish(item, OutboxStatus.PENDING, error="post_failed", retry=True)
        else:
            await self._finish(item, OutboxStatus.DROPPED, error="no_channel")
