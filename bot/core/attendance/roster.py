"""The live roster of a session, for its facilitators only."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, tzinfo

from bot.core.actions import Button, RosterRow, RosterView
from bot.core.attendance.guests import roster_guests
from bot.core.attendance.hints import label, shown
from bot.core.attendance.recorder import Recorder
from bot.core.domain import AttendanceRecord, Flag, Session, SessionState, Status
from bot.core.timeutil import clock_time, day_time

MARKS = (
    ("Present", Status.PRESENT, "primary"),
    ("Absent", Status.ABSENT, "danger"),
    (
        "Excused",
        Status.EXCUSED,
        "",
    ),
)


def _display_status(r: AttendanceRecord, running: bool) -> str:
    if running and r.status is Status.ABSENT and Flag.OVERRIDE not in r.flags:
        return "not here yet"
    return r.status.value


async def build_roster(
    recorder: Recorder, session: Session, tz: tzinfo, now: datetime
) -> RosterView:
    store = recorder.store
    group = await store.get_group(session.group_id)
    group_name = group.name if group else session.group_id
    records = await recorder.recompute(session)
    running = now < session.end and session.state is SessionState.SCHEDULED
    camera_known = bool(group and group.discord_voice_channel_id)
    rows: list[RosterRow] = []
    buttons: list[tuple[str, tuple[Button, ...]]] = []
    hints = (
        shown(
            await store.hints([r.person_id for r in records]),
            session,
            session.opens_at(recorder.policy),
        )
        if running
        else {}
    )
    for r in records:
        person = await store.get_person(r.person_id)
        name = person.display_name if person else r.person_id
        hint = hints.get(r.person_id)
        rows.append(
            RosterRow(
                person_id=r.person_id,
                display_name=name,
                status=_display_status(r, running),
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
            )
        )
        buttons.append(
            (
                r.person_id,
                tuple(
                    Button(
                        label=label,
                        action="mark",
                        value=f"{session.id}|{r.person_id}|{status.value}",
                        style=style,
                    )
                    for label, status, style in MARKS
                ),
            )
        )
    # unlinked guests as "label (guest key)", so that a facilitator can /link them
    guests = await roster_guests(store, session, session.window(recorder.policy))
    counts = Counter(r.status for r in rows)
    in_room = sum(1 for r in rows if r.in_room)
    title = f"{group_name} — {day_time(session.start, tz)}–{clock_time(session.end.astimezone(tz))}"
    return RosterView(
        session_id=session.id,
        group_name=group_name,
        title=title,
        rows=tuple(rows),
        guests=guests,
        counts=(("enrolled", len(rows)), ("in the room", in_room), *sorted(counts.items())),
        buttons_for=tuple(buttons),
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
    return "\n".join(lines)
