"""The live roster of a session, for its facilitators only."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime, tzinfo
from functools import lru_cache

from bot.core.actions import Button, RosterRow, RosterView
from bot.core.attendance.guests import roster_guests
from bot.core.attendance.hints import Early, label, shown
from bot.core.attendance.recorder import Recorder
from bot.core.attendance.survey_summary import summarize
from bot.core.domain import (
    AttendanceRecord,
    EvidenceKind,
    Flag,
    LedgerEntry,
    Participation,
    Session,
    SessionState,
    Status,
)
from bot.core.ports import Store
from bot.core.settings import SurveyQuestion
from bot.core.timeutil import clock_time, day_time

MARKS = (
    ("Present", Status.PRESENT, "primary"),
    ("Late", Status.LATE, ""),
    ("Absent", Status.ABSENT, "danger"),
    ("Excused", Status.EXCUSED, ""),
)
#: participation controls: each is a /verify with participation=LEVEL
ENGAGEMENT = (
    ("Participation high", Participation.HIGH),
    ("Participation medium", Participation.MEDIUM),
    ("Participation low", Participation.LOW),
)
NOT_HERE_YET = "not here yet"
#: attention first: not here yet, absent and unresolved; then excused; late; present
_RANK = {
    NOT_HERE_YET: 0,
    Status.ABSENT.value: 0,
    Status.UNVERIFIED.value: 0,
    Status.EXCUSED.value: 1,
    Status.LATE.value: 2,
    Status.PARTIAL.value: 2,
    Status.PRESENT.value: 3,
    Status.MADE_UP.value: 3,
}


def display_status(
    r: AttendanceRecord, running: bool, notice_at: datetime | None, tz: tzinfo
) -> str:
    """The roster's words: a late-notice absentee is "absent — told us at 5:40 PM (late
    notice)", an excused one "excused"; only someone we have heard nothing from while
    the session runs is "not here yet"."""
    if r.status is Status.ABSENT and Flag.LATE_NOTICE in r.flags and notice_at is not None:
        return f"absent — told us at {clock_time(notice_at.astimezone(tz))} (late notice)"
    if running and r.status is Status.ABSENT and Flag.OVERRIDE not in r.flags:
        return NOT_HERE_YET
    return r.status.value


def _kind(status: str) -> str:
    """The status a roster's words stand for ("absent — told us …" is "absent")."""
    return status.split(" — ")[0]


def rank(status: str) -> int:
    return _RANK.get(_kind(status), 0)


@lru_cache(maxsize=4096)
def row_buttons(session_id: str, person_id: str) -> tuple[Button, ...]:
    marks = tuple(
        Button(
            label=label, action="mark", value=f"{session_id}|{person_id}|{st.value}", style=style
        )
        for label, st, style in MARKS
    )
    levels = tuple(
        Button(label=label, action="engage", value=f"{session_id}|{person_id}|{level.value}")
        for label, level in ENGAGEMENT
    )
    return marks + levels


async def _notices(
    store: Store, session: Session, evidence: Sequence[LedgerEntry] | None
) -> dict[str, datetime]:
    """person id -> when their (latest) absence notice for the session came
    (`evidence`: the session's, if already read)."""
    out: dict[str, datetime] = {}
    kinds = [EvidenceKind.ABSENCE_NOTICE]
    if evidence is None:
        evidence = await store.evidence(session_id=session.id, kinds=kinds)
    for e in evidence:
        if e.person_id and e.kind is EvidenceKind.ABSENCE_NOTICE:
            out[e.person_id] = max(e.at, out.get(e.person_id, e.at))
    return out


