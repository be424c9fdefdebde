"""Live presence hints (the `Hints` port) on SQL: one row per person and source."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, select

from bot.core.domain import Hint
from storage._base import SqlBase
from storage.tables import presence_hints


class HintsSql(SqlBase):
    async def set_hint(self, hint: Hint) -> None:
        values = {"person_id": hint.person_id, "source": hint.source, "since": hint.since}
        async with self._write() as conn:
            await self._upsert_rows(conn, presence_hints, ["person_id", "source"], [values])

    async def clear_hint(self, person_id: str, source: str) -> None:
        where = (presence_hints.c.person_id == person_id) & (presence_hints.c.source == source)
        async with self._write() as conn:
            await conn.execute(delete(presence_hints).where(where))

    async def hints(self, person_ids: Sequence[str]) -> list[Hint]:
        if not person_ids:
            return []
        stmt = (
            select(presence_hints)
            .where(presence_hints.c.person_id.in_(sorted(set(person_ids))))
            .order_by(self._by(presence_hints.c.person_id), self._by(presence_hints.c.source))
        )
        async with self._read() as conn:
            result = await conn.execute(stmt)
            return [Hint(person_id=r.person_id, source=r.source, since=r.since) for r in result]
