"""Calendar feed tokens (the `CalendarTokens` port) on SQL and in memory: one row per
person, holding only the sha256 of the token."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select

from storage._base import SqlBase
from storage.tables import calendar_tokens


class CalendarTokensSql(SqlBase):
    async def set_calendar_token(self, person_id: str, token_hash: str, at: datetime) -> None:
        values = {"person_id": person_id, "token_hash": token_hash, "issued_at": at}
        async with self._write() as conn:
            await conn.execute(
                delete(calendar_tokens).where(calendar_tokens.c.person_id == person_id)
            )
            await conn.execute(calendar_tokens.insert().values(values))

    async def calendar_token_owner(self, token_hash: str) -> str | None:
        stmt = select(calendar_tokens.c.person_id).where(calendar_tokens.c.token_hash == token_hash)
        async with self._read() as conn:
            return (await conn.execute(stmt)).scalar_one_or_none()

    async def revoke_calendar_token(self, person_id: str) -> bool:
        where = calendar_tokens.c.person_id == person_id
        async with self._write() as conn:
            result = await conn.execute(delete(calendar_tokens).where(where))
            return bool(result.rowcount)


class MemoryCalendarTokens:
    def __init__(self) -> None:
        super().__init__()
        self._calendar: dict[str, str] = {}  # person id -> token hash

    async def set_calendar_token(self, person_id: str, token_hash: str, at: datetime) -> None:
        self._calendar[person_id] = token_hash

    async def calendar_token_owner(self, token_hash: str) -> str | None:
        return next((p for p, h in self._calendar.items() if h == token_hash), None)

    async def revoke_calendar_token(self, person_id: str) -> bool:
        return self._calendar.pop(person_id, None) is not None
