"""the comparison's stored figures (published_figure) and what they were built for

Revision ID: f1c7d2a9b5e3
Revises: a6c3e9f1b2d4
Create Date: 2026-12-06 10:00:00

Derived data kept by the outbox consumer ``compare``; empty after the upgrade (the consumer's
first run or ``omk compare rebuild`` fills it; until then comparisons read the revisions).
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'f1c7d2a9b5e3'
down_revision = 'a6c3e9f1b2d4'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('published_figure',
    sa.Column('code', sa.String(length=80), nullable=False),
    sa.Column('cycle_id', sa.Integer(), nullable=False),
    sa.Column('municipality_key', sa.String(length=9), nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('revision_id', sa.Integer(), nullable=False),
    sa.Column('raw', sa.Float(), nullable=True),
    sa.Column('population', sa.Integer(), nullable=True),
    sa.Column('allocated', sa.Float(), nullable=True),
    sa.Column('value', sa.Float(), nullable=True),
    sa.PrimaryKeyConstraint('code', 'cycle_id', 'municipality_key', name=op.f('pk_published_figure')),
    sqlite_with_rowid=False,
    )
    with op.batch_alter_table('published_figure', schema=None) as batch_op:
        batch_op.create_index('ix_published_figure_report_id', ['report_id'], unique=False)

    op.create_table('published_figure_state',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('catalogue', sa.String(length=64), nullable=False),
    sa.Column('built_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_published_figure_state'))
    )


def downgrade():
    op.drop_table('published_figure_state')
    with op.batch_alter_table('published_figure', schema=None) as batch_op:
        batch_op.drop_index('ix_published_figure_report_id')
    op.drop_table('published_figure')
