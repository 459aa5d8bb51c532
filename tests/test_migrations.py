"""Migrations (SECURITY.md E): one head; from an empty database ``upgrade`` reaches it; the
models and the migrations agree; ``downgrade`` to base works.

Runs on the configured database: SQLite by default, PostgreSQL when OMK_DATABASE_URL points
there (then in a throwaway schema, created and dropped here, so CI needs no second database).
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

import omk.models  # noqa: F401 - every table on the metadata
from omk import create_app
from omk.extensions import Base, db
from tests.conftest import test_settings as settings_for_tests

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def _script() -> ScriptDirectory:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(config)


@pytest.fixture
def keep_logging() -> Iterator[None]:
    """Alembic's env.py runs logging.fileConfig, which disables every existing logger and
    replaces the root handlers; put everything back for the tests that follow."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    loggers = {
        name: (lg.disabled, lg.level)
        for name, lg in logging.root.manager.loggerDict.items()
        if isinstance(lg, logging.Logger)
    }
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, lg in logging.root.manager.loggerDict.items():
        if isinstance(lg, logging.Logger):
            lg.disabled, lg.level = loggers.get(name, (False, logging.NOTSET))


@pytest.fixture
def empty_database(tmp_path: Path) -> Iterator[str]:
    """The URL of an empty database: a new SQLite file, or a new PostgreSQL schema."""
    url = os.environ.get("OMK_TEST_DATABASE_URL") or os.environ.get("OMK_DATABASE_URL") or ""
    if not url.startswith("postgresql"):
        yield f"sqlite:///{tmp_path / 'migrations.sqlite3'}"
        return
    schema = f"omk_mig_{uuid.uuid4().hex[:10]}"
    server = create_engine(url)
    with server.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        # Only the new schema: with public on the path, PostgreSQL's inspector would list
        # (and Alembic compare) the tables other tests keep in public.
        options = f"-csearch_path={schema}"
        yield (
            make_url(url)
            .update_query_dict({"options": options})
            .render_as_string(hide_password=False)
        )
    finally:
        with server.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        server.dispose()


@pytest.fixture
def migration_app(tmp_path: Path, empty_database: str, keep_logging: None) -> Iterator[Flask]:
    app = create_app(settings_for_tests(tmp_path, empty_database))
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def test_there_is_a_single_head() -> None:
    heads = _script().get_heads()
    assert len(heads) == 1, f"several Alembic heads, merge them: {heads}"


def test_every_revision_file_is_date_prefixed() -> None:
    for path in (MIGRATIONS / "versions").glob("*.py"):
        assert path.name[:8].isdigit() and path.name[8] == "_", path.name


def _tables() -> set[str]:
    return set(inspect(db.engine).get_table_names()) - {"alembic_version"}


def test_upgrade_from_empty_matches_the_models_and_downgrades(migration_app: Flask) -> None:
    assert _tables() == set()
    upgrade()
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn)
        assert context.get_current_revision() == _script().get_current_head()
    assert _tables() == {t.name for t in Base.metadata.sorted_tables}

    with db.engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "compare_server_default": False}
        )
        diff = compare_metadata(context, Base.metadata)
    assert diff == [], "models and migrations differ; add a revision:\n" + "\n".join(map(str, diff))

    downgrade(revision="base")
    assert _tables() == set()
    upgrade()  # and up again: the downgrades left nothing behind that blocks it
    assert _tables() == {t.name for t in Base.metadata.sorted_tables}


# --- data migrations -------------------------------------------------------------------------

DENOMINATORS_BEFORE = "faf08568475b"
SEED_AT = "2026-12-01 10:00:00"


def _seed_published_report() -> None:
    """A register of one Gemeinde, a report with a published and a later submitted revision."""
    statements = [
        "INSERT INTO municipality (key, level, name, land_key, population, is_kreisfrei,"
        " is_current, updated_at) VALUES ('05', 'land', 'NRW', '05', 582760, false, true, :now),"
        " ('05113000', 'gemeinde', 'Essen, Stadt', '05', 582760, true, true, :now)",
        "INSERT INTO cycle (id, code, title, period_start, period_end, deadline, objectives,"
        " template_version, status, created_at) VALUES (1, '2025', 'Runde', '2025-01-01',"
        " '2025-12-31', '2026-03-31', '', '1', 'open', :now)",
        "INSERT INTO report (id, cycle_id, municipality_key, state, template_version,"
        " edit_version, revision_count, is_correction, created_at, updated_at,"
        " has_synthetic_indicators)"
        " VALUES (1, 1, '05113000', 'submitted', '1', 3, 2, true, :now, :now, false)",
        "INSERT INTO revision (id, report_id, number, template_version, submitted_at, outcome)"
        " VALUES (1, 1, 1, '1', :now, 'accepted'), (2, 1, 2, '1', :now, NULL)",
        "UPDATE report SET published_revision_id = 1",
    ]
    with db.engine.begin() as conn:
        for statement in statements:
            conn.execute(text(statement), {"now": SEED_AT})


def test_existing_published_revisions_get_the_current_population(migration_app: Flask) -> None:
    upgrade(revision=DENOMINATORS_BEFORE)
    _seed_published_report()
    upgrade()
    with db.engine.connect() as conn:
        rows = conn.execute(
            text("SELECT id, population, population_as_of FROM revision ORDER BY id")
        ).all()
        imports = conn.execute(text("SELECT reference_date FROM register_import")).all()
    published, in_review = rows
    assert published[1] == 582760
    assert published[2] in (date(2020, 12, 31), "2020-12-31")
    assert in_review[1] is None and in_review[2] is None  # not published: not stamped
    assert [row[0] for row in imports] in ([date(2020, 12, 31)], ["2020-12-31"])


def test_an_empty_database_records_no_import(migration_app: Flask) -> None:
    upgrade()
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM register_import")).scalar() == 0
