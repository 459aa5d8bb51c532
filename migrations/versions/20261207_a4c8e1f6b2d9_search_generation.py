"""search_generation and an index on search_document.num: the postgres backend's posting cache

Revision ID: a4c8e1f6b2d9
Revises: b7e4d2c9a1f3
Create Date: 2026-12-07 00:00:00

Each application server keeps decoded posting lists of ``search_document`` (row numbers per
lexeme, ``omk.search.pg_postings``). ``search_generation`` holds one counter the search writer
raises in the same transaction as every change of ``search_document``: a query reads it in its
own snapshot and knows whether rows were added or deleted since the cache last looked. The
index on ``num`` finds the rows added since (``num > :through``) without reading the table.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "a4c8e1f6b2d9"
down_revision = "b7e4d2c9a1f3"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "search_generation",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("generation", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_generation")),
    )
    with op.batch_alter_table("search_document", schema=None) as batch_op:
        batch_op.create_index("ix_search_document_num", ["num"], unique=False)


def downgrade():
    with op.batch_alter_table("search_document", schema=None) as batch_op:
        batch_op.drop_index("ix_search_document_num")
    op.drop_table("search_generation")
