"""After a session, each facilitator gets one private digest: everyone who needs
attention, most urgent first, with why and what to do. The program's admins get the
absence-policy reviews the same way. Never one message per person or per rule.

One alert per episode per rule, unless it got worse: each episode a recipient was told
about is kept as an outbox row of its own (`{episode}:to:{recipient}:at:{level}`, status
sent, channel "digest", no text), so a later session's digest leaves it out while its
level (a streak's length, a rate's shortfall, a weekly minimum at risk or out of reach)
is no higher than when told; a review prompt goes once per cycle. The
digest's key names the people in it, so erasing one of them (participant forget) blanks
a digest not yet sent."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from bot.core.domain import Group, Role, Session
from bot.core.outbox import Kind, OutboxItem, OutboxStatus
from bot.core.ports import Store
from bot.core.timeutil import day_date_time
from bot.core.words import plural

DIGEST_LIFETIME = timedelta(days=7)
LEVEL_UNKNOWN = 2**31


@dataclass(frozen=True, slots=True, kw_only=True)
class Attention:
    """One reason to look at one person: an episode of one rule."""

    key: str  # the episode: "alert:{rule}:…:{person}:…" (stable while it lasts)
    person_id: str
    urgency: float  # higher first
    text: str  # why, and what to do (names the person: private to the recipient)
    review: bool = False  # an absence-policy review: admins get it too
    #: how bad the episode is now (higher is worse): it is told again only when higher
    level: int = 0


def told_level(told: set[str], key: str) -> int | None:
    """The highest level at which episode row `key` (`{episode}:to:{recipient}`) was
    told, or None if never (a row without a level, of an older version: never again)."""
    if key in told:
        return LEVEL_UNKNOWN
    levels = [int(k.rsplit(":", 1)[1]) for k in told if k.startswith(f"{key}:at:")]
    return max(levels, default=None)


def digest_text(group: Group, session: Session, tz: tzinfo, lines: Sequence[str]) -> str:
    people = len(lines)
    head = (
        f"After {group.name} ({day_date_time(session.start, tz)}): "
        f"{plural(people, 'person')} to look at, most urgent first."
    )
    return "\n".join([head, *(f"{n}. {line}" for n, line in enumerate(lines, 1))])


async def digests(
    store: Store,
    session: Session,
    group: Group,
    found: Sequence[Attention],
    tz: tzinfo,
    now: datetime,
) -> list[OutboxItem]:
    """The digests (and episode rows) to enqueue for what `found` holds that each
    recipient has not been told yet."""
    if not found:
        return []
    recipients: dict[str, list[Attention]] = {fid: list(found) for fid in group.facilitators}
    reviews = [a for a in found if a.review]
    if reviews:
        for person in await store.list_people():
            if person.role is Role.ADMIN and not person.forgotten:
                recipients.setdefault(person.id, reviews)
    items: list[OutboxItem] = []
    for rid, attentions in recipients.items():
        recipient = await store.get_person(rid)
        if recipient is None or recipient.forgotten:
            continue
        told = {i.key for i in await store.outbox_items(person_id=rid, kind=Kind.ALERT.value)}
        new = []
        for a in attentions:
            level = told_level(told, f"{a.key}:to:{rid}")
            if level is None or a.level > level:
                new.append(a)
        if not new:
            continue
        by_person: dict[str, list[Attention]] = {}
        for a in sorted(new, key=lambda a: (-a.urgency, a.key)):
            by_person.setdefault(a.person_id, []).append(a)
        order = sorted(by_person, key=lambda pid: (-by_person[pid][0].urgency, pid))
        lines = [" ".join(a.text for a in by_person[pid]) for pid in order]
        people = sorted(by_person)
        key = base = f"alert:digest:{session.id}:{':'.join(people)}:to:{rid}"
        n = 1
        while key in told:  # the same people again after this session (it got worse)
            n += 1
            key = f"{base}:{n}"
        items.append(
            OutboxItem(
                key=key,
                kind=Kind.ALERT,
                person_id=rid,
                group_id=group.id,
                session_id=session.id,
                due_at=session.end,
                expires_at=session.end + DIGEST_LIFETIME,
                text=digest_text(group, session, tz, lines),
            )
        )
        items += [
            OutboxItem(
                key=f"{a.key}:to:{rid}:at:{a.level}",
                kind=Kind.ALERT,
                person_id=rid,
                group_id=group.id,
                session_id=session.id,
                due_at=session.end,
                text="",
                status=OutboxStatus.SENT,
                channel_used="digest",
                finished_at=now,
            )
            for a in new
        ]
    return items
