"""Fixtures of the security suite: isolated requests, the world, the app's endpoints."""

from __future__ import annotations

import atexit
import copy
import dataclasses
import shutil
import tempfile
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from omk import content, create_app
from omk.extensions import db
from omk.policy import Action, permission
from tests.conftest import test_settings
from tests.security.world import World, build_world, dump_rows, restore_rows, routes

_load_content_once = cache(content.load_content)


@pytest.fixture(autouse=True)
def content_parsed_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Parsing content/ (YAML) is most of an app's start-up, and this suite starts many apps
    over the same content: parse it once per run."""
    monkeypatch.setattr(content, "load_content", _load_content_once)


#: The world's rows and ids, by database dialect: built in the first test that needs it,
#: copied into the empty database of every later one (building it costs more than the tests).
_WORLDS: dict[str, tuple[dict[str, Any], dict[str, list[dict[str, Any]]]]] = {}


@pytest.fixture
def world(app: Flask) -> World:
    """Accounts, tokens, cycles and reports of tests/security/world.py (register included)."""
    dialect = db.engine.dialect.name
    if dialect not in _WORLDS:
        built = build_world(app)
        data = {f.name: getattr(built, f.name) for f in dataclasses.fields(built)}
        del data["app"]
        _WORLDS[dialect] = (copy.deepcopy(data), dump_rows())
        return built
    data, rows = _WORLDS[dialect]
    restore_rows(rows)
    return World(app=app, **copy.deepcopy(data))


#: What the test-only failing route puts into its exception: none of it may reach the page.
BOOM_SECRETS = ("SELECT password_hash FROM user_account", "/srv/omk/geheim.py", "RuntimeError")


@pytest.fixture
def boom_app(make_app: Callable[..., Flask]) -> Flask:
    """A test app with a route that fails (for the 500 page), registered before any request."""
    app = make_app()

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
        from tests.security.expectations import KNOWN_BUGS

        metafunc.parametrize(
            "endpoint",
            [
                pytest.param(e, marks=pytest.mark.xfail(reason=KNOWN_BUGS[e], strict=True))
                if e in KNOWN_BUGS and metafunc.function.__name__ == "test_permission_matrix"
                else e
                for e in all_endpoints()
            ],
        )
