"""stored passage vectors of published practice versions (search by meaning over full text)

Revision ID: a9d3e6f1c2b8
Revises: e5b9c3d7a2f1
Create Date: 2026-12-06 19:55:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'a9d3e6f1c2b8'
down_revision = 'e5b9c3d7a2f1'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('practice_passage_vector',
    sa.Column('practice_id', sa.String(length=36), nullable=False),
    sa.Column('revision_id', sa.Integer(), nullable=False),
    sa.Column('chunk', sa.Integer(), nullable=False),
    sa.Column('model', sa.String(length=60), nullable=False),
    sa.Column('text_hash', sa.String(length=16), nullable=False),
    sa.Column('vector', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('practice_id', 'revision_id', 'chunk', name=op.f('pk_practice_passage_vector'))
    )


def downgrade():
    op.drop_table('practice_passage_vector')
