"""Attendance from a meeting platform's own participant report (`rollcall import`).

Each row of a report (a `PlatformReport`, parsed at the edge by adapters.importers)
becomes a join and a leave PRESENCE entry for the session's group, on a stream of
its own, marked `imported` (the record then carries the flag `imported`). People
are matched as live presence is (bot.core.attendance.presence.PeopleIndex: the
platform id, `zoom_email`, `email`, an alias); the unmatched become guests to link.

Keys derive from the session and the row's content, so importing the same rows
again changes nothing, and a report downloaded again with more rows adds only
those. All rows are appended in one transaction: a report is taken whole or not
at all (the parser refuses a malformed file before anything gets here).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from bot.core.attendance.intervals import JOIN, LEAVE
from bot.core.attendance.presence import PeopleIndex, guest_key
from bot.core.attendance.recorder import Recorder
from bot.core.domain import AuditEntry, EvidenceKind, LedgerEntry, Session, SessionState
from bot.core.errors import UserError
from bot.core.events import ImportedStay, PlatformReport

SOURCES = ("zoom", "teams", "meet")


@dataclass(frozen=True, slots=True, kw_only=True)
class ImportResult:
    session_id: str
    rows: int  # rows in the report
    new_rows: int  # rows not imported before
    matched: int  # rows matched to a person
    guests: int  # rows that matched nobody (guests to link)
    people: tuple[str, ...]  # the ids of the people the report matched


def _digest(source: str, who: str, stay: ImportedStay) -> str:
    basis = f"{source}|{who}|{stay.joined.isoformat()}|{stay.left.isoformat()}"
    return hashlib.sha256(basis.encode()).hexdigest()[:20]


def _pair(
    session: Session,
    source: str,
    stay: ImportedStay,
    *,
    person_id: str | None,
    guest: str | None,
    now: datetime,
) -> list[LedgerEntry]:
    who = person_id or f"guest:{guest}"
    digest = _digest(source, who, stay)
    stream = f"import:{digest}"
    data_source = f"{source}_report"
    out = []
    for action, at in ((JOIN, stay.joined), (LEAVE, stay.left)):
        out.append(
            LedgerEntry(
                key=f"import:{session.id}:{digest}:{action}",
                kind=EvidenceKind.PRESENCE,
                group_id=session.group_id,
                person_id=person_id,
                guest_key=guest,
                at=at,
                recorded_at=now,
                source="import",
                data={
                    "action": action,
                    "source": data_source,
                    "stream": stream,
                    "imported": True,
                },
            )
        )
    return out


def _check(session: Session, report: PlatformReport, recorder: Recorder) -> None:
    if report.source not in SOURCES:
        raise UserError(f"unknown report format {report.source!r}")
    if session.state is SessionState.CANCELLED:
        raise UserError(f"session {session.id} was cancelled; nothing to import")
    if not report.stays:
        raise UserError("the report has no participant rows; nothing imported")
    now = recorder.clock.now()
    if session.opens_at(recorder.policy) > now:
        raise UserError(f"session {session.id} hasn't started yet")
    start, end = session.window(recorder.policy)
    if not any(s.left >= start and s.joined <= end for s in report.stays):
        raise UserError(
            f"no row of the report overlaps session {session.id} "
            f"({session.start.isoformat()} to {session.end.isoformat()}): "
            "is it the right session, or do the times need --tz?"
        )


async def import_report(
    recorder: Recorder, session: Session, report: PlatformReport, *, actor_id: str
) -> ImportResult:
    """Append the report's stays as imported presence for `session` and recompute
    its records. Raises UserError (nothing written) when it cannot apply."""
    _check(session, report, recorder)
    store = recorder.store
    index = PeopleIndex.of(await store.list_people())
    now = recorder.clock.now()
    entries: list[LedgerEntry] = []
    notes: list[str | None] = []
    matched, guests = 0, 0
    people: set[str] = set()
    keys: set[str] = set()
    for stay in report.stays:
        person = index.match(report.source, stay.identity)
        guest = None if person else guest_key(report.source, stay.identity)
        pair = _pair(
            session,
            report.source,
            stay,
            person_id=person.id if person else None,
            guest=guest,
            now=now,
        )
        if pair[0].key in keys:
            continue  # the same row twice in one file
        keys.add(pair[0].key)
        entries += pair
        # what the platform called a guest, kept as a note (erasable), never logged
        label = stay.identity.display_name or "guest"
        notes += [None, None] if person else [label, label]
        if person:
            matched += 1
            people.add(person.id)
        else:
            guests += 1
    stored = await recorder.append(entries, notes)
    new_rows = sum(1 for i in range(0, len(stored), 2) if stored[i] or stored[i + 1])
    if new_rows:
        await store.append_audit(
            AuditEntry(
                at=now,
                actor_id=actor_id,
                action="attendance.import",
                target=session.id,
                detail={
                    "format": report.source,
                    "rows": len(report.stays),
                    "new_rows": new_rows,
                    "matched": matched,
                    "guests": guests,
                },
            )
        )
        await recorder.recompute(session)
    return ImportResult(
        session_id=session.id,
        rows=len(report.stays),
        new_rows=new_rows,
        matched=matched,
        guests=guests,
        people=tuple(sorted(people)),
    )
