"""search_document.tail: the exact share of a lexeme found only after title and summary

Revision ID: c9d3e7a1f5b2
Revises: a4c8e1f6b2d9
Create Date: 2026-12-07 14:10:00

``tail`` holds each lexeme that a document has only in its body or actors, at least twice,
with as many positions as it has there, at most four. Those positions all weigh the same, so
``ts_rank`` over the tail is the lexeme's exact share of the score (a lower bound from four
on), and a lexeme in neither ``head`` nor ``tail`` is there once: the postgres backend bounds
a document's score tightly without reading its toasted ``terms``. Existing rows are filled
from their terms on PostgreSQL (the SQL equal of ``pg_backend.document_vectors``); on SQLite
the table stays empty.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = "c9d3e7a1f5b2"
down_revision = "a4c8e1f6b2d9"
branch_labels = None
depends_on = None

TermVector = sa.Text().with_variant(postgresql.TSVECTOR(), "postgresql")

#: The tail of a row's terms (see the module docstring), as ``document_vectors`` writes it.
FILL = (
    "UPDATE search_document AS d SET tail = coalesce(("
    "SELECT CAST(string_agg("
    "'''' || replace(replace(u.lexeme, '\\', '\\\\'), '''', '''''') || ''':'"
    " || array_to_string(ARRAY(SELECT generate_series(1, least(array_length(u.positions, 1), 4))),"
    " ','), ' ') AS tsvector)"
    " FROM unnest(d.terms) AS u"
    " WHERE array_length(u.positions, 1) > 1 AND NOT (u.weights && ARRAY['A', 'B'])"
    "), CAST('' AS tsvector))"
)


def upgrade():
    with op.batch_alter_table("search_document", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("tail", TermVector, nullable=False, server_default=sa.text("''"))
        )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(FILL)


def downgrade():
    with op.batch_alter_table("search_document", schema=None) as batch_op:
        batch_op.drop_column("tail")
