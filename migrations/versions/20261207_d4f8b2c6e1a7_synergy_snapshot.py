"""synergy_snapshot, synergy_snapshot_block: each kind's synergy suggestions of a cycle,
stored once computed

Revision ID: d4f8b2c6e1a7
Revises: c9d3e7a1f5b2
Create Date: 2026-12-07 17:40:00

The synergy page and ``GET /api/v1/synergies`` read the suggestions from here; they are
computed by the outbox consumer ``synergies`` after a publication and by
``omk synergies sync`` (cron), never while a reviewer waits. The table starts empty: the
first request, the consumer or ``omk synergies sync`` fills it.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "d4f8b2c6e1a7"
down_revision = "c9d3e7a1f5b2"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "synergy_snapshot",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cycle_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("locale", sa.String(length=10), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["cycle_id"],
            ["cycle.id"],
            name=op.f("fk_synergy_snapshot_cycle_id_cycle"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_synergy_snapshot")),
    )
    op.create_index("ix_synergy_snapshot_list", "synergy_snapshot", ["cycle_id", "kind", "locale"])
    op.create_table(
        "synergy_snapshot_block",
        sa.Column("snapshot_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["snapshot_id"],
            ["synergy_snapshot.id"],
            name=op.f("fk_synergy_snapshot_block_snapshot_id_synergy_snapshot"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("snapshot_id", "number", name=op.f("pk_synergy_snapshot_block")),
    )


def downgrade() -> None:
    op.drop_table("synergy_snapshot_block")
    op.drop_index("ix_synergy_snapshot_list", table_name="synergy_snapshot")
    op.drop_table("synergy_snapshot")
