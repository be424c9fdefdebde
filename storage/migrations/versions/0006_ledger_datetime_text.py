"""ledger at/recorded_at on SQLite: the text SQLAlchemy binds (``YYYY-MM-DD
HH:MM:SS.ffffff``), not the ``YYYY-MM-DD HH:MM:SS[.ffffff]+00:00`` the ledger's writer
thread stored through sqlite3's adapter until now. Range filters compare the text, so
an entry at a whole second was missed by ``at >= T`` and kept by ``at < T`` (with
microseconds, wrong at equality with ``<=``/``>``). Every such value is UTC (the type
converts before binding), so the offset is dropped and whole seconds get ``.000000``.

The values are unchanged (the hash chain is computed from them, not from the stored
text: it verifies as before). No triggers guard the ledger (it is append-only by the
code, not by the schema), so one UPDATE in the migration's transaction does it. Nothing
to do on PostgreSQL (timestamptz). The downgrade does nothing: every version reads
either text as the same instant.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02

"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: GLOB patterns of the old text: a whole second, and one with microseconds
_D = "[0-9]"
_WHOLE = f"{_D * 4}-{_D * 2}-{_D * 2} {_D * 2}:{_D * 2}:{_D * 2}+00:00"
_MICRO = f"{_D * 4}-{_D * 2}-{_D * 2} {_D * 2}:{_D * 2}:{_D * 2}.{_D * 6}+00:00"
COLUMNS = ("at", "recorded_at")


def _normalised(column: str) -> str:
    return (
        f"CASE WHEN {column} GLOB '{_WHOLE}' THEN substr({column}, 1, 19) || '.000000' "
        f"WHEN {column} GLOB '{_MICRO}' THEN substr({column}, 1, 26) ELSE {column} END"
    )


def upgrade() -> None:
    if op.get_context().dialect.name != "sqlite":
        return
    sets = ", ".join(f"{c} = {_normalised(c)}" for c in COLUMNS)
    where = " OR ".join(f"{c} GLOB '*+00:00'" for c in COLUMNS)
    op.execute(f"UPDATE ledger SET {sets} WHERE {where}")


def downgrade() -> None:
    pass
