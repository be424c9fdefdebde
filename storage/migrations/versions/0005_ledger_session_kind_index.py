"""ledger (session_id, kind): a report's sign-offs of thousands of sessions read from the
index alone, not every evidence row of those sessions (it replaces the session_id index,
its prefix)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02

"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_ledger_session_id_kind", "ledger", ["session_id", "kind"])
    op.drop_index("ix_ledger_session_id", table_name="ledger")


def downgrade() -> None:
    op.create_index("ix_ledger_session_id", "ledger", ["session_id"])
    op.drop_index("ix_ledger_session_id_kind", table_name="ledger")