async def build_roster(
    recorder: Recorder,
    session: Session,
    tz: tzinfo,
    now: datetime,
    *,
    page: int = 0,
    end_pass: bool = False,
    survey: Sequence[SurveyQuestion] = (),
) -> RosterView:
    """Every enrolled person (attention first), guests, counts; with `end_pass`, the
    ended session's last look before its sign-off (a Sign off control)."""
    store = recorder.store
    group = await store.get_group(session.group_id)
    group_name = group.name if group else session.group_id
    running = now < session.end and session.state is SessionState.SCHEDULED
    # the hints of the enrolled are read while the records are worked out
    early = Early(store, session.group_id) if running else None
    try:
        done = await recorder.recompute_session(session)
        records = done.records
        hints = (
            shown(
                await early.of([r.person_id for r in records]),
                session,
                session.opens_at(recorder.policy),
            )
            if early is not None
            else {}
        )
    finally:
        if early is not None:
            await early.settle()
    camera_known = bool(group and group.discord_voice_channel_id)
    notices = await _notices(store, session, done.evidence)
    rows: list[RosterRow] = []
    for r in records:
        person = await store.get_person(r.person_id)
        name = person.display_name if person else r.person_id
        hint = hints.get(r.person_id)
        rows.append(
            RosterRow(
                person_id=r.person_id,
                display_name=name,
                status=display_status(r, running, notices.get(r.person_id), tz),
                checked_in_at=r.checked_in_at,
                in_room=r.in_room,
                minutes=r.attended_minutes,
                camera_minutes=r.camera_minutes,
                camera_known=camera_known or r.camera_minutes > 0,
                flags=tuple(f.value for f in r.flags),
                hint=(
                    f"{label(hint)} since {clock_time(hint.since.astimezone(tz))} "
                    "(a hint, not attendance)"
                    if hint
                    else None
                ),
                participation=r.participation.value if r.participation else None,
            )
        )
    rows.sort(key=lambda r: (rank(r.status), r.display_name.casefold(), r.person_id))
    buttons = [(r.person_id, row_buttons(session.id, r.person_id)) for r in rows]
    # unlinked guests as "label (guest key)", so that a facilitator can /link them
    guests = await roster_guests(
        store, session, session.window(recorder.policy), around=done.presence, linked=done.links
    )
    counts = Counter(_kind(r.status) for r in rows)
    in_room = sum(1 for r in rows if r.in_room)
    notes: tuple[str, ...] = ()
    if end_pass:
        answers = await store.evidence(session_id=session.id, kinds=[EvidenceKind.SURVEY])
        notes = summarize(answers, survey) if survey else ()
    title = f"{group_name} — {day_time(session.start, tz)}–{clock_time(session.end.astimezone(tz))}"
    return RosterView(
        session_id=session.id,
        group_name=group_name,
        title=f"End of session: {title}" if end_pass else title,
        rows=tuple(rows),
        guests=guests,
        counts=(("enrolled", len(rows)), ("in the room", in_room), *sorted(counts.items())),
        buttons_for=tuple(buttons),
        end_pass=end_pass,
        controls=(
            (Button(label="Sign off", action="signoff", value=session.id, style="primary"),)
            if end_pass
            else ()
        ),
        page=max(0, page),
        notes=notes,
    )


def row_details(r: RosterRow, tz: tzinfo) -> list[str]:
    """What a roster says of one person after their name and status (every platform)."""
    parts = []
    if r.checked_in_at:
        parts.append(f"checked in {clock_time(r.checked_in_at.astimezone(tz))}")
    parts.append("in the room" if r.in_room else "not in the room")
    parts.append(f"{r.minutes} min")
    if r.camera_known:
        parts.append(f"camera {r.camera_minutes} min")
    if r.participation:
        parts.append(f"participation {r.participation}")
    if r.flags:
        parts.append("flags: " + ", ".join(r.flags))
    if r.hint:
        parts.append(r.hint)
    return parts


def render_roster(view: RosterView, tz: tzinfo) -> str:
    """Plain text, for the console, the CLI and platforms without rich layouts."""
    lines = [f"Roster: {view.title}"]
    for r in view.rows:
        head = f"  {r.display_name} ({r.person_id}): {r.status}"
        lines.append(" · ".join([head, *row_details(r, tz)]))
    if view.guests:
        lines.append("  Guests (not linked; /link KEY @person): " + ", ".join(view.guests))
    lines.append("  " + ", ".join(f"{k}: {v}" for k, v in view.counts))
    lines.extend(f"  {note}" for note in view.notes)
    if view.end_pass:
        lines.append("  Sign off with /signoff [note] once the record is right.")
    return "\n".join(lines)
