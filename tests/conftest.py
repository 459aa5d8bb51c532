"""Fixtures: a database rolled back after each test, an index per test, a small register,
factories for users.

The suite runs on SQLite by default; with ``OMK_DATABASE_URL`` (or ``OMK_TEST_DATABASE_URL``)
pointing at PostgreSQL, on that. The schema is created once per session; each test runs in a
transaction on one connection that is rolled back at its end (tests/rollback.py). A test
marked ``fresh_db`` (a live server, a second connection, a crash, the PostgreSQL search
backend) gets a database of its own instead: a new SQLite file, or emptied PostgreSQL tables.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, has_app_context
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from werkzeug.test import TestResponse

from omk import create_app
from omk.extensions import Base, db
from omk.models import User
from omk.services import accounts
from tests.rollback import RollbackDatabase, rolled_back

DATA = Path(__file__).parent / "data"
SAMPLE_REGISTER = DATA / "register-sample.csv"
FULL_REGISTER = (
    Path(__file__).resolve().parent.parent / "content" / "register" / "AuszugGV4QAktuell.csv"
)
PASSWORD = "korrekt-pferd-batterie-heftklammer"


def _external_database_url() -> str | None:
    url = os.environ.get("OMK_TEST_DATABASE_URL") or os.environ.get("OMK_DATABASE_URL")
    return url if url and url.startswith("postgresql") else None


class FreshContextClient(FlaskClient):
    """A test client whose every request runs in an app context of its own, as in production.

    The ``app`` fixture keeps an app context pushed for the test body; without this, requests
    would reuse it and share ``g`` (Flask-Login's cached user) and the database session.
    """

    def open(self, *args: Any, **kwargs: Any) -> TestResponse:
        with self.application.app_context():
            response = super().open(*args, **kwargs)
            # Read the body, then close the response as a WSGI server does after sending it:
            # work scheduled for after the response (the search index) runs now.
            response.get_data()
            response.close()
        # End the test body's read transaction, so it sees what the request committed.
        if has_app_context():
            db.session.rollback()
        return response


def search_backends() -> list[str]:
    """The search backends a test marked ``search_backends`` runs with: Whoosh always, and
    the PostgreSQL backend too when the suite runs on PostgreSQL."""
    return ["whoosh", "postgres"] if _external_database_url() else ["whoosh"]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "search_backend" in metafunc.fixturenames and metafunc.definition.get_closest_marker(
        "search_backends"
    ):
        metafunc.parametrize("search_backend", search_backends(), indirect=True)


@pytest.fixture
def search_backend(request: pytest.FixtureRequest) -> str:
    """The app's search backend (OMK_SEARCH_BACKEND): whoosh unless a test marked
    ``search_backends`` is parametrised with postgres too."""
    return str(getattr(request, "param", "whoosh"))


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str | None]:
    """The PostgreSQL URL of this run (schema created once), or None for SQLite."""
    url = _external_database_url()
    if url is None:
        yield None
        return
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    import omk.models  # noqa: F401 - register every table on the metadata

    Base.metadata.create_all(engine)
    engine.dispose()
    yield url


def test_settings(tmp_path: Path, database_url: str, **extra: Any) -> dict[str, Any]:
    """Settings of a test app: fast password hashing, mail to files, policy audit on."""
    settings: dict[str, Any] = {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
        "DATABASE_URL": database_url,
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "SEARCH_INDEX": str(tmp_path / "instance" / "search-index"),
        "ARGON2_TIME_COST": 1,
        "ARGON2_MEMORY_COST": 8,
        "WTF_CSRF_ENABLED": False,
        "POLICY_AUDIT": True,
        "MAIL_BACKEND": "file",
        "BASE_URL": "http://localhost",
        # fingerprinted static files are written once per version, shared by every test app
        "STATIC_BUILD_DIR": str(Path(tempfile.gettempdir()) / "omk-test-static-build"),
        "SERVER_NAME": None,
        # the e5 model costs ~1 s per practice on a busy machine: tests that want it say so
        "EMBEDDINGS": "off",
    }
    settings.update(extra)
    return settings


def _reset_postgres(url: str) -> None:
    engine = create_engine(url)
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(scope="session")
def shared_database_url(postgres_url: str | None, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The database the rolled-back tests share: its schema is created once."""
    if postgres_url:
        return postgres_url
    url = f"sqlite:///{tmp_path_factory.mktemp('shared-db') / 'omk-test.sqlite3'}"
    engine = create_engine(url)
    import omk.models  # noqa: F401 - register every table on the metadata

    Base.metadata.create_all(engine)
    engine.dispose()
    return url


#: Folders whose tests all need a database of their own: the security suite compares every
#: table read on a fresh connection (tests/security/world.py), browser tests serve the app
#: from a thread.
FRESH_DB_FOLDERS = ("security", "browser")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        parts = item.path.relative_to(here).parts
        if (parts and parts[0] in FRESH_DB_FOLDERS) or item.get_closest_marker("browser"):
            item.add_marker(pytest.mark.fresh_db)


def needs_fresh_database(request: pytest.FixtureRequest, search_backend: str) -> bool:
    """Whether the test gets a database of its own instead of a rolled-back transaction: it
    is marked ``fresh_db`` (or is a browser test, or in tests/security/), or it runs on the
    PostgreSQL search backend, which writes and reads on connections of its own.
    ``OMK_TEST_FRESH_DB=1`` gives every test a database of its own (to rule the rollback
    out when a test misbehaves, or to measure it)."""
    return (
        os.environ.get("OMK_TEST_FRESH_DB") == "1"
        or search_backend == "postgres"
        or request.node.get_closest_marker("fresh_db") is not None
    )


@pytest.fixture
def make_app(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    postgres_url: str | None,
    search_backend: str,
) -> Iterator[Callable[..., Flask]]:
    """Build an app on an empty database (extra settings as keyword arguments).

    Every app of one test shares that database: a transaction rolled back after the test,
    or (``fresh_db``) a database of its own."""
    apps: list[Flask] = []
    fresh = needs_fresh_database(request, search_backend)
    rollback: RollbackDatabase | None = None
    if not fresh:
        url = request.getfixturevalue("shared_database_url")
    elif postgres_url:
        _reset_postgres(postgres_url)
        url = postgres_url
    else:
        url = f"sqlite:///{tmp_path / 'omk-test.sqlite3'}"

    def build(**extra: Any) -> Flask:
        extra.setdefault("SEARCH_BACKEND", search_backend)
        if rollback is not None and "DATABASE_URL" in extra:
            raise RuntimeError("an app on a database of its own: mark the test fresh_db")
        app = create_app(test_settings(tmp_path, url, **extra))
        app.test_client_class = FreshContextClient
        with app.app_context():
            if rollback is not None:
                rollback.adopt(db.engine)
            elif not postgres_url and not apps:
                Base.metadata.create_all(db.engine)
        apps.append(app)
        return app

    with rolled_back() as database:
        rollback = None if fresh else database
        yield build
    for app in apps:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    if fresh and postgres_url:
        _reset_postgres(postgres_url)  # the rolled-back tests share these tables: leave them empty


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Iterator[Flask]:
    app = make_app()
    with app.app_context():
        yield app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> Any:
    return app.test_cli_runner()


@pytest.fixture
def register(app: Flask) -> None:
    """Load the small register sample (5 Länder, 8 Kreise, 37 Gemeinden)."""
    from omk.services.register_import import import_register

    import_register(SAMPLE_REGISTER)


@pytest.fixture
def make_user(app: Flask, register: None) -> Callable[..., User]:
    """Create an account: make_user('reporter', municipality='05113000')."""
    counter = {"n": 0}

    def build(
        role: str = "staff",
        *,
        email: str | None = None,
        municipality: str | None = None,
        scope: str | None = None,
        password: str = PASSWORD,
        name: str = "",
    ) -> User:
        counter["n"] += 1
        email = email or f"{role}{counter['n']}@example.org"
        return accounts.create_user(
            None,
            email,
            role,
            name=name,
            password=password,
            municipality_key=municipality,
            scope=scope,
        )

    return build


def login(client: FlaskClient, user: User | str, password: str = PASSWORD) -> Any:
    """Log in through the real form; returns the response."""
    email = user if isinstance(user, str) else user.email
    return client.post("/anmelden", data={"email": email, "password": password})


def csrf_token(html: str) -> str:
    """The CSRF token of the first form in a page."""
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, "page has no CSRF token"
    return match.group(1)
