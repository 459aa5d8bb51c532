"""synthesis drafts and published versions

Revision ID: a6c3e9f1b2d4
Revises: e3a9c5d71f20
Create Date: 2026-12-06 09:40:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'a6c3e9f1b2d4'
down_revision = 'e3a9c5d71f20'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('synthesis_draft',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cycle_id', sa.Integer(), nullable=False),
    sa.Column('region', sa.String(length=9), nullable=False),
    sa.Column('introduction', sa.Text(), nullable=False),
    sa.Column('comments', sa.JSON(), nullable=False),
    sa.Column('names_shown', sa.Boolean(), nullable=False),
    sa.Column('document', sa.JSON(), nullable=True),
    sa.Column('document_counts_only', sa.JSON(), nullable=True),
    sa.Column('generated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('generated_by_id', sa.Integer(), nullable=True),
    sa.Column('edit_version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['cycle_id'], ['cycle.id'], name=op.f('fk_synthesis_draft_cycle_id_cycle')),
    sa.ForeignKeyConstraint(['generated_by_id'], ['user_account.id'], name=op.f('fk_synthesis_draft_generated_by_id_user_account')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['user_account.id'], name=op.f('fk_synthesis_draft_updated_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_synthesis_draft')),
    sa.UniqueConstraint('cycle_id', 'region', name='uq_synthesis_draft')
    )
    with op.batch_alter_table('synthesis_draft', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_synthesis_draft_cycle_id'), ['cycle_id'], unique=False)

    op.create_table('synthesis_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cycle_id', sa.Integer(), nullable=False),
    sa.Column('region', sa.String(length=9), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('document', sa.JSON(), nullable=False),
    sa.Column('introduction', sa.Text(), nullable=False),
    sa.Column('comments', sa.JSON(), nullable=False),
    sa.Column('names_shown', sa.Boolean(), nullable=False),
    sa.Column('generated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('published_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('number >= 1', name=op.f('ck_synthesis_version_number')),
    sa.ForeignKeyConstraint(['cycle_id'], ['cycle.id'], name=op.f('fk_synthesis_version_cycle_id_cycle')),
    sa.ForeignKeyConstraint(['published_by_id'], ['user_account.id'], name=op.f('fk_synthesis_version_published_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_synthesis_version')),
    sa.UniqueConstraint('cycle_id', 'region', 'number', name='uq_synthesis_version')
    )
    with op.batch_alter_table('synthesis_version', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_synthesis_version_cycle_id'), ['cycle_id'], unique=False)


def downgrade():
    with op.batch_alter_table('synthesis_version', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_synthesis_version_cycle_id'))

    op.drop_table('synthesis_version')
    with op.batch_alter_table('synthesis_draft', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_synthesis_draft_cycle_id'))

    op.drop_table('synthesis_draft')
