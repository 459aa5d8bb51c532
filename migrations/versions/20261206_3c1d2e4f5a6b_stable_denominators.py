"""stable denominators: register imports with their Gebietsstand; population on revisions

Revision ID: 3c1d2e4f5a6b
Revises: 44574badb304
Create Date: 2026-12-06 03:30:00

Adds ``register_import`` (one row per ``omk municipalities import``, with the extract's
Gebietsstand) and ``revision.population`` / ``revision.population_as_of``, the denominator a
published revision keeps. Existing published revisions are filled from the current register.
Registers imported before this revision did not record a date; the only one the app has
named so far (in its footer) is the shipped extract, Gebietsstand 31.12.2020, so a database
that already holds a register gets one import row with that date.
"""
from datetime import UTC, date, datetime

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '3c1d2e4f5a6b'
down_revision = '44574badb304'
branch_labels = None
depends_on = None

#: The Gebietsstand of the register shipped in content/register (and named in the footer).
SHIPPED_REFERENCE_DATE = date(2020, 12, 31)


def upgrade():
    op.create_table(
        'register_import',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('imported_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('reference_date', sa.Date(), nullable=True),
        sa.Column('source', sa.String(length=300), nullable=False),
        sa.Column('inserted', sa.Integer(), nullable=False),
        sa.Column('updated', sa.Integer(), nullable=False),
        sa.Column('retired', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_register_import')),
    )
    with op.batch_alter_table('revision', schema=None) as batch_op:
        batch_op.add_column(sa.Column('population', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('population_as_of', sa.Date(), nullable=True))

    bind = op.get_bind()
    has_register = bind.execute(sa.text("SELECT 1 FROM municipality LIMIT 1")).first()
    if has_register is None:
        return
    register_import = sa.table(
        'register_import',
        sa.column('imported_at', sa.DateTime(timezone=True)),
        sa.column('reference_date', sa.Date()),
        sa.column('source', sa.String()),
        sa.column('inserted', sa.Integer()),
        sa.column('updated', sa.Integer()),
        sa.column('retired', sa.Integer()),
    )
    op.bulk_insert(
        register_import,
        [
            {
                'imported_at': datetime.now(UTC),
                'reference_date': SHIPPED_REFERENCE_DATE,
                'source': 'vor der Erfassung des Gebietsstands geladen',
                'inserted': 0,
                'updated': 0,
                'retired': 0,
            }
        ],
    )
    bind.execute(
        sa.text(
            "UPDATE revision SET population_as_of = :stand, population = ("
            " SELECT m.population FROM report r JOIN municipality m"
            " ON m.key = r.municipality_key WHERE r.id = revision.report_id)"
            " WHERE id IN (SELECT published_revision_id FROM report"
            " WHERE published_revision_id IS NOT NULL)"
        ),
        {'stand': SHIPPED_REFERENCE_DATE},
    )


def downgrade():
    with op.batch_alter_table('revision', schema=None) as batch_op:
        batch_op.drop_column('population_as_of')
        batch_op.drop_column('population')
    op.drop_table('register_import')
