"""search_document.num: a row number for the per-server facet matrix of the postgres backend

Revision ID: d8e2f4a6b1c9
Revises: f1c7d2a9b5e3
Create Date: 2026-12-06 19:45:00

Rows of search_document are never updated (a lineage's rows are deleted and inserted anew, a
reindex fills a fresh table), so a row's number names its facet values for as long as the
table exists: each application server keeps them in memory and counts facets there
(``omk.search.pg_facets``). On PostgreSQL an identity column numbers the existing rows; on
SQLite the table stays empty (the postgres backend needs PostgreSQL).
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "d8e2f4a6b1c9"
down_revision = "f1c7d2a9b5e3"
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.add_column(
            "search_document",
            sa.Column("num", sa.Integer(), sa.Identity(), nullable=False),
        )
        return
    with op.batch_alter_table("search_document", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("num", sa.Integer(), nullable=False, server_default=sa.text("0"))
        )


def downgrade():
    with op.batch_alter_table("search_document", schema=None) as batch_op:
        batch_op.drop_column("num")
