"""Demo data: one account per role (and, with the reporting module, real practices)."""

from __future__ import annotations

from dataclasses import dataclass

from omk.extensions import db
from omk.models.accounts import Role, User
from omk.services import accounts

DEMO_PASSWORD = "Demo-Passwort-2026"  # noqa: S105 - printed for the local demo on purpose


@dataclass(frozen=True)
class DemoAccount:
    email: str
    role: Role
    name: str
    municipality: str | None = None
    scope: str | None = None


DEMO_ACCOUNTS = [
    DemoAccount("admin@example.org", Role.ADMIN, "Betrieb (Admin)"),
    DemoAccount("pruefung.nrw@example.org", Role.REVIEWER, "Prüfstelle NRW", scope="05"),
    DemoAccount(
        "bericht.essen@example.org",
        Role.REPORTER,
        "Integrationsbüro Essen",
        municipality="05113000",
    ),
    DemoAccount("fachkraft@example.org", Role.STAFF, "Fachkraft Integration"),
]


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


__all__ = ["DEMO_ACCOUNTS", "DEMO_PASSWORD", "db", "demo_users", "ensure_accounts"]
