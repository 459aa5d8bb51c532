"""synergy_snapshot: one list per cycle and kind for every language (no locale column)

Revision ID: e7a3c5d9b1f4
Revises: d4f8b2c6e1a7
Create Date: 2026-12-07 21:10:00

A stored list now serves every language of the interface: a suggestion's reason is stored as
facts and put in words when shown, and municipality names that read differently in another
language are stored beside the list. The stored lists are derived data, computed again from
the published reports by the outbox consumer ``synergies``, ``omk synergies sync`` or the
first request that may: both tables are emptied rather than converted.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "e7a3c5d9b1f4"
down_revision = "d4f8b2c6e1a7"
branch_labels = None
depends_on = None


def _emptied() -> None:
    op.execute("DELETE FROM synergy_snapshot_block")
    op.execute("DELETE FROM synergy_snapshot")
    op.drop_index("ix_synergy_snapshot_list", table_name="synergy_snapshot")


def upgrade() -> None:
    _emptied()
    with op.batch_alter_table("synergy_snapshot") as batch:
        batch.drop_column("locale")
    op.create_index("ix_synergy_snapshot_list", "synergy_snapshot", ["cycle_id", "kind"])


def downgrade() -> None:
    _emptied()
    with op.batch_alter_table("synergy_snapshot") as batch:
        batch.add_column(sa.Column("locale", sa.String(length=10), nullable=False))
    op.create_index("ix_synergy_snapshot_list", "synergy_snapshot", ["cycle_id", "kind", "locale"])
