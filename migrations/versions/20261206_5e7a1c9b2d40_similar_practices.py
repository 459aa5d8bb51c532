"""stored practice vectors and similar practices

Revision ID: 5e7a1c9b2d40
Revises: 9d8eec3126d5
Create Date: 2026-12-06 04:25:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '5e7a1c9b2d40'
down_revision = '9d8eec3126d5'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('practice_vector',
    sa.Column('practice_id', sa.String(length=36), nullable=False),
    sa.Column('revision_id', sa.Integer(), nullable=False),
    sa.Column('model', sa.String(length=60), nullable=False),
    sa.Column('text_hash', sa.String(length=16), nullable=False),
    sa.Column('vector', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('practice_id', 'revision_id', name=op.f('pk_practice_vector'))
    )
    op.create_table('similar_practice',
    sa.Column('practice_id', sa.String(length=36), nullable=False),
    sa.Column('other_id', sa.String(length=36), nullable=False),
    sa.Column('rank', sa.Integer(), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('terms', sa.JSON(), nullable=False),
    sa.Column('reasons', sa.JSON(), nullable=False),
    sa.Column('method', sa.String(length=20), nullable=False),
    sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('practice_id', 'other_id', name=op.f('pk_similar_practice'))
    )


def downgrade():
    op.drop_table('similar_practice')
    op.drop_table('practice_vector')
