"""Who may invite, change and deactivate whom (issue 9, finding 3), for every role of the
matrix and every account of the world, through the real routes. The expected outcomes are
the tables INVITES, CHANGES and DEACTIVATES of tests/security/expectations.py.

Allowed means the account is created or changed exactly as asked; denied means 403, 404 or
422 (anonymous: the login page) and nothing created or changed.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update

from omk.extensions import db
from omk.models.accounts import User
from omk.services import accounts
from omk.services.transaction import unit_of_work
from tests.security.expectations import CANDIDATES, CHANGES, DEACTIVATES, INVITES, REPORTERS
from tests.security.world import ACCOUNTS, ROLES, World

DENIED = (401, 403, 404, 422)


def _denied(response: Any) -> bool:
    return response.status_code in DENIED or (
        response.status_code == 302 and response.headers["Location"].startswith("/anmelden")
    )


def _email(role: str, label: str) -> str:
    return f"{role}.{label.replace(':', '-').replace('-', '')}@example.org".replace("_", ".")


@pytest.mark.parametrize("role", ROLES)
def test_who_may_invite_whom(app: Flask, world: World, role: str) -> None:
    client = world.client(role)
    own = ACCOUNTS.get(role, {}).get("municipality")
    failures = []
    for label, (kind, municipality, scope) in CANDIDATES.items():
        email = _email(role, label)
        data = {
            "email": email,
            "role": kind,
            "municipality": municipality or "",
            "scope": scope or "",
        }
        general = client.post("/konten/einladen", data=data)
        colleague = client.post("/konto/kommune/einladen", data=data)  # fields it must ignore
        db.session.rollback()
        made = accounts.find_user_by_email(email)
        achieved = made is not None and (made.role, made.municipality_key, made.scope) == (
            kind,
            municipality,
            scope,
        )
        expected = label in INVITES[role]
        if achieved != expected:
            failures.append(f"{role} invites {label}: {'allowed' if achieved else 'denied'}")
        if made is not None:
            if role in REPORTERS:  # whatever it asked for: a reporter of its own municipality
                assert (made.role, made.municipality_key) == ("reporter", own), label
            assert made.created_by_id == world.user_ids[role], label
        if role not in REPORTERS and not _denied(colleague):
            failures.append(f"{role} used the colleague invitation: {colleague.status_code}")
        if not expected and role not in REPORTERS and not _denied(general):
            failures.append(f"{role} invites {label}: {general.status_code}")
    assert not failures, "\n".join(failures)


def _form(user: User, **changes: Any) -> dict[str, str]:
    municipality = user.municipality.reporting_ags if user.municipality else None
    data = {
        "name": user.name,
        "role": user.role,
        "municipality": municipality or user.municipality_key or "",
        "scope": user.scope or "",
        "is_active": "y",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def _narrower(scope: str | None) -> str | None:
    """A narrower region than ``scope`` (a demotion of a reviewer), None for others."""
    if scope is None:
        return None
    return "05315" if scope.startswith("05") else "06632"


def _restore(user_id: int, row: dict[str, Any]) -> None:
    with unit_of_work():
        db.session.execute(update(User).where(User.id == user_id).values(**row))


def _targets(role: str) -> list[str]:
    """Every account; the actor's own last (changing it may end the actor's session)."""
    return sorted(ACCOUNTS, key=lambda name: name == role)


def _snapshot(user: User) -> dict[str, Any]:
    return {
        "name": user.name,
        "role": user.role,
        "municipality_key": user.municipality_key,
        "scope": user.scope,
        "is_active": user.is_active,
    }


def _act(
    world: World, client: FlaskClient, role: str, target: str, deactivate: bool
) -> tuple[bool, int]:
    """Change (rename; a reviewer: a narrower region) or deactivate ``target`` as ``role``;
    whether it took effect, and the status. The target is put back afterwards."""
    user = world.user(target)
    before = _snapshot(user)
    if deactivate:
        data = _form(user, is_active=None)
    else:
        data = _form(user, name="Geändert", scope=_narrower(user.scope))
    response = client.post(f"/konten/{user.id}", data=data)
    db.session.rollback()
    after = _snapshot(world.user(target))
    if deactivate:
        done = before["is_active"] and not after["is_active"]
    else:
        done = after["name"] == "Geändert" and after["scope"] == _narrower(before["scope"])
    if after != before:
        _restore(user.id, before)
    if not done and not _denied(response):
        return done, -response.status_code
    return done, response.status_code


@pytest.mark.parametrize("role", ROLES)
def test_who_may_change_whom(app: Flask, world: World, role: str) -> None:
    client = world.client(role)
    failures = []
    for target in _targets(role):
        done, status = _act(world, client, role, target, deactivate=False)
        if done != (target in CHANGES.get(role, set())) or status < 0:
            failures.append(f"{role} changes {target}: done={done} status={abs(status)}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("role", ROLES)
def test_who_may_deactivate_whom(app: Flask, world: World, role: str) -> None:
    client = world.client(role)
    failures = []
    for target in _targets(role):
        done, status = _act(world, client, role, target, deactivate=True)
        if done != (target in DEACTIVATES.get(role, set())) or status < 0:
            failures.append(f"{role} deactivates {target}: done={done} status={abs(status)}")
    assert not failures, "\n".join(failures)
