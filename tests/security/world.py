"""The small world the security tests act in: one account per matrix role, records that
belong to municipality A, B or C (or to region 05 or 06), and the values that replace a
route's URL parameters.

Municipality A is Essen (05113000), B is Köln (05315000, same Land 05), C is Alheim
(06632001, Land 06). A route parameter gets its values from :data:`PARAMETERS` by name;
a new route with a parameter name not listed there fails ``test_inventory`` until a
provider is added here.
"""

from __future__ import annotations

import contextvars
import hashlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.routing import Rule

from omk.extensions import Base, db
from omk.models.accounts import User
from omk.services import accounts

A, B, C = "05113000", "05315000", "06632001"

#: The roles of the matrix (SECURITY.md A), in the order requests are made.
ROLES = (
    "anonymous",
    "reporter_a",
    "reporter_b",
    "reporter_c",
    "reviewer_05",
    "reviewer_06",
    "staff",
    "admin",
)
ACCOUNT_ROLES = ROLES[1:]

#: Accounts of the world: the acting roles, plus accounts that are only ever targets.
ACCOUNTS: dict[str, dict[str, Any]] = {
    "reporter_a": {"role": "reporter", "municipality": A},
    "reporter_b": {"role": "reporter", "municipality": B},
    "reporter_c": {"role": "reporter", "municipality": C},
    "reviewer_05": {"role": "reviewer", "scope": "05"},
    "reviewer_06": {"role": "reviewer", "scope": "06"},
    "staff": {"role": "staff"},
    "admin": {"role": "admin"},
    # Targets only: a reader tied to A, and an invited reporter of A (no password yet).
    "staff_a": {"role": "staff", "municipality": A},
    "invitee_a": {"role": "reporter", "municipality": A, "invited": True},
}

#: Which tenant (municipality A/B/C, or a region) each labelled record belongs to.
TENANT = {
    "reporter_a": "A",
    "staff_a": "A",
    "invitee_a": "A",
    "reporter_b": "B",
    "reporter_c": "C",
    "reviewer_05": "05",
    "reviewer_06": "06",
    "staff": "global",
    "admin": "global",
}

MISSING = "missing"


class IsolatedClient(FlaskClient):
    """A test client whose every request gets its own app context, as in production.

    The ``app`` fixture keeps an app context pushed; Flask reuses it for requests, so ``g``
    (and with it Flask-Login's cached user) would leak from one client's request into the
    next client's. Running each request in an empty ``contextvars.Context`` prevents that.
    """

    def open(self, *args: Any, **kwargs: Any) -> Any:
        return contextvars.Context().run(super().open, *args, **kwargs)


@dataclass(frozen=True)
class Target:
    """One value for a URL parameter: its label in the expectation table, and the value."""

    label: str
    value: Any


@dataclass
class World:
    """Accounts, their API tokens and records, and how to act as each role."""

    app: Flask
    user_ids: dict[str, int] = field(default_factory=dict)
    emails: dict[str, str] = field(default_factory=dict)
    api_tokens: dict[str, str] = field(default_factory=dict)  # raw bearer token by owner
    token_ids: dict[str, int] = field(default_factory=dict)  # API token row id by owner
    password_link: str = ""
    help_slug: str = ""

    def user(self, name: str) -> User:
        user = db.session.get(User, self.user_ids[name])
        assert user is not None
        return user

    def client(self, role: str) -> FlaskClient:
        """A fresh browser: anonymous, or with a new server-side session of ``role``."""
        client = self.app.test_client()
        if role != "anonymous":
            token = accounts.start_session(self.user(role))
            with client.session_transaction() as session:
                session["_user_id"] = token
                session["_fresh"] = True
        return client

    def headers(self, role: str, path: str) -> dict[str, str]:
        """API requests authenticate by bearer token (the API ignores cookies)."""
        if role == "anonymous" or not path.startswith("/api/"):
            return {}
        return {"Authorization": f"Bearer {self.api_tokens[role]}"}


def build_world(app: Flask, make_user: Callable[..., User]) -> World:
    """Create the accounts, an API token for each acting role, a password link."""
    world = World(app=app)
    for name, spec in ACCOUNTS.items():
        email = f"{name.replace('_', '.')}@example.org"
        if spec.get("invited"):
            # An invited account has no password until it follows its link.
            user = accounts.create_user(
                None, email, spec["role"], municipality_key=spec.get("municipality")
            )
        else:
            user = make_user(
                spec["role"],
                email=email,
                municipality=spec.get("municipality"),
                scope=spec.get("scope"),
            )
        world.user_ids[name] = user.id
        world.emails[name] = user.email
    for name in ACCOUNT_ROLES:
        user = world.user(name)
        world.api_tokens[name] = accounts.create_token(None, user, f"matrix {name}")
        world.token_ids[name] = accounts.tokens_of(world.user(name))[0].id
    world.password_link = accounts.password_link_token(world.user("invitee_a"))
    world.help_slug = next(iter(app.extensions["omk_content"].help_pages))
    db.session.rollback()
    return world


