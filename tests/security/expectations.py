"""The one table of who may succeed on which route: endpoint → declared action and the
(role, record) pairs that are allowed. Everything not allowed must be denied (403/404, for
anonymous a login redirect or 401), never a success.

Derived from DOMAIN.md and ``omk.policy``; written out by hand on purpose, so that a change
of the policy or of a route's declaration shows up here as a failing test. Every endpoint of
the app must be listed (``test_inventory``); an endpoint that is not yet listed is still
tested by the matrix with :func:`default_for`, which only knows the route-level rule.

Record labels are those of ``tests/security/world.py``: account names for ``user_id``,
``token:<owner>`` for ``token_id``, ``A``/``B``/``C`` for municipality keys.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from omk.models.accounts import Role
from omk.policy import ROLE_ACTIONS, Action
from tests.security.world import ACCOUNT_ROLES, ACCOUNTS, MISSING, ROLES

ANY = "*"


@dataclass(frozen=True)
class Expect:
    """A route's declaration and who may succeed on it.

    ``roles``: roles allowed on every record; ``records``: role → labels of the records that
    role is allowed on (for routes with a per-object check).
    """

    action: Action
    per_object: bool = False
    roles: frozenset[str] = frozenset()
    records: dict[str, frozenset[str]] = field(default_factory=dict)
    #: Roles whose outcome is not asserted (only for routes missing from the table).
    unknown: frozenset[str] = frozenset()

    def outcome(self, role: str, label: str) -> str:
        """'allow', 'deny' or 'any' for ``role`` on the record labelled ``label``
        ('-': the route has no record in its URL)."""
        if label == MISSING:
            return "deny"  # a record that does not exist is a 404 for everyone
        if role in self.roles:
            return "allow"
        labels = self.records.get(role, frozenset())
        if ANY in labels or label in labels:
            return "allow"
        return "any" if role in self.unknown else "deny"


def public() -> Expect:
    return Expect(Action.PUBLIC, roles=frozenset(ROLES))


def only(action: Action, *roles: str) -> Expect:
    return Expect(action, roles=frozenset(roles))


def per_record(action: Action, **records: set[str] | str) -> Expect:
    return Expect(
        action,
        per_object=True,
        records={
            role: frozenset({labels} if isinstance(labels, str) else labels)
            for role, labels in records.items()
        },
    )


ACCOUNTS_ONLY = ACCOUNT_ROLES
USER_MANAGERS = ("reviewer_05", "reviewer_06", "admin")

#: Accounts a reviewer of 05 manages: reporters and readers tied to a municipality of 05.
REGION_05_ACCOUNTS = {"reporter_a", "reporter_b", "staff_a", "invitee_a"}
REGION_06_ACCOUNTS = {"reporter_c"}

EXPECTED: dict[str, Expect] = {
    # Public pages and forms.
    "main.index": public(),
    "main.help_index": public(),
    "main.help_page": public(),
    "main.language": public(),
    "auth.login": public(),
    "auth.forgot": public(),
    "auth.set_password": public(),  # the e-mailed link is the credential
    "municipalities.index": public(),
    "municipalities.detail": public(),
    "health.healthz": public(),
    "api.list_municipalities": public(),
    "api.get_municipality": public(),
    "api.openapi_json": public(),
    "api.docs": public(),
    # One's own account.
    "auth.logout": only(Action.LOGGED_IN, *ACCOUNTS_ONLY),
    "account.index": only(Action.LOGGED_IN, *ACCOUNTS_ONLY),
    "account.password": only(Action.LOGGED_IN, *ACCOUNTS_ONLY),
    "account.create_token": only(Action.ACCOUNT_TOKENS, *ACCOUNTS_ONLY),
    "api.me": only(Action.LOGGED_IN, *ACCOUNTS_ONLY),
    # Own tokens only; the operator may revoke anyone's. (The service answers 404.)
    "account.revoke_token": Expect(
        Action.ACCOUNT_TOKENS,
        records={
            **{role: frozenset({f"token:{role}"}) for role in ACCOUNT_ROLES},
            "admin": frozenset({ANY}),
        },
    ),
    # Account management: the operator everywhere, reviewers in their region only.
    "users.index": only(Action.USERS_MANAGE, *USER_MANAGERS),
    "users.invite": only(Action.USERS_MANAGE, *USER_MANAGERS),
    "users.edit": per_record(
        Action.USERS_MANAGE,
        admin=ANY,
        reviewer_05=REGION_05_ACCOUNTS,
        reviewer_06=REGION_06_ACCOUNTS,
    ),
    "users.resend": per_record(
        Action.USERS_MANAGE,
        admin=ANY,
        reviewer_05=REGION_05_ACCOUNTS,
        reviewer_06=REGION_06_ACCOUNTS,
    ),
}


def default_for(action: Action, per_object: bool) -> Expect:
    """What the matrix assumes for a route missing from :data:`EXPECTED`: roles that may
    never do the action are denied; the others are only held to "no server error"."""
    if action == Action.PUBLIC:
        return Expect(action, roles=frozenset(ROLES))
    roles = frozenset(
        name for name in ACCOUNT_ROLES if action in ROLE_ACTIONS[Role(ACCOUNTS[name]["role"])]
    )
    if per_object:
        return Expect(action, per_object=True, unknown=roles)
    return Expect(action, roles=roles)
