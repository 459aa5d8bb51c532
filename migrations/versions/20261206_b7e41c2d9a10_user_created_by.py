"""who created each account

Revision ID: b7e41c2d9a10
Revises: 5e7a1c9b2d40
Create Date: 2026-12-06 04:25:00

Existing accounts get NULL: created on the command line, or unknown.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'b7e41c2d9a10'
down_revision = '5e7a1c9b2d40'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('created_by_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_user_account_created_by_id'), ['created_by_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_user_account_created_by_id_user_account'), 'user_account', ['created_by_id'], ['id'], ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_user_account_created_by_id_user_account'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_user_account_created_by_id'))
        batch_op.drop_column('created_by_id')
