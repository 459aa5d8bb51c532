"""municipality names as searched: case-folded, indexed

Revision ID: c4f1a7e2b9d3
Revises: c4f2a9e1d7b3
Create Date: 2026-12-06 06:20:00

The name search compares ``search_name`` (the name case-folded, whitespace squeezed) instead of
lower(name) computed per row, through an index on (is_current, level, search_name) that
answers the search without reading the table (about 2 ms for the 16,068 entries). Filled here from the
names already loaded; the register import keeps it in step.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'c4f1a7e2b9d3'
down_revision = "c4f2a9e1d7b3"
branch_labels = None
depends_on = None


def _search_name(text: str) -> str:
    # a copy of omk.models.register.search_name_of as of this revision
    return " ".join(text.casefold().split())


def upgrade():
    with op.batch_alter_table('municipality', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('search_name', sa.String(length=200), server_default='', nullable=False)
        )
        batch_op.create_index(
            'ix_municipality_current_level_search', ['is_current', 'level', 'search_name'], unique=False
        )
    conn = op.get_bind()
    table = sa.table('municipality', sa.column('key', sa.String), sa.column('name', sa.String),
                     sa.column('search_name', sa.String))
    rows = conn.execute(sa.select(table.c.key, table.c.name)).all()
    if rows:
        conn.execute(
            table.update().where(table.c.key == sa.bindparam('k')).values(search_name=sa.bindparam('s')),
            [{'k': key, 's': _search_name(name)} for key, name in rows],
        )
        # statistics, so the planner prefers the selective indexes over is_current
        conn.execute(sa.text('ANALYZE municipality'))


def downgrade():
    with op.batch_alter_table('municipality', schema=None) as batch_op:
        batch_op.drop_index('ix_municipality_current_level_search')
        batch_op.drop_column('search_name')
