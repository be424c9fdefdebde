"""ledger (group_id, kind, at) in place of (group_id, person_id, at): a group's presence
in a time window (every records recompute, reconcile, the guest matching) is read from
its own index range, not every row the group has; and the ledger's writes, whose `at`
grows, land at the end of a few (group, kind) ranges instead of one per person
(a person's own rows keep the (person_id, at) index)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02

"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_ledger_group_id_kind_at", "ledger", ["group_id", "kind", "at"])
    op.drop_index("ix_ledger_group_id_person_id_at", table_name="ledger")


def downgrade() -> None:
    op.create_index(
        "ix_ledger_group_id_person_id_at", "ledger", ["group_id", "person_id", "at"]
    )
    op.drop_index("ix_ledger_group_id_kind_at", table_name="ledger")
