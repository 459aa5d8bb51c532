"""The permission matrix (SECURITY.md A): every route × method × role × record, generated
from the url_map; the expected outcome comes from expectations.EXPECTED.

Denied means 403 or 404 (anonymous: 401 or a redirect to the login page), never a success.
With POLICY_AUDIT on, any success where the policy was not asked fails the request itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.routing import Rule
from werkzeug.test import TestResponse

from omk.policy import declared_permission
from tests.security.expectations import EXPECTED, Expect, default_for
from tests.security.world import (
    DRAFT_MARKERS,
    ROLES,
    SYNTHESIS_DRAFT_MARKERS,
    Probe,
    TableWatch,
    World,
    changed_tables,
    probes,
    routes,
    state_methods,
)

LOGIN_PATH = "/anmelden"


@dataclass(frozen=True)
class Case:
    rule: Rule
    method: str
    probe: Probe
    role: str
    outcome: str  # allow / deny / any

    def url(self) -> str:
        built = self.rule.build(self.probe.values, append_unknown=False)
        assert built is not None, (self.rule.rule, self.probe.values)
        return built[1]

    def __str__(self) -> str:
        return f"{self.method} {self.url()} as {self.role} [{self.probe.label}]"


def is_login_redirect(response: TestResponse) -> bool:
    return response.status_code in (301, 302, 303, 307, 308) and response.headers.get(
        "Location", ""
    ).startswith(LOGIN_PATH)


def is_denied(response: TestResponse, role: str) -> bool:
    if response.status_code in (403, 404):
        return True
    return role == "anonymous" and (response.status_code == 401 or is_login_redirect(response))


def expectation(app: Flask, endpoint: str) -> Expect:
    declared = declared_permission(app, endpoint)
    assert declared is not None, f"{endpoint} declares no permission"
    return EXPECTED.get(endpoint) or default_for(*declared)


def cases_of(
    app: Flask, world: World, endpoint: str, methods: set[str] | None = None
) -> list[Case]:
    expect = expectation(app, endpoint)
    cases = [
        Case(rule, method, probe, role, expect.outcome(role, probe.label, probe.base))
        for rule in routes(app)
        if rule.endpoint == endpoint
        for method in state_methods(rule)
        if methods is None or method in methods
        for probe in probes(world, rule)
        for role in ROLES
    ]
    # Denials first: an allowed request may change state (log out, revoke) after them.
    return sorted(cases, key=lambda c: c.outcome == "allow")


def run(
    world: World, case: Case, client: FlaskClient | None = None, **kwargs: Any
) -> TestResponse | str:
    """Make the request as the case's role; the POLICY_AUDIT failure comes back as text."""
    url = case.url()
    client = client or world.client(case.role)
    try:
        return client.open(url, method=case.method, headers=world.headers(case.role, url), **kwargs)
    except AssertionError as exc:
        return f"policy audit: {exc}"


def judge(case: Case, response: TestResponse | str) -> str | None:
    """What is wrong with the response (None: as expected)."""
    if isinstance(response, str):
        return response
    status = response.status_code
    if response.mimetype in ("text/html", "application/json", "text/plain"):
        body = response.get_data(as_text=True)
        for marker, owner in DRAFT_MARKERS.items():
            if marker in body and case.role != owner:
                return f"unsubmitted text {marker} shown ({status})"
        for marker, readers in SYNTHESIS_DRAFT_MARKERS.items():
            if marker in body and case.role not in readers:
                return f"unpublished synthesis text {marker} shown ({status})"
    if status >= 500:
        return f"server error {status}"
    if case.outcome == "deny" and not is_denied(response, case.role):
        return f"expected denial, got {status} {response.headers.get('Location', '')}".strip()
    if case.outcome == "allow" and (is_denied(response, case.role) or is_login_redirect(response)):
        return f"expected access, got {status} {response.headers.get('Location', '')}".strip()
    return None


def test_permission_matrix(app: Flask, world: World, endpoint: str) -> None:
    """Every method × role × record of the endpoint gets its expected outcome; and, since no
    GET may change state, every GET leaves every table as it was (SECURITY.md C)."""
    failures = []
    clients: dict[str, FlaskClient] = {}  # one browser per role while only GETs happen
    watch = TableWatch()
    for case in cases_of(app, world, endpoint):
        if case.method != "GET":
            clients.clear()  # a POST may end sessions (log out, password, deactivate)
        if case.role not in clients:
            clients[case.role] = world.client(case.role)  # written before the checksum
        before = watch.snapshot() if case.method == "GET" else {}
        problem = judge(case, run(world, case, clients[case.role]))
        if problem:
            failures.append(f"{case}: {problem}")
        if case.method == "GET":
            changed = changed_tables(before, watch.snapshot())
            if changed:
                failures.append(f"{case}: the GET changed the tables {changed}")
        else:
            clients.clear()
    watch.close()
    assert not failures, "\n".join(failures)


def test_the_draft_markers_are_there_to_be_found(world: World) -> None:
    """The leak check above is only worth something if the owners do see their markers."""
    for marker, owner in DRAFT_MARKERS.items():
        ags = world.user(owner).municipality_key
        page = world.client(owner).get(f"/berichte/2025/{ags}/").get_data(as_text=True)
        assert marker in page, marker
        api = world.client("anonymous").get(
            f"/api/v1/reports/{ags}/2025", headers=world.headers(owner, "/api/")
        )
        assert marker in api.get_data(as_text=True), marker
