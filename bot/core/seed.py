"""Config → store, idempotently on every start; recurring sessions materialized ahead."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from bot.core.calendar import occurrences
from bot.core.domain import AuditEntry, SessionState
from bot.core.ports import Store
from bot.core.settings import Config
from bot.core.timeutil import zone

AHEAD = timedelta(days=14)


async def seed(store: Store, config: Config, at: datetime) -> None:
    """People and groups as configured; enrollments only where none was ever recorded,
    so an /unenroll is not undone by the next restart."""
    stored = {p.id: p for p in await store.list_people()}
    people = []
    for person in config.people:
        existing = stored.get(person.id)
        if existing is not None and existing.forgotten:
            continue  # erased on request: never brought back from config
        if existing != person:
            people.append(person)
    # only what is new or changed is written, in one transaction: a restart of a big
    # program is quick, and so is its first start
    stored_groups = {g.id: g for g in await store.list_groups()}
    enrolled = {(e.person_id, e.group_id) for e in await store.enrollments(active_only=False)}
    groups = [g for g in config.groups if stored_groups.get(g.id) != g]
    new = [
        (pid, g.id) for g in config.groups for pid in g.participants if (pid, g.id) not in enrolled
    ]
    if people or groups or new:
        await store.seed_directory(people=people, groups=groups, enrollments=new, at=at)


def closed_dates(config: Config, group_id: str) -> list[date]:
    days: list[date] = []
    for c in config.closures:
        if c.groups and group_id not in c.groups:
            continue
        d = c.start
        while d <= c.end:
            days.append(d)
            d += timedelta(days=1)
    return days


async def materialize(store: Store, config: Config, at: datetime) -> int:
    """Store the scheduled sessions of the next two weeks (existing ids are left alone),
    and cancel stored, not yet started ones that fall on a closure added since."""
    tz = zone(config.program.timezone)
    start_from, start_to = at - timedelta(hours=12), at + AHEAD
    due = [
        s
        for group in config.groups
        for s in occurrences(
            group, config.program.timezone, start_from, start_to, closed_dates(config, group.id)
        )
    ]
    # one read and one write, however many groups: a big program starts quickly
    if due:
        stored = {s.id for s in await store.list_sessions(start_from=min(s.start for s in due))}
        due = [s for s in due if s.id not in stored]
    added = await store.add_sessions(due)
    for group in config.groups:
        closed = closed_dates(config, group.id)
        if not closed:
            continue
        for s in await store.list_sessions(
            group_id=group.id, start_from=at, start_to=at + AHEAD, states=[SessionState.SCHEDULED]
        ):
            if s.start.astimezone(tz).date() in closed:
                await store.set_session_state(
                    s.id,
                    SessionState.CANCELLED,
                    audit=AuditEntry(
                        at=at,
                        actor_id="system",
                        action="session.cancel",
                        target=s.id,
                        detail={"reason": "closure"},
                    ),
                )
    return added
