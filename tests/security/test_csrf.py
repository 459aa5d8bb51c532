"""CSRF (SECURITY.md C), with CSRF switched on: every state-changing HTML route refuses a
missing token, another session's token and an expired token with 400; the same request
with the session's own fresh token gets through."""

from __future__ import annotations

import dataclasses
import re
import time
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from tests.security.expectations import KNOWN_BUGS
from tests.security.test_matrix import expectation
from tests.security.world import (
    MISSING,
    ROLES,
    World,
    probes,
    routes,
)

STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}
CSRF_MESSAGE = "Das Formular ist abgelaufen oder ungültig"


@pytest.fixture
def csrf_world(make_app: Callable[..., Flask], world: World) -> World:
    """The world, acting through an app with CSRF protection on (same database)."""
    app = make_app(WTF_CSRF_ENABLED=True)
    return dataclasses.replace(world, app=app)


def token_of(client: FlaskClient) -> str:
    """A CSRF token bound to this browser's session (every page has the language form)."""
    html = client.get("/").get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "the start page has no CSRF token"
    return match.group(1)


def expired_token_of(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch, age: int = 9 * 3600
) -> str:
    """This session's token as Flask-WTF signs it, but signed ``age`` seconds ago (default:
    nine hours, past the WTF_CSRF_TIME_LIMIT of eight)."""
    app = client.application
    with client.session_transaction() as session:
        raw = session["csrf_token"]
    serializer = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="wtf-csrf-token")
    with monkeypatch.context() as m:
        m.setattr(TimestampSigner, "get_timestamp", lambda self: int(time.time()) - age)
        return str(serializer.dumps(raw))


@dataclasses.dataclass(frozen=True)
class Form:
    method: str
    url: str
    role: str  # a role allowed to use it, so that the valid token really gets through
    endpoint: str


def state_changing_forms(world: World) -> list[Form]:
    """Every state-changing HTML route, once, as a role that may use it."""
    forms = []
    for rule in routes(world.app):
        if rule.rule.startswith("/api/"):
            continue
        expect = expectation(world.app, rule.endpoint)
        for method in sorted((rule.methods or set()) & STATE_CHANGING):
            choice = next(
                (
                    (probe, role)
                    for probe in probes(world, rule)
                    if probe.label != MISSING
                    for role in reversed(ROLES)  # admin first
                    if expect.outcome(role, probe.label) == "allow"
                ),
                None,
            )
            assert choice is not None, f"nobody may use {method} {rule.rule}?"
            probe, role = choice
            built = rule.build(probe.values, append_unknown=False)
            assert built is not None
            forms.append(Form(method, built[1], role, rule.endpoint))
    return forms


def _refused(response: object) -> bool:
    status = getattr(response, "status_code", None)
    return status == 400 and CSRF_MESSAGE in response.get_data(as_text=True)  # type: ignore[attr-defined]


def test_every_state_changing_route_needs_the_sessions_fresh_token(
    csrf_world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    forms = state_changing_forms(csrf_world)
    assert len(forms) >= 8
    failures = []
    for form in forms:
        client = csrf_world.client(form.role)
        own = token_of(client)
        other = token_of(csrf_world.client(form.role))
        expired = expired_token_of(client, monkeypatch)
        attempts = {
            "no token": {},
            "another session's token": {"csrf_token": other},
            "an expired token": {"csrf_token": expired},
        }
        for what, data in attempts.items():
            response = client.open(form.url, method=form.method, data=data)
            if not _refused(response):
                failures.append(f"{form.method} {form.url} with {what}: {response.status_code}")
        response = client.open(form.url, method=form.method, data={"csrf_token": own})
        if form.endpoint in KNOWN_BUGS:
            continue  # its matrix test is marked xfail with the reason
        if response.status_code == 400 or response.status_code >= 500:
            failures.append(
                f"{form.method} {form.url} as {form.role} with its own token: "
                f"{response.status_code}"
            )
    assert not failures, "\n".join(failures)


def test_the_time_limit_is_configurable(
    make_app: Callable[..., Flask], world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """WTF_CSRF_TIME_LIMIT decides: two minutes old is fine for eight hours, not for one."""
    for limit, expected in ((8 * 3600, 302), (60, 400)):
        app = make_app(WTF_CSRF_ENABLED=True, WTF_CSRF_TIME_LIMIT=limit)
        client = dataclasses.replace(world, app=app).client("reporter_a")
        token_of(client)
        token = expired_token_of(client, monkeypatch, age=120)
        assert client.post("/sprache", data={"csrf_token": token}).status_code == expected


def test_the_header_token_works_too(csrf_world: World) -> None:
    """Scripts send the token as X-CSRFToken (Flask-WTF reads the header as well)."""
    client = csrf_world.client("reporter_a")
    response = client.post(
        "/konto/tokens", data={"label": "per Kopfzeile"}, headers={"X-CSRFToken": token_of(client)}
    )
    assert response.status_code == 200
    assert "omk_" in response.get_data(as_text=True)


def test_login_form_with_csrf(csrf_world: World) -> None:
    """The whole login form, as a browser sends it: the token comes from the login page."""
    from tests.conftest import PASSWORD

    client = csrf_world.app.test_client()
    html = client.get("/anmelden").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
    assert token, html
    data = {"email": csrf_world.emails["reporter_a"], "password": PASSWORD}
    assert client.post("/anmelden", data=data).status_code == 400
    data["csrf_token"] = token.group(1)
    assert client.post("/anmelden", data=data).status_code == 302
    assert client.get("/konto/").status_code == 200


def test_the_api_needs_no_csrf_token_because_it_ignores_cookies(csrf_world: World) -> None:
    """The API is exempt from CSRF; it authenticates by bearer token only, so a browser's
    session cookie carries no authority there."""
    client = csrf_world.client("reporter_a")
    assert client.get("/api/v1/me").status_code == 401
    bearer = {"Authorization": f"Bearer {csrf_world.api_tokens['reporter_a']}"}
    assert client.get("/api/v1/me", headers=bearer).status_code == 200
    for rule in routes(csrf_world.app):
        methods = (rule.methods or set()) & STATE_CHANGING
        if rule.rule.startswith("/api/") and methods:
            for probe in probes(csrf_world, rule):
                built = rule.build(probe.values, append_unknown=False)
                assert built is not None
                for method in methods:
                    response = client.open(built[1], method=method, json={})
                    assert response.status_code in (401, 404), (method, built[1])
