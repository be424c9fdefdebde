"""Presence hints: a platform says someone is in *some* call (a Slack huddle) but not
which room. Facilitators see the hint on the live roster, next to the evidence; it is
never evidence itself (no ledger entry, no effect on any record)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from bot.core.domain import Hint, Session
from bot.core.events import PresenceHint
from bot.core.ports import Store

log = logging.getLogger("rollcall.hints")

#: what a roster says for each source
LABELS = {"slack_huddle": "in a Slack huddle"}
#: a hint older than this before the session opens is not shown (a missed "left")
SHOWN_FROM = timedelta(hours=1)


async def note(store: Store, hint: PresenceHint) -> None:
    person = await store.find_person(platform=hint.actor.platform, user_id=hint.actor.user_id)
    if person is None or person.forgotten:
        return
    if hint.active:
        await store.set_hint(Hint(person_id=person.id, source=hint.source, since=hint.at))
    else:
        await store.clear_hint(person.id, hint.source)
    log.info("hint %s for %s: %s", hint.source, person.id, "on" if hint.active else "off")


def shown(hints: list[Hint], session: Session, opens_at: datetime) -> dict[str, Hint]:
    """Per person, the hint worth showing on this session's roster."""
    out: dict[str, Hint] = {}
    for h in hints:
        if opens_at - SHOWN_FROM <= h.since < session.end and h.person_id not in out:
            out[h.person_id] = h
    return out


def label(hint: Hint) -> str:
    return LABELS.get(hint.source, f"in a call ({hint.source})")


class Early:
    """The hints of a group's enrolled people, read while the roster's records are
    worked out (one read fewer to wait for); `of` then gives `Store.hints(person_ids)`
    for the records' people: those read early, plus a read of anyone else (someone
    with evidence but not enrolled, or enrolled meanwhile), in the port's order."""

    def __init__(self, store: Store, group_id: str) -> None:
        self._store = store
        self._read = asyncio.ensure_future(self._enrolled(group_id))

    async def _enrolled(self, group_id: str) -> tuple[set[str], list[Hint]]:
        ids = sorted({e.person_id for e in await self._store.enrollments(group_id=group_id)})
        return set(ids), await self._store.hints(ids)

    async def of(self, person_ids: Sequence[str]) -> list[Hint]:
        asked, found = await self._read
        wanted = set(person_ids)
        out = [h for h in found if h.person_id in wanted]
        rest = sorted(wanted - asked)
        if rest:
            out += await self._store.hints(rest)
        return sorted(out, key=lambda h: (h.person_id, h.source))

    async def settle(self) -> None:
        """Never left running past the roster (a failure is the caller's to see in `of`)."""
        await asyncio.gather(self._read, return_exceptions=True)
