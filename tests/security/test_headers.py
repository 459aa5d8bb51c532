"""Response headers (SECURITY.md C) on every route, error pages and static files; cookie flags
outside debug/testing."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import pytest
from flask import Flask
from werkzeug.test import TestResponse

from omk.models import User
from tests.conftest import PASSWORD
from tests.security.world import MISSING, World, probes, routes, state_methods

#: The Content-Security-Policy, directive by directive: exactly this, nothing looser.
EXPECTED_CSP = {
    "default-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "object-src": ["'none'"],
    "base-uri": ["'none'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}
STRICT_REFERRER = {"no-referrer", "same-origin", "strict-origin", "strict-origin-when-cross-origin"}


def csp_directives(header: str) -> dict[str, list[str]]:
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


def header_problems(response: TestResponse, *, logged_in: bool) -> list[str]:
    """What is missing or too loose in the security headers of one response."""
    problems = []
    headers = response.headers
    csp = csp_directives(headers.get("Content-Security-Policy", ""))
    if csp != EXPECTED_CSP:
        problems.append(f"CSP {csp}")
    for directive in ("script-src", "style-src"):
        effective = csp.get(directive, csp.get("default-src", []))
        if not effective or any(
            s in effective for s in ("'unsafe-inline'", "'unsafe-eval'", "*", "data:")
        ):
            problems.append(f"{directive} is {effective}")
    for directive in ("object-src", "base-uri", "frame-ancestors"):
        if csp.get(directive) != ["'none'"]:
            problems.append(f"{directive} is {csp.get(directive)}")
    if headers.get("X-Content-Type-Options") != "nosniff":
        problems.append("no nosniff")
    if headers.get("Referrer-Policy") not in STRICT_REFERRER:
        problems.append(f"Referrer-Policy {headers.get('Referrer-Policy')}")
    if logged_in and "no-store" not in headers.get("Cache-Control", ""):
        problems.append(f"Cache-Control {headers.get('Cache-Control')} while logged in")
    return problems


def test_every_route_and_error_page_carries_the_headers(app: Flask, world: World) -> None:
    failures = []
    for role in ("anonymous", "reporter_a", "admin"):
        client = world.client(role)
        requests = []
        for rule in routes(app):
            for probe in probes(world, rule):
                built = rule.build(probe.values, append_unknown=False)
                assert built is not None
                requests += [(m, built[1]) for m in state_methods(rule) if m == "GET"]
                if probe.label == MISSING:
                    break
        requests += [
            ("GET", "/gibt-es-nicht"),  # 404
            ("GET", "/abmelden"),  # 405
            ("GET", "/konten/"),  # 403 (or a login redirect)
            ("POST", "/konto/tokens/987654/widerrufen"),  # 404 from a service
            ("GET", "/api/v1/gibt-es-nicht"),  # JSON 404
            ("GET", "/static/omk.css"),
            ("GET", "/static/kern/kern.min.css"),
        ]
        for method, url in requests:
            response = client.open(url, method=method, headers=world.headers(role, url))
            response.close()  # static files are streamed from an open file
            problems = header_problems(response, logged_in=role != "anonymous")
            if problems:
                failures.append(f"{method} {url} as {role} ({response.status_code}): {problems}")
    assert not failures, "\n".join(failures)


def test_the_500_page_carries_the_headers(boom_app: Flask) -> None:
    response = boom_app.test_client().get("/_test/fehler")
    assert response.status_code == 500
    assert header_problems(response, logged_in=False) == []


def test_api_answers_are_not_stored(app: Flask, world: World) -> None:
    for role in ("anonymous", "staff"):
        response = world.app.test_client().get(
            "/api/v1/municipalities", headers=world.headers(role, "/api/v1/")
        )
        assert response.status_code == 200
        assert "no-store" in response.headers["Cache-Control"]


@pytest.fixture
def production_app(make_app: Callable[..., Flask]) -> Flask:
    """An app as in production: not testing, not debug, a proper key, OWASP hashing."""
    return make_app(
        TESTING=False,
        DEBUG=False,
        SECRET_KEY=secrets.token_hex(32),
        ARGON2_TIME_COST=2,
        ARGON2_MEMORY_COST=19456,
    )


def test_cookies_are_httponly_lax_and_secure_in_production(
    production_app: Flask, make_user: Callable[..., User]
) -> None:
    user = make_user("reporter", municipality="05113000")
    client = production_app.test_client()
    response = client.post(
        "/anmelden",
        data={"email": user.email, "password": PASSWORD, "remember": "y"},
        base_url="https://localhost",
    )
    assert response.status_code == 302
    cookies = {c.split("=", 1)[0]: c for c in response.headers.getlist("Set-Cookie")}
    assert {"session", "remember_token"} <= cookies.keys(), cookies
    for name in ("session", "remember_token"):
        flags = [f.strip().lower() for f in cookies[name].split(";")]
        assert "httponly" in flags, cookies[name]
        assert "secure" in flags, cookies[name]
        assert "samesite=lax" in flags, cookies[name]
    expires = next(f for f in cookies["remember_token"].split(";") if "expires" in f.lower())
    lifetime = parsedate_to_datetime(expires.split("=", 1)[1]) - datetime.now(UTC)
    assert timedelta(days=1) <= lifetime <= timedelta(days=30)
    assert "max-age=31536000" in response.headers["Strict-Transport-Security"]
