"""search_document and search_word for the PostgreSQL search backend

Revision ID: c4f2a9e1d7b3
Revises: b7e41c2d9a10
Create Date: 2026-12-06 06:30:00

On PostgreSQL the terms are a tsvector with a GIN index; on SQLite the same tables are
created with a text column and a plain index and stay empty (the postgres search backend
needs PostgreSQL; SQLite installations search with Whoosh).
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = "c4f2a9e1d7b3"
down_revision = "b7e41c2d9a10"
branch_labels = None
depends_on = None

StringList = sa.JSON().with_variant(postgresql.ARRAY(sa.Text()), "postgresql")
TermVector = sa.Text().with_variant(postgresql.TSVECTOR(), "postgresql")


def upgrade():
    op.create_table(
        "search_document",
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("practice_id", sa.String(length=36), nullable=False),
        sa.Column("version", sa.String(length=20), nullable=False),
        sa.Column("latest", sa.Boolean(), nullable=False),
        sa.Column("revision_id", sa.Integer(), nullable=False),
        sa.Column("stamp", sa.String(length=16), nullable=False),
        sa.Column("period_end", sa.Integer(), nullable=False),
        sa.Column("facets", StringList, nullable=False),
        sa.Column("words", StringList, nullable=False),
        sa.Column("terms", TermVector, nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_search_document")),
    )
    with op.batch_alter_table("search_document", schema=None) as batch_op:
        batch_op.create_index(
            "ix_search_document_latest_version", ["latest", "version"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_search_document_practice_id"), ["practice_id"], unique=False
        )
        batch_op.create_index(
            "ix_search_document_terms", ["terms"], unique=False, postgresql_using="gin"
        )

    op.create_table(
        "search_word",
        sa.Column("word", sa.String(length=100), nullable=False),
        sa.Column("documents", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("word", name=op.f("pk_search_word")),
    )
    if op.get_bind().dialect.name == "postgresql":
        # "Meinten Sie …?" compares words by edit distance (trusted since PostgreSQL 13).
        op.execute("CREATE EXTENSION IF NOT EXISTS fuzzystrmatch")


def downgrade():
    op.drop_table("search_word")
    with op.batch_alter_table("search_document", schema=None) as batch_op:
        batch_op.drop_index("ix_search_document_terms", postgresql_using="gin")
        batch_op.drop_index(batch_op.f("ix_search_document_practice_id"))
        batch_op.drop_index("ix_search_document_latest_version")

    op.drop_table("search_document")
