"""The demo accounts: one per role, a reporter per municipality and a reviewer per Land."""

from __future__ import annotations

from typing import Any

from omk.demo.data import DEMO_ACCOUNTS, DEMO_PASSWORD, DEMO_REPORTER_KEY, LAND_SLUGS, DemoAccount
from omk.models.accounts import Role, User
from omk.models.register import Municipality
from omk.services import accounts

# --- accounts -----------------------------------------------------------------------------


def ensure_accounts() -> list[tuple[DemoAccount, bool]]:
    """Create the demo accounts that are missing; returns (account, created) pairs."""
    result = []
    for account in DEMO_ACCOUNTS:
        existing = accounts.find_user_by_email(account.email)
        if existing is None:
            accounts.create_user(
                None,
                account.email,
                account.role.value,
                name=account.name,
                password=DEMO_PASSWORD,
                municipality_key=account.municipality,
                scope=account.scope,
            )
        result.append((account, existing is None))
    return result


def demo_users() -> list[User]:
    emails = [a.email for a in DEMO_ACCOUNTS]
    return [u for u in (accounts.find_user_by_email(e) for e in emails) if u is not None]


def _account(email: str, role: Role, name: str, **kw: Any) -> tuple[User, bool]:
    """An account without a password (it exists for the workflow; nobody logs in with it)."""
    existing = accounts.find_user_by_email(email)
    if existing is not None:
        return existing, False
    return accounts.create_user(None, email, role.value, name=name, **kw), True


def reporter_email(municipality: Municipality) -> str:
    """The demo reporter's address of a municipality (Essen: the documented demo login)."""
    ags = municipality.reporting_ags or municipality.key
    if ags == DEMO_REPORTER_KEY:
        return DEMO_ACCOUNTS[2].email
    return f"bericht.{ags}@example.org"


def reviewer_email(land_key: str) -> str:
    """The demo reviewer's address of a Land (NRW: the documented demo login)."""
    return f"pruefung.{LAND_SLUGS.get(land_key, land_key)}@example.org"
