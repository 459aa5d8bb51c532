"""Cross-tenant writes (SECURITY.md A): the reporter of B, the reviewer of region 06 and the
operator aim every mutating route at every record they may not touch (its id, id±1, the
largest id; another report's practice or comment under their own report's URL), with
payloads that would do harm: 0 successes, and every table byte-identical afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Flask
from werkzeug.routing import Rule

from tests import factories
from tests.security.expectations import EXPECTED
from tests.security.test_matrix import expectation, is_denied
from tests.security.world import (
    MISSING,
    MIXED,
    A,
    D,
    E,
    Probe,
    World,
    changed_tables,
    probes,
    routes,
    rule_parameters,
    table_digests,
    targets_for,
)

#: B's reporter, the other region's reviewer, and the operator (who may not touch drafts).
ATTACKERS = ("reporter_b", "reviewer_06", "admin")

#: Harmful form payloads per mutating endpoint; routes not listed get GENERIC.
HARMFUL: dict[str, list[dict[str, Any]]] = {
    "users.edit": [
        {"name": "übernommen", "role": "reviewer", "scope": "06", "is_active": "y"},
        {"name": "übernommen", "role": "staff"},  # no is_active: deactivates
    ],
    "users.resend": [{}],
    "account.revoke_token": [{}],
    "cycles.edit": [
        {
            "title": "übernommen",
            "status": "closed",
            "period_start": "2025-01-01",
            "period_end": "2025-12-31",
            "deadline": "2026-03-31",
        }
    ],
    "reports.start": [{}],
    "reports.submit": [{}],
    "reports.indicators": [{"ind-unterbringung.zuweisungen": "999999"}],
    "reports.practice": [
        {
            "title": "übernommen",
            "summary": "übernommen",
            "description": "übernommen",
            "criterion": "arbeitsmarkt",
        }
    ],
    "reports.delete_practice": [{}],
    "reports.move_practice": [{"direction": "up"}, {"direction": "down"}],
    "reports.carry_forward": [{"practice": "x"}],
    "reports.reply": [{"reply": "übernommen"}],
    "reports.accept": [{}],
    "reports.return_report": [{"comment::report": "übernommen"}],
    "reports.reopen": [{"reason": "übernommen"}],
    "api.submit_report": [{}],
    "api.accept_report": [{}],
    "api.reopen_report": [{"reason": "übernommen"}],
    "api.return_report": [{"comments": [{"field": "report", "text": "übernommen"}]}],
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


CYCLE_DATES = {"period_start": "2025-01-01", "period_end": "2025-12-31", "deadline": "2026-03-31"}


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
        BodyAttack("api.save_report", role, "-", factories.document(key, "2025"))
        for role in ("reporter_b", "admin")
        for key in (A, D, E)  # a draft, a submitted report, no report yet
    ],
    *[
        BodyAttack("cycles.create", "reviewer_06", "-", p)
        for p in [
            {"code": "fremd-05", "regions": "05", **CYCLE_DATES},
            {"code": "fremd-alle", "regions": "", **CYCLE_DATES},
            {"code": "fremd-mix", "regions": "06 05", **CYCLE_DATES},
        ]
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
    """For integer ids: the ids next to those of the denied records, and the largest id,
    unless they are records the attacker may touch."""
    expect = expectation(world.app, rule.endpoint)
    params = rule_parameters(rule)
    found = []
    for name, converter in params:
        if converter != "int":
            continue
        labels = world.values_of(name)  # id → label of its record
        for probe in denied:
            if probe.label in (MISSING, MIXED):
                continue
            for candidate in (probe.values[name] - 1, probe.values[name] + 1, max(labels)):
                if candidate <= 0 or candidate == probe.values[name]:
                    continue
                # Alone in the URL, the id decides whose record it is; next to a report's
                # key, it is a sub-record of that report (which the attacker may not touch).
                label = labels.get(candidate, MISSING) if len(params) == 1 else probe.label
                if expect.outcome(attacker, label) == "deny":
                    found.append(Probe(label, {**probe.values, name: candidate}))
    return found


def _url_attacks(app: Flask, world: World) -> list[tuple[Rule, str, str, Probe, dict[str, Any]]]:
    attacks = []
    for rule in routes(app):
        methods = sorted((rule.methods or set()) - {"GET", "HEAD", "OPTIONS"})
        if not methods or not rule_parameters(rule):
            continue
        expect = expectation(app, rule.endpoint)
        for attacker in ATTACKERS:
            chosen = [
                p
                for p in probes(world, rule)
                if expect.outcome(attacker, p.label, p.base) == "deny"
                # Another report's practice or comment under the attacker's own report's URL:
                # it may answer anything but must change nothing.
                or p.label == MIXED
            ]
            chosen += _int_neighbours(world, rule, attacker, chosen)
            for probe in chosen:
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
        expect = expectation(app, rule.endpoint)
        must_deny = expect.outcome(attacker, probe.label, probe.base) == "deny"
        if (
            isinstance(response, str)
            or response.status_code >= 500
            or (must_deny and not is_denied(response, attacker))
        ):
            status = response if isinstance(response, str) else response.status_code
            successes.append(
                f"{method} {built[1]} as {attacker} [{probe.label}] {payload}: {status}"
            )
    for attack in BODY_ATTACKS:
        rule = next(r for r in routes(app) if r.endpoint == attack.endpoint)
        values = {}
        if attack.label != "-":
            values = next(t.values for t in targets_for(world, rule) if t.label == attack.label)
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
