"""search_document.head and .length: bound ts_rank without reading the terms

Revision ID: e5b9c3d7a2f1
Revises: d8e2f4a6b1c9
Create Date: 2026-12-06 19:35:00

``head`` holds the title's and summary's positions of the terms (weights A and B), small
enough to stay in the row; ``length`` the terms' number of positions (``ts_rank``'s length
normalisation). Together they bound each document's score from below and above, so the
postgres backend ranks exactly (reading the toasted ``terms``) only the documents that can
reach the page. Existing rows are filled from their terms on PostgreSQL; on SQLite the table
stays empty.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = "e5b9c3d7a2f1"
down_revision = "d8e2f4a6b1c9"
branch_labels = None
depends_on = None

TermVector = sa.Text().with_variant(postgresql.TSVECTOR(), "postgresql")


def upgrade():
    with op.batch_alter_table("search_document", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("head", TermVector, nullable=False, server_default=sa.text("''"))
        )
        batch_op.add_column(
            sa.Column("length", sa.Integer(), nullable=False, server_default=sa.text("0"))
        )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "UPDATE search_document SET head = ts_filter(terms, '{a,b}'),"
            " length = (SELECT coalesce(sum(coalesce(array_length(positions, 1), 1)), 0)"
            " FROM unnest(terms))"
        )


def downgrade():
    with op.batch_alter_table("search_document", schema=None) as batch_op:
        batch_op.drop_column("length")
        batch_op.drop_column("head")