# --- URL parameters ---------------------------------------------------------------------


def _user_ids(w: World) -> list[Target]:
    return [Target(name, uid) for name, uid in w.user_ids.items()]


def _token_ids(w: World) -> list[Target]:
    return [Target(f"token:{name}", tid) for name, tid in w.token_ids.items()]


def _municipalities(w: World) -> list[Target]:
    return [Target("A", A), Target("B", B), Target("C", C)]


#: Values for every URL parameter name in use: the records of the world, labelled.
#: A provider returns real values; a "missing" value (which must answer 404) is added.
PARAMETERS: dict[str, Callable[[World], list[Target]]] = {
    "user_id": _user_ids,
    "token_id": _token_ids,
    "token": lambda w: [Target("link:invitee_a", w.password_link)],
    "slug": lambda w: [Target("help", w.help_slug)],
    "key": _municipalities,
    "ags": _municipalities,
}

#: Values that exist nowhere, by converter, for the "missing" probe.
MISSING_VALUES = {"int": 987_654, "default": "fehlt-0000", "string": "fehlt-0000"}


def rule_parameters(rule: Rule) -> list[tuple[str, str]]:
    """(name, converter) of a rule's parameters, in the order they appear in the path."""
    found = re.findall(
        r"<(?:([a-zA-Z_][a-zA-Z0-9_]*)(?:\([^)]*\))?:)?([a-zA-Z_][a-zA-Z0-9_]*)>", rule.rule
    )
    return [(name, converter or "default") for converter, name in found]


@dataclass(frozen=True)
class Probe:
    """One concrete URL of a rule: its label (the primary parameter's label, or 'missing')."""

    label: str
    values: dict[str, Any]


def probes(world: World, rule: Rule) -> Iterator[Probe]:
    """Every record for the first parameter (others fixed), and a missing value per parameter."""
    params = rule_parameters(rule)
    if not params:
        yield Probe("-", {})
        return
    real: dict[str, list[Target]] = {}
    for name, _converter in params:
        provider = PARAMETERS.get(name)
        real[name] = provider(world) if provider else []
    first_name = params[0][0]
    if all(real[name] for name, _ in params):
        base = {name: real[name][0].value for name, _ in params}
        for target in real[first_name]:
            yield Probe(target.label, {**base, first_name: target.value})
    for name, converter in params:
        values = {
            n: (real[n][0].value if real[n] else MISSING_VALUES["default"]) for n, _ in params
        }
        values[name] = MISSING_VALUES.get(converter, MISSING_VALUES["default"])
        yield Probe(MISSING, values)


def state_methods(rule: Rule) -> list[str]:
    """The methods of a rule worth testing (HEAD and OPTIONS are Flask's own)."""
    return sorted(m for m in (rule.methods or set()) if m not in {"HEAD", "OPTIONS"})


def routes(app: Flask) -> list[Rule]:
    """Every rule but static files, sorted by endpoint."""
    return sorted(
        (r for r in app.url_map.iter_rules() if r.endpoint != "static"),
        key=lambda r: (r.endpoint, r.rule),
    )


# --- the database, byte for byte ----------------------------------------------------------


def table_digests() -> dict[str, str]:
    """A digest of every row of every table (in primary-key order), read on a fresh
    connection so that no transaction of the test's session hides a change."""
    digests: dict[str, str] = {}
    with db.engine.connect() as conn:
        for name, sql in _dump_statements(db.engine.dialect.name):
            rows = [tuple(row) for row in conn.exec_driver_sql(sql)]  # a Row's repr is slow
            digests[name] = hashlib.sha256(repr(rows).encode()).hexdigest()
        conn.rollback()
    return digests


@cache
def _dump_statements(dialect: str) -> list[tuple[str, str]]:
    """One plain SELECT per table, ordered by its primary key (raw SQL: fast, no type
    conversion, so the digest sees what is stored)."""
    statements = []
    for table in Base.metadata.sorted_tables:
        order = list(table.primary_key.columns) or list(table.columns)
        columns = ", ".join(f'"{c.name}"' for c in order)
        statements.append((table.name, f'SELECT * FROM "{table.name}" ORDER BY {columns}'))
    return statements


def changed_tables(before: dict[str, str], after: dict[str, str]) -> list[str]:
    return sorted(name for name in after if before.get(name) != after[name])
