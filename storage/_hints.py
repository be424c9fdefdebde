"""Live presence hints (the `Hints` port) on SQL: one row per person and source."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any, cast

from sqlalchemy import Dialect, delete, select

from bot.core.domain import Hint
from storage._base import SqlBase
from storage.tables import presence_hints


@lru_cache(maxsize=4)
def _since(dialect: Dialect) -> Callable[[Any], Any] | None:
    """The `since` column's result processor (text -> aware UTC datetime)."""
    since = presence_hints.c.since.type
    return since.dialect_impl(dialect).result_processor(dialect, None)


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
        wanted = sorted(set(person_ids))
        if self._reader is not None:  # a SQLite file: one hand-off (a roster's every view)
            since = _since(self._engine.dialect)
            found = await self._reader.fetch(
                "SELECT person_id, source, since FROM presence_hints WHERE person_id IN ({}) "
                "ORDER BY person_id, source".format(", ".join("?" for _ in wanted)),
                wanted,
            )
            return [
                Hint(
                    person_id=p,
                    source=s,
                    since=cast(datetime, since(t) if since is not None else t),
                )
                for p, s, t in found
            ]
        stmt = (
            select(presence_hints)
            .where(presence_hints.c.person_id.in_(wanted))
            .order_by(self._by(presence_hints.c.person_id), self._by(presence_hints.c.source))
        )
        async with self._read() as conn:
            result = await conn.execute(stmt)
            return [Hint(person_id=r.person_id, source=r.source, since=r.since) for r in result]
