"""Route inventory (SECURITY.md A): every route declares its permission, and the explicit
tables of this suite list exactly the routes and URL parameters the app has."""

from __future__ import annotations

from flask import Flask

from omk.policy import declared_permission
from tests.security.expectations import EXPECTED, KNOWN_BUGS
from tests.security.world import World, routes, rule_parameters, targets_for


def test_every_route_declares_a_permission(app: Flask) -> None:
    missing = sorted(
        {r.endpoint for r in routes(app) if declared_permission(app, r.endpoint) is None}
    )
    assert not missing, f"routes without @permission(...): {missing}"


def test_static_files_are_declared_public(app: Flask) -> None:
    declared = declared_permission(app, "static")
    assert declared is not None and declared[0].value == "public"


def test_expectation_table_lists_every_endpoint(app: Flask) -> None:
    endpoints = {r.endpoint for r in routes(app)}
    missing = sorted(endpoints - EXPECTED.keys())
    stale = sorted(EXPECTED.keys() - endpoints)
    assert not missing, (
        f"add these endpoints to EXPECTED in tests/security/expectations.py: {missing}"
    )
    assert not stale, f"EXPECTED lists endpoints the app no longer has: {stale}"
    assert KNOWN_BUGS.keys() <= endpoints, "KNOWN_BUGS lists endpoints the app no longer has"


def test_expectation_table_matches_the_declarations(app: Flask) -> None:
    """The table pins each route's declared action: changing a declaration is a reviewed act."""
    wrong = {}
    for endpoint, expect in EXPECTED.items():
        declared = declared_permission(app, endpoint)
        if declared is not None and declared != (expect.action, expect.per_object):
            wrong[endpoint] = (declared, (expect.action, expect.per_object))
    assert not wrong, f"declared vs. expected (action, per_object): {wrong}"


def test_every_url_parameter_has_values(app: Flask, world: World) -> None:
    """Every route's parameters are filled with real records of the world (world.py)."""
    uncovered = sorted(r.rule for r in routes(app) if r.arguments and not targets_for(world, r))
    assert not uncovered, (
        f"add records that fill these routes to tests/security/world.py: {uncovered}"
    )
    used = {name for rule in routes(app) for name, _ in rule_parameters(rule)}
    stale = sorted(world.parameter_names() - used)
    assert not stale, f"world.py fills parameters no route has: {stale}"
