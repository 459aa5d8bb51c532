"""Cross-tenant writes (SECURITY.md A): a reporter of B and the reviewer of region 06 aim
every mutating route at the records of A and region 05 (their ids, id±1, the largest id),
with payloads that would do harm: 0 successes, and every table byte-identical afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Flask
from werkzeug.routing import Rule

from tests.security.expectations import EXPECTED
from tests.security.test_matrix import expectation, is_denied
from tests.security.world import (
    MISSING,
    PARAMETERS,
    A,
    Probe,
    World,
    changed_tables,
    probes,
    routes,
    rule_parameters,
    table_digests,
)

ATTACKERS = ("reporter_b", "reviewer_06")

#: Harmful form payloads per mutating endpoint; routes not listed get GENERIC.
HARMFUL: dict[str, list[dict[str, Any]]] = {
    "users.edit": [
        {"name": "übernommen", "role": "reviewer", "scope": "06", "is_active": "y"},
        {"name": "übernommen", "role": "staff"},  # no is_active: deactivates
    ],
    "users.resend": [{}],
    "account.revoke_token": [{}],
}
GENERIC: list[dict[str, Any]] = [
    {
        "name": "übernommen",
        "title": "übernommen",
        "state": "accepted",
        "status": "accepted",
        "municipality": A,
        "role": "admin",
        "is_active": "",
    }
]


@dataclass(frozen=True)
class BodyAttack:
    """A write whose target is in the body: the attacker's own page, another tenant's data."""

    endpoint: str
    role: str
    label: str  # the URL's record ('-': none)
    payload: dict[str, Any]


#: Routes the attacker may use, with a body aimed at A or region 05 (or above the attacker).
BODY_ATTACKS = [
    *[
        BodyAttack("users.invite", "reviewer_06", "-", {"email": f"neu{i}@example.org", **p})
        for i, p in enumerate(
            [
                {"role": "reporter", "municipality": A},
                {"role": "staff", "municipality": A},
                {"role": "staff"},  # a reader of no municipality: the operator's to create
                {"role": "reviewer", "scope": "05"},
                {"role": "reviewer", "scope": "0"},
                # A municipality of its own region, but the scope of another: the scope counts.
                {"role": "reviewer", "municipality": "06632001", "scope": "05"},
                {"role": "admin"},
            ]
        )
    ],
    *[
        BodyAttack("users.edit", "reviewer_06", "reporter_c", p)
        for p in [
            {"role": "reporter", "municipality": A, "is_active": "y"},
            {"role": "staff", "is_active": "y"},
            {"role": "reviewer", "municipality": "06632001", "scope": "05", "is_active": "y"},
            {"role": "admin", "is_active": "y"},
        ]
    ],
]


def _int_neighbours(world: World, rule: Rule, attacker: str, denied: list[Probe]) -> list[Probe]:
    """For an integer id: the ids next to the denied records and the largest id, unless they
    are records the attacker may touch."""
    params = rule_parameters(rule)
    name, converter = params[0]
    if converter != "int" or len(params) > 1:
        return []
    labels = {t.value: t.label for t in PARAMETERS[name](world)}
    expect = expectation(world.app, rule.endpoint)
    ids = {p.values[name] for p in denied if p.label != MISSING}
    candidates = {i + d for i in ids for d in (-1, 1)} | {max(labels)}
    return [
        Probe(labels.get(i, MISSING), {name: i})
        for i in sorted(candidates - ids)
        if i > 0 and expect.outcome(attacker, labels.get(i, MISSING)) == "deny"
    ]


def _url_attacks(app: Flask, world: World) -> list[tuple[Rule, str, str, Probe, dict[str, Any]]]:
    attacks = []
    for rule in routes(app):
        methods = sorted((rule.methods or set()) - {"GET", "HEAD", "OPTIONS"})
        if not methods or not rule_parameters(rule):
            continue
        expect = expectation(app, rule.endpoint)
        for attacker in ATTACKERS:
            denied = [p for p in probes(world, rule) if expect.outcome(attacker, p.label) == "deny"]
            denied += _int_neighbours(world, rule, attacker, denied)
            for probe in denied:
                for payload in HARMFUL.get(rule.endpoint, GENERIC):
                    for method in methods:
                        attacks.append((rule, method, attacker, probe, payload))
    return attacks


def _send(
    world: World, clients: dict[str, Any], role: str, method: str, url: str, payload: dict[str, Any]
) -> Any:
    kwargs: dict[str, Any] = {"json": payload} if url.startswith("/api/") else {"data": payload}
    try:
        return clients[role].open(url, method=method, headers=world.headers(role, url), **kwargs)
    except AssertionError as exc:  # POLICY_AUDIT: a success without asking the policy
        return str(exc)


def test_no_cross_tenant_write_succeeds(app: Flask, world: World) -> None:
    clients = {role: world.client(role) for role in ATTACKERS}
    before = table_digests()
    successes = []
    attacks = _url_attacks(app, world)
    for rule, method, attacker, probe, payload in attacks:
        built = rule.build(probe.values, append_unknown=False)
        assert built is not None
        response = _send(world, clients, attacker, method, built[1], payload)
        if isinstance(response, str) or not is_denied(response, attacker):
            status = response if isinstance(response, str) else response.status_code
            successes.append(
                f"{method} {built[1]} as {attacker} [{probe.label}] {payload}: {status}"
            )
    for attack in BODY_ATTACKS:
        rule = next(r for r in routes(app) if r.endpoint == attack.endpoint)
        values = {}
        if attack.label != "-":
            name = rule_parameters(rule)[0][0]
            values = {
                name: next(t.value for t in PARAMETERS[name](world) if t.label == attack.label)
            }
        built = rule.build(values, append_unknown=False)
        assert built is not None
        response = _send(world, clients, attack.role, "POST", built[1], attack.payload)
        # The route itself is allowed: a refusal may also be a validation error (422).
        if isinstance(response, str) or response.status_code < 400:
            status = response if isinstance(response, str) else response.status_code
            successes.append(f"POST {built[1]} as {attack.role} {attack.payload}: {status}")
    assert len(attacks) > 20, "the world offers too few records to attack"
    assert not successes, "\n".join(successes)
    assert changed_tables(before, table_digests()) == []


def test_attack_tables_list_existing_endpoints() -> None:
    stale = sorted(HARMFUL.keys() - EXPECTED.keys())
    assert not stale, f"HARMFUL lists unknown endpoints: {stale}"
    assert {a.endpoint for a in BODY_ATTACKS} <= EXPECTED.keys()
