"""People, groups and enrollments (the `Directory` port) on SQL."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select

from bot.core.domain import AuditEntry, Enrollment, Group, Person
from storage import rows, tables
from storage._base import SqlBase
from storage._cache import cached, invalidates
from storage.tables import enrollments, groups, people

_PLATFORM_COLUMNS = {"slack": people.c.slack_user_id, "discord": people.c.discord_user_id}


@dataclass(frozen=True, slots=True)
class _PeopleIndex:
    """Lookups over the cached directory (first by id wins, as the SQL queries do)."""

    by_id: dict[str, Person]
    by_platform: dict[tuple[str, str], Person]
    by_email: dict[str, Person]

    @classmethod
    def of(cls, everyone: list[Person]) -> _PeopleIndex:
        by_platform: dict[tuple[str, str], Person] = {}
        by_email: dict[str, Person] = {}
        for p in everyone:  # ordered by id: setdefault keeps the smallest
            for platform in _PLATFORM_COLUMNS:
                pid = p.platform_id(platform)
                if pid:
                    by_platform.setdefault((platform, pid), p)
            for address in (p.zoom_email, p.email):
                if address:
                    by_email.setdefault(address.lower(), p)
        return cls(by_id={p.id: p for p in everyone}, by_platform=by_platform, by_email=by_email)


@dataclass(frozen=True, slots=True)
class _GroupIndex:
    by_id: dict[str, Group]
    by_channel: dict[tuple[str, str], Group]

    @classmethod
    def of(cls, every: list[Group]) -> _GroupIndex:
        by_channel: dict[tuple[str, str], Group] = {}
        for g in every:  # ordered by id: setdefault keeps the smallest
            for platform in _CHANNEL_PLATFORMS:
                for channel in g.channels(platform):
                    by_channel.setdefault((platform, channel), g)
        return cls(by_id={g.id: g for g in every}, by_channel=by_channel)


_CHANNEL_PLATFORMS = ("slack", "discord")


class DirectorySql(SqlBase):
    """With the read cache on, single lookups (a person by chat id, a group by channel,
    a person's enrollments) are answered from whole-table indexes built once per cache
    lifetime, not cached key by key: at the top of the hour every key is new."""

    @cached
    async def _enrollment_index(self) -> dict[tuple[str, str | None], list[Enrollment]]:
        """Every enrollment, by ("person", id), by ("group", id) and under ("all", None),
        in query order."""
        index: dict[tuple[str, str | None], list[Enrollment]] = {("all", None): []}
        for e in await self._query_enrollments(active_only=False):
            index[("all", None)].append(e)
            index.setdefault(("person", e.person_id), []).append(e)
            index.setdefault(("group", e.group_id), []).append(e)
        return index

    @cached
    async def _people_index(self) -> _PeopleIndex:
        return _PeopleIndex.of(await self.list_people())

    @cached
    async def _group_index(self) -> _GroupIndex:
        return _GroupIndex.of(await self.list_groups())

    @invalidates
    async def upsert_person(self, person: Person) -> None:
        async with self._write() as conn:
            await self._upsert_rows(conn, people, ["id"], [rows.person_values(person)])

    async def get_person(self, person_id: str) -> Person | None:
        if self._cache.ttl > 0:  # answer from the cached directory: no query per person
            return (await self._people_index()).by_id.get(person_id)
        async with self._read() as conn:
            row = (await conn.execute(select(people).where(people.c.id == person_id))).first()
        return rows.to_person(row._mapping) if row else None

    @cached
    async def list_people(self) -> list[Person]:
        async with self._read() as conn:
            result = await conn.execute(select(people).order_by(self._by(people.c.id)))
            return [rows.to_person(r._mapping) for r in result]

    async def find_person(self, *, platform: str, user_id: str) -> Person | None:
        column = _PLATFORM_COLUMNS.get(platform)
        if column is None:
            return None
        if self._cache.ttl > 0:
            return (await self._people_index()).by_platform.get((platform, user_id))
        stmt = select(people).where(column == user_id).order_by(self._by(people.c.id)).limit(1)
        async with self._read() as conn:
            row = (await conn.execute(stmt)).first()
        return rows.to_person(row._mapping) if row else None

    async def find_person_by_email(self, email: str) -> Person | None:
        want = email.strip().lower()
        if self._cache.ttl > 0:
            return (await self._people_index()).by_email.get(want) if want else None
        stmt = (
            select(people)
            .where(or_(people.c.zoom_email_lc == want, people.c.email_lc == want))
            .order_by(self._by(people.c.id))
            .limit(1)
        )
        async with self._read() as conn:
            row = (await conn.execute(stmt)).first()
        return rows.to_person(row._mapping) if row else None

    @invalidates
    async def upsert_group(self, group: Group) -> None:
        async with self._write() as conn:
            await self._upsert_rows(conn, groups, ["id"], [rows.group_values(group)])

    async def get_group(self, group_id: str) -> Group | None:
        if self._cache.ttl > 0:
            return (await self._group_index()).by_id.get(group_id)
        async with self._read() as conn:
            row = (await conn.execute(select(groups).where(groups.c.id == group_id))).first()
        return rows.to_group(row._mapping) if row else None

    @cached
    async def list_groups(self) -> list[Group]:
        async with self._read() as conn:
            result = await conn.execute(select(groups).order_by(self._by(groups.c.id)))
            return [rows.to_group(r._mapping) for r in result]

    async def find_group_by_channel(self, *, platform: str, channel_id: str) -> Group | None:
        if self._cache.ttl > 0 and platform in _CHANNEL_PLATFORMS:
            return (await self._group_index()).by_channel.get((platform, channel_id))
        for g in await self.list_groups():
            if channel_id in g.channels(platform):
                return g
        return None

    @invalidates
    async def seed_enrollment(self, person_id: str, group_id: str, at: datetime) -> bool:
        values = {"person_id": person_id, "group_id": group_id, "active": True, "changed_at": at}
        async with self._write() as conn:
            result = await conn.execute(
                self._insert_new(enrollments, ["person_id", "group_id"]), values
            )
            return result.rowcount == 1

    @invalidates
    async def seed_directory(
        self,
        *,
        people: Sequence[Person],
        groups: Sequence[Group],
        enrollments: Sequence[tuple[str, str]],
        at: datetime,
    ) -> None:
        async with self._write() as conn:
            await self._upsert_rows(
                conn, tables.people, ["id"], [rows.person_values(p) for p in people]
            )
            await self._upsert_rows(
                conn, tables.groups, ["id"], [rows.group_values(g) for g in groups]
            )
            if enrollments:  # one executemany; rows already there are left as they are
                await conn.execute(
                    self._insert_new(tables.enrollments, ["person_id", "group_id"]),
                    [
                        {"person_id": p, "group_id": g, "active": True, "changed_at": at}
                        for p, g in enrollments
                    ],
                )

    @invalidates
    async def set_enrollment(
        self, person_id: str, group_id: str, *, active: bool, at: datetime, audit: AuditEntry
    ) -> bool:
        where = (enrollments.c.person_id == person_id) & (enrollments.c.group_id == group_id)
        async with self._lock, self._write() as conn:
            # the audit head first: it also serializes concurrent changes across processes
            head = await self._lock_head(conn, "audit")
            current = (await conn.execute(select(enrollments.c.active).where(where))).first()
            if current is None and not active:
                return False
            if current is not None and bool(current.active) == active:
                return False
            values = {"person_id": person_id, "group_id": group_id, "active": active}
            values["changed_at"] = at
            await self._upsert_rows(conn, enrollments, ["person_id", "group_id"], [values])
            await self._append_audit_locked(conn, audit, head)
            return True

    async def enrollments(
        self, *, person_id: str | None = None, group_id: str | None = None, active_only: bool = True
    ) -> list[Enrollment]:
        if self._cache.ttl <= 0:
            return await self._query_enrollments(
                person_id=person_id, group_id=group_id, active_only=active_only
            )
        index = await self._enrollment_index()
        if person_id is not None:
            found = index.get(("person", person_id), [])
        elif group_id is not None:
            found = index.get(("group", group_id), [])
        else:
            found = index[("all", None)]
        return [
            e
            for e in found
            if (group_id is None or e.group_id == group_id)
            and (person_id is None or e.person_id == person_id)
            and (e.active or not active_only)
        ]

    async def _query_enrollments(
        self, *, person_id: str | None = None, group_id: str | None = None, active_only: bool = True
    ) -> list[Enrollment]:
        stmt = select(enrollments.c.person_id, enrollments.c.group_id, enrollments.c.active)
        if person_id is not None:
            stmt = stmt.where(enrollments.c.person_id == person_id)
        if group_id is not None:
            stmt = stmt.where(enrollments.c.group_id == group_id)
        if active_only:
            stmt = stmt.where(enrollments.c.active.is_(True))
        stmt = stmt.order_by(self._by(enrollments.c.group_id), self._by(enrollments.c.person_id))
        async with self._read() as conn:
            result = await conn.execute(stmt)
            return [
                Enrollment(person_id=r.person_id, group_id=r.group_id, active=bool(r.active))
                for r in result
            ]
