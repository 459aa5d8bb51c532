"""Fixtures of the security suite: isolated requests, the world, the app's endpoints."""

from __future__ import annotations

import atexit
import shutil
import tempfile
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path

import pytest
from flask import Flask

from omk import content, create_app
from omk.models import User
from omk.policy import Action, permission
from tests.conftest import test_settings
from tests.security.world import IsolatedClient, World, build_world, routes

_load_content_once = cache(content.load_content)


@pytest.fixture(autouse=True)
def content_parsed_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Parsing content/ (YAML) is most of an app's start-up, and this suite starts many apps
    over the same content: parse it once per run."""
    monkeypatch.setattr(content, "load_content", _load_content_once)


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Iterator[Flask]:
    """The test app, with requests isolated from the test's app context (see IsolatedClient)."""
    app = make_app()
    app.test_client_class = IsolatedClient
    with app.app_context():
        yield app


@pytest.fixture
def world(app: Flask, make_user: Callable[..., User]) -> World:
    return build_world(app, make_user)


#: What the test-only failing route puts into its exception: none of it may reach the page.
BOOM_SECRETS = ("SELECT password_hash FROM user_account", "/srv/omk/geheim.py", "RuntimeError")


@pytest.fixture
def boom_app(make_app: Callable[..., Flask]) -> Flask:
    """A test app with a route that fails (for the 500 page), registered before any request."""
    app = make_app()
    app.test_client_class = IsolatedClient

    @app.get("/_test/fehler")
    @app.get("/api/v1/_test/fehler")
    @permission(Action.PUBLIC)
    def boom() -> str:
        raise RuntimeError(f"{BOOM_SECRETS[0]} failed in {BOOM_SECRETS[1]}")

    return app


@cache
def collection_app() -> Flask:
    """An app built only to read its url_map while collecting tests (no database used)."""
    folder = Path(tempfile.mkdtemp(prefix="omk-collect-"))
    atexit.register(shutil.rmtree, folder, True)
    return create_app(test_settings(folder, f"sqlite:///{folder / 'unused.sqlite3'}"))


def all_endpoints() -> list[str]:
    return sorted({rule.endpoint for rule in routes(collection_app())})


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrize ``endpoint`` with every endpoint of the app (routes added later included)."""
    if "endpoint" in metafunc.fixturenames:
        metafunc.parametrize("endpoint", all_endpoints())
