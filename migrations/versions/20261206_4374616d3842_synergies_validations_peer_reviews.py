"""synergy judgements, good-practice validations, peer reviews

Revision ID: 4374616d3842
Revises: c4f1a7e2b9d3
Create Date: 2026-12-06 06:16:52.930177

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '4374616d3842'
down_revision = "c4f1a7e2b9d3"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('synergy_judgement',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('a_type', sa.String(length=20), nullable=False),
    sa.Column('a_id', sa.String(length=60), nullable=False),
    sa.Column('b_type', sa.String(length=20), nullable=False),
    sa.Column('b_id', sa.String(length=60), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('region', sa.String(length=9), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('judged_by_id', sa.Integer(), nullable=True),
    sa.Column('judged_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('open','confirmed','dismissed')", name=op.f('ck_synergy_judgement_status')),
    sa.ForeignKeyConstraint(['judged_by_id'], ['user_account.id'], name=op.f('fk_synergy_judgement_judged_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_synergy_judgement')),
    sa.UniqueConstraint('kind', 'a_id', 'b_id', 'subject', 'region', name='uq_synergy_judgement')
    )
    op.create_table('peer_review',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('practice_id', sa.String(length=36), nullable=False),
    sa.Column('revision_id', sa.Integer(), nullable=False),
    sa.Column('municipality_key', sa.String(length=9), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('opened_by_id', sa.Integer(), nullable=True),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('synthesis', sa.Text(), nullable=True),
    sa.Column('synthesis_by_id', sa.Integer(), nullable=True),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('open','published')", name=op.f('ck_peer_review_status')),
    sa.ForeignKeyConstraint(['municipality_key'], ['municipality.key'], name=op.f('fk_peer_review_municipality_key_municipality')),
    sa.ForeignKeyConstraint(['opened_by_id'], ['user_account.id'], name=op.f('fk_peer_review_opened_by_id_user_account')),
    sa.ForeignKeyConstraint(['revision_id'], ['revision.id'], name=op.f('fk_peer_review_revision_id_revision')),
    sa.ForeignKeyConstraint(['synthesis_by_id'], ['user_account.id'], name=op.f('fk_peer_review_synthesis_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_peer_review'))
    )
    with op.batch_alter_table('peer_review', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_peer_review_municipality_key'), ['municipality_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_peer_review_practice_id'), ['practice_id'], unique=False)

    op.create_table('practice_validation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('practice_id', sa.String(length=36), nullable=False),
    sa.Column('revision_id', sa.Integer(), nullable=False),
    sa.Column('municipality_key', sa.String(length=9), nullable=False),
    sa.Column('rubric_version', sa.String(length=20), nullable=False),
    sa.Column('marks', sa.JSON(), nullable=False),
    sa.Column('justification', sa.Text(), nullable=False),
    sa.Column('verdict', sa.String(length=20), nullable=False),
    sa.Column('validated_by_id', sa.Integer(), nullable=True),
    sa.Column('validated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("verdict IN ('validated','not_validated')", name=op.f('ck_practice_validation_verdict')),
    sa.ForeignKeyConstraint(['municipality_key'], ['municipality.key'], name=op.f('fk_practice_validation_municipality_key_municipality')),
    sa.ForeignKeyConstraint(['revision_id'], ['revision.id'], name=op.f('fk_practice_validation_revision_id_revision')),
    sa.ForeignKeyConstraint(['validated_by_id'], ['user_account.id'], name=op.f('fk_practice_validation_validated_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_practice_validation'))
    )
    with op.batch_alter_table('practice_validation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_practice_validation_municipality_key'), ['municipality_key'], unique=False)
        batch_op.create_index('ix_practice_validation_practice', ['practice_id', 'validated_at'], unique=False)

    op.create_table('peer_review_comment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('peer_review_id', sa.Integer(), nullable=False),
    sa.Column('municipality_key', sa.String(length=9), nullable=False),
    sa.Column('effective', sa.Text(), nullable=False),
    sa.Column('objectives', sa.Text(), nullable=False),
    sa.Column('transfer', sa.Text(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['user_account.id'], name=op.f('fk_peer_review_comment_author_id_user_account')),
    sa.ForeignKeyConstraint(['municipality_key'], ['municipality.key'], name=op.f('fk_peer_review_comment_municipality_key_municipality')),
    sa.ForeignKeyConstraint(['peer_review_id'], ['peer_review.id'], name=op.f('fk_peer_review_comment_peer_review_id_peer_review'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_peer_review_comment')),
    sa.UniqueConstraint('peer_review_id', 'municipality_key', name='uq_peer_review_comment')
    )
    with op.batch_alter_table('peer_review_comment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_peer_review_comment_peer_review_id'), ['peer_review_id'], unique=False)

    op.create_table('peer_review_invitation',
    sa.Column('peer_review_id', sa.Integer(), nullable=False),
    sa.Column('municipality_key', sa.String(length=9), nullable=False),
    sa.Column('invited_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['municipality_key'], ['municipality.key'], name=op.f('fk_peer_review_invitation_municipality_key_municipality')),
    sa.ForeignKeyConstraint(['peer_review_id'], ['peer_review.id'], name=op.f('fk_peer_review_invitation_peer_review_id_peer_review'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('peer_review_id', 'municipality_key', name=op.f('pk_peer_review_invitation'))
    )


def downgrade():
    op.drop_table('peer_review_invitation')
    with op.batch_alter_table('peer_review_comment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_peer_review_comment_peer_review_id'))

    op.drop_table('peer_review_comment')
    with op.batch_alter_table('practice_validation', schema=None) as batch_op:
        batch_op.drop_index('ix_practice_validation_practice')
        batch_op.drop_index(batch_op.f('ix_practice_validation_municipality_key'))

    op.drop_table('practice_validation')
    with op.batch_alter_table('peer_review', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_peer_review_practice_id'))
        batch_op.drop_index(batch_op.f('ix_peer_review_municipality_key'))

    op.drop_table('peer_review')
    op.drop_table('synergy_judgement')
