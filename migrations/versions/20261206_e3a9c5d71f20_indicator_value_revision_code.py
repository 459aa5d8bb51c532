"""indicator values by revision and code: the comparison's covering index

Revision ID: e3a9c5d71f20
Revises: 4374616d3842
Create Date: 2026-12-06 07:50:00

The comparison reads, per published revision, only the wanted indicators' values; an index on
(revision_id, code, value) answers that without reading the table (SQLite: a covering index;
PostgreSQL: an index-only scan).
"""
from alembic import op

# revision identifiers, used by Alembic.
revision = 'e3a9c5d71f20'
down_revision = '4374616d3842'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('indicator_value', schema=None) as batch_op:
        batch_op.create_index(
            'ix_indicator_value_revision_code', ['revision_id', 'code', 'value'], unique=False
        )


def downgrade():
    with op.batch_alter_table('indicator_value', schema=None) as batch_op:
        batch_op.drop_index('ix_indicator_value_revision_code')
