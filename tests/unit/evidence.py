"""Builders of ledger evidence for the attendance-rule tests.

Every builder returns a `LedgerEntry` with a fresh unique key. Times are given
as "HH:MM" or "HH:MM:SS[.ffffff]" on the day of the reference session
(Mon 2025-03-03, 18:00–21:00 UTC, 180 scheduled minutes) or as datetimes.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta

from bot.core.attendance.rules import compute_record
from bot.core.domain import (
    AttendanceRecord,
    EvidenceKind,
    Group,
    JSONScalar,
    LedgerEntry,
    Policy,
    Session,
)

DAY = datetime(2025, 3, 3, tzinfo=UTC)
PERSON = "p-001"
FACILITATOR = "f-001"
GROUP_ID = "evening-a"
POLICY = Policy()

#: bound to a Zoom meeting and a Discord voice channel: has presence detection
PRESENCE_GROUP = Group(
    id=GROUP_ID,
    name="Evening Group A",
    zoom_meeting_id="85746352000",
    discord_voice_channel_id="3",
)
#: Slack only: no presence detection, attendance by /checkin and /checkout
CHECKIN_GROUP = Group(id=GROUP_ID, name="Evening Group A", slack_channel="C0001")

_keys = itertools.count(1)

When = str | datetime


def t(when: When) -> datetime:
    """'18:11' or '20:23:30.5' on the session's day (UTC); datetimes pass through."""
    if isinstance(when, datetime):
        return when
    parts = when.split(":")
    hours, minutes = int(parts[0]), int(parts[1])
    seconds = float(parts[2]) if len(parts) > 2 else 0.0
    whole = int(seconds)
    micros = round((seconds - whole) * 1_000_000)
    return DAY + timedelta(hours=hours, minutes=minutes, seconds=whole, microseconds=micros)


SESSION = Session(id="s-1", group_id=GROUP_ID, start=t("18:00"), end=t("21:00"))
#: a moment well after the session: everything is decided
AFTER = t("23:00")


def _entry(
    kind: EvidenceKind,
    when: When,
    *,
    source: str,
    session_id: str | None,
    data: Mapping[str, JSONScalar] | None = None,
    actor_id: str | None = None,
    person: str | None = PERSON,
    guest_key: str | None = None,
    recorded_at: When | None = None,
    key: str | None = None,
) -> LedgerEntry:
    at = t(when)
    return LedgerEntry(
        key=key or f"{kind}-{next(_keys)}",
        kind=kind,
        group_id=GROUP_ID,
        at=at,
        recorded_at=t(recorded_at) if recorded_at is not None else at,
        source=source,
        session_id=session_id,
        person_id=person,
        guest_key=guest_key,
        actor_id=actor_id,
        data=dict(data or {}),
    )


def presence(
    action: str,
    when: When,
    *,
    source: str = "zoom",
    stream: str = "",
    reconciled: bool = False,
    recorded_at: When | None = None,
    session_id: str | None = None,
    person: str | None = PERSON,
    guest_key: str | None = None,
) -> LedgerEntry:
    """A presence event of `person` (None and a `guest_key`: a guest's; neither: a
    room's marker)."""
    return _entry(
        EvidenceKind.PRESENCE,
        when,
        source=source,
        session_id=session_id,
        data={"action": action, "source": source, "stream": stream, "reconciled": reconciled},
        recorded_at=recorded_at,
        person=person,
        guest_key=guest_key,
    )


def join(
    when: When,
    *,
    source: str = "zoom",
    stream: str = "",
    reconciled: bool = False,
    recorded_at: When | None = None,
) -> LedgerEntry:
    return presence(
        "join", when, source=source, stream=stream, reconciled=reconciled, recorded_at=recorded_at
    )


def leave(
    when: When,
    *,
    source: str = "zoom",
    stream: str = "",
    reconciled: bool = False,
    recorded_at: When | None = None,
) -> LedgerEntry:
    return presence(
        "leave", when, source=source, stream=stream, reconciled=reconciled, recorded_at=recorded_at
    )


def camera_on(when: When, *, source: str = "zoom", stream: str = "") -> LedgerEntry:
    return presence("camera_on", when, source=source, stream=stream)


def camera_off(when: When, *, source: str = "zoom", stream: str = "") -> LedgerEntry:
    return presence("camera_off", when, source=source, stream=stream)


def stay(
    start: When, end: When, *, source: str = "zoom", stream: str = "", reconciled: bool = False
) -> list[LedgerEntry]:
    """A join and its leave on one stream (`reconciled` marks the leave)."""
    return [
        join(start, source=source, stream=stream),
        leave(end, source=source, stream=stream, reconciled=reconciled),
    ]


def checkin(when: When, *, session: Session = SESSION, source: str = "slack") -> LedgerEntry:
    return _entry(EvidenceKind.CHECKIN, when, source=source, session_id=session.id)


def checkout(when: When, *, session: Session = SESSION, source: str = "slack") -> LedgerEntry:
    return _entry(EvidenceKind.CHECKOUT, when, source=source, session_id=session.id)


def verify(
    when: When,
    status: str,
    *,
    by: str = FACILITATOR,
    participation: str | None = None,
    note: str = "",
    session: Session = SESSION,
    recorded_at: When | None = None,
) -> LedgerEntry:
    return _entry(
        EvidenceKind.VERIFY,
        when,
        source="slack",
        session_id=session.id,
        data={"status": status, "participation": participation, "note": note},
        actor_id=by,
        recorded_at=recorded_at,
    )


def notice(when: When, *, reason: str = "", session: Session = SESSION) -> LedgerEntry:
    return _entry(
        EvidenceKind.ABSENCE_NOTICE,
        when,
        source="slack",
        session_id=session.id,
        data={"reason": reason},
    )


def survey(when: When, *, attended: bool = True, session: Session = SESSION) -> LedgerEntry:
    return _entry(
        EvidenceKind.SURVEY,
        when,
        source="slack",
        session_id=session.id,
        data={"attended": attended},
    )


def makeup_done(
    when: When, kind: str, *, by: str = PERSON, session: Session = SESSION
) -> LedgerEntry:
    """A completed make-up by recorded content or a one-on-one (see attendance.alternatives)."""
    return _entry(
        EvidenceKind.MAKEUP_ALTERNATIVE,
        when,
        source="slack",
        session_id=session.id,
        data={"kind": kind, "stage": "done"},
        actor_id=by,
    )


def makeup_offered(when: When, *, session: Session = SESSION) -> LedgerEntry:
    return _entry(
        EvidenceKind.MAKEUP_ALTERNATIVE,
        when,
        source="slack",
        session_id=session.id,
        data={"kind": "recorded", "stage": "offered"},
        actor_id=FACILITATOR,
    )


def record(
    entries: Iterable[LedgerEntry],
    *,
    group: Group = PRESENCE_GROUP,
    now: When = AFTER,
    session: Session = SESSION,
    policy: Policy = POLICY,
    made_up_by: str | None = None,
    dm_unreachable: bool = False,
) -> AttendanceRecord:
    """`compute_record` for PERSON with the reference session, group and policy."""
    return compute_record(
        session=session,
        group=group,
        person_id=PERSON,
        entries=list(entries),
        policy=policy,
        now=t(now),
        made_up_by=made_up_by,
        dm_unreachable=dm_unreachable,
    )
