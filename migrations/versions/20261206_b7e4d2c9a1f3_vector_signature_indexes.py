"""index the stored vectors by model and time (the per-search "has the store changed?" query)

Revision ID: b7e4d2c9a1f3
Revises: a9d3e6f1c2b8
Create Date: 2026-12-06 21:30:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = 'b7e4d2c9a1f3'
down_revision = 'a9d3e6f1c2b8'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        'ix_practice_vector_model_created_at', 'practice_vector', ['model', 'created_at']
    )
    op.create_index(
        'ix_practice_passage_vector_model_created_at',
        'practice_passage_vector',
        ['model', 'created_at'],
    )


def downgrade():
    op.drop_index('ix_practice_passage_vector_model_created_at', table_name='practice_passage_vector')
    op.drop_index('ix_practice_vector_model_created_at', table_name='practice_vector')
