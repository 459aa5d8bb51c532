"""Fixtures of the security suite: isolated requests, the world, the app's endpoints."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path

import pytest
from flask import Flask

from omk import create_app
from omk.models import User
from tests.conftest import test_settings
from tests.security.world import IsolatedClient, World, build_world, routes


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


@cache
def collection_app() -> Flask:
    """An app built only to read its url_map while collecting tests (no database used)."""
    folder = Path(tempfile.mkdtemp(prefix="omk-collect-"))
    return create_app(test_settings(folder, f"sqlite:///{folder / 'unused.sqlite3'}"))


def all_endpoints() -> list[str]:
    return sorted({rule.endpoint for rule in routes(collection_app())})


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrize ``endpoint`` with every endpoint of the app (routes added later included)."""
    if "endpoint" in metafunc.fixturenames:
        metafunc.parametrize("endpoint", all_endpoints())
