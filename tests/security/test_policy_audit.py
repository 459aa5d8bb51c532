""" "Authorise was called" (SECURITY.md A): with POLICY_AUDIT on, a non-public route that
succeeds (2xx, or a redirect after a write) without asking the policy fails the request."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest
from flask import Flask, redirect
from flask.testing import FlaskClient
from werkzeug.wrappers import Response

from omk.models import User
from omk.policy import Action, authorize, permission
from tests.conftest import login
from tests.security.world import World


@pytest.fixture
def audited_app(make_app: Callable[..., Flask]) -> Flask:
    app = make_app()

    @app.get("/_test/forgets")
    @permission(Action.USERS_MANAGE, per_object=True)
    def forgets() -> str:
        return "served without asking"

    @app.post("/_test/forgets-then-redirects")
    @permission(Action.USERS_MANAGE, per_object=True)
    def forgets_then_redirects() -> Response:
        return redirect("/")

    @app.get("/_test/asks")
    @permission(Action.USERS_MANAGE, per_object=True)
    def asks() -> str:
        authorize(Action.USERS_MANAGE, "05")
        return "asked"

    return app


def _admin_client(app: Flask, make_user: Callable[..., User]) -> FlaskClient:
    client = app.test_client()
    with app.app_context():
        admin = make_user("admin")
    assert login(client, admin).status_code == 302
    return client


def test_success_without_asking_the_policy_fails(
    audited_app: Flask, make_user: Callable[..., User]
) -> None:
    client = _admin_client(audited_app, make_user)
    with pytest.raises(AssertionError, match="without asking the policy"):
        client.get("/_test/forgets")
    with pytest.raises(AssertionError, match="without asking the policy"):
        client.post("/_test/forgets-then-redirects")
    assert client.get("/_test/asks").status_code == 200


def test_a_route_without_declaration_is_refused(make_app: Callable[..., Flask]) -> None:
    app = make_app()

    @app.get("/_test/undeclared")
    def undeclared() -> str:
        return "no declaration"

    response = app.test_client().get("/_test/undeclared")
    assert response.status_code == 403


def test_denials_are_logged_without_secrets(
    app: Flask, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    """Who, what, which record (the log line carries the time); no token, no body."""
    caplog.set_level(logging.WARNING, logger="omk.policy")
    target = world.user_ids["reporter_a"]
    client = world.client("reviewer_06")
    response = client.post(f"/konten/{target}", data={"name": "Geheimer Formularinhalt"})
    assert response.status_code == 403
    token = world.api_tokens["reporter_a"]
    response = app.test_client().get("/konten/", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 302  # the HTML pages ignore bearer tokens
    denial = next(r for r in caplog.records if r.getMessage().startswith("denied:"))
    message = denial.getMessage()
    assert f"user={world.user_ids['reviewer_06']}" in message
    assert "action=users.manage" in message
    assert f"target=User:{target}" in message and f"path=/konten/{target}" in message
    assert denial.created > 0
    assert "Geheimer Formularinhalt" not in caplog.text and token not in caplog.text
