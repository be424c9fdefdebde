"""The outreach log: a facilitator records that they reached out to someone slipping.

Entries are ledger evidence (kind `outreach`: how, outcome, whether it resolves the
alert); the free-text note is kept apart from the chain, erasable like other notes.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from bot.core.domain import AuditEntry, EvidenceKind, LedgerEntry
from bot.core.errors import UserError
from bot.core.ports import Store

HOWS = ("call", "dm", "in_session", "other")
OUTCOMES = ("reached", "left_message", "no_answer", "declined", "other")
MAX_NOTE = 2000


@dataclass(frozen=True, slots=True, kw_only=True)
class OutreachEntry:
    key: str
    person_id: str
    group_id: str
    by: str | None
    at: datetime
    how: str
    outcome: str
    resolves: bool
    note: str | None


async def record_outreach(
    store: Store,
    *,
    person_id: str,
    how: str,
    outcome: str,
    actor_id: str,
    at: datetime,
    source: str,
    note: str | None = None,
    resolves: bool = False,
    within: Iterable[str] | None = None,
) -> OutreachEntry:
    """Validate and append one entry (with an audit row). Bad input is a UserError.
    `within`: the groups the entry may be filed under (None: any of theirs)."""
    if how not in HOWS:
        raise UserError(f"how must be one of {', '.join(HOWS)}")
    if outcome not in OUTCOMES:
        raise UserError(f"outcome must be one of {', '.join(OUTCOMES)}")
    note = (note or "").strip() or None
    if note is not None and len(note) > MAX_NOTE:
        raise UserError(f"the note is too long (at most {MAX_NOTE} characters)")
    person = await store.get_person(person_id)
    if person is None or person.forgotten:
        raise UserError(f"unknown participant: {person_id}")
    groups = {e.group_id for e in await store.enrollments(person_id=person_id, active_only=False)}
    if within is not None:
        groups &= set(within)
    if not groups:
        raise UserError(f"{person_id} isn't in a group you can log outreach for")
    group_id = sorted(groups)[0]  # the entry is filed under one of their groups
    key = f"outreach:{person_id}:{at.isoformat()}:{secrets.token_hex(4)}"
    entry = LedgerEntry(
        key=key,
        kind=EvidenceKind.OUTREACH,
        group_id=group_id,
        person_id=person_id,
        actor_id=actor_id,
        at=at,
        recorded_at=at,
        source=source,
        data={"how": how, "outcome": outcome, "resolves": resolves},
    )
    await store.append_evidence([entry], notes=[note])
    await store.append_audit(
        AuditEntry(
            at=at,
            actor_id=actor_id,
            action="outreach.add",
            target=person_id,
            detail={"how": how, "outcome": outcome, "resolves": resolves},
        )
    )
    return OutreachEntry(
        key=key,
        person_id=person_id,
        group_id=group_id,
        by=actor_id,
        at=at,
        how=how,
        outcome=outcome,
        resolves=resolves,
        note=note,
    )


async def outreach_log(
    store: Store,
    *,
    person_id: str | None = None,
    group_ids: set[str] | None = None,
    at_from: datetime | None = None,
    at_to: datetime | None = None,
) -> list[OutreachEntry]:
    """Entries, oldest first, for one person and/or some groups (None: every group)."""
    found = await store.evidence(
        person_id=person_id, kinds=[EvidenceKind.OUTREACH], at_from=at_from, at_to=at_to
    )
    found = [e for e in found if group_ids is None or e.group_id in group_ids]
    notes = await store.notes_by_key([e.key for e in found]) if found else {}
    return [
        OutreachEntry(
            key=e.key,
            person_id=e.person_id or "",
            group_id=e.group_id,
            by=e.actor_id,
            at=e.at,
            how=str(e.data.get("how")),
            outcome=str(e.data.get("outcome")),
            resolves=e.data.get("resolves") is True,
            note=notes.get(e.key),
        )
        for e in found
    ]
