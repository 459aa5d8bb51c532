"""Configuration refusal (SECURITY.md C): outside debug and testing the app refuses to start
with a default or short secret key, hashing below the OWASP minimum, or insecure cookies, and
names the variable to set."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import pytest

from omk import create_app
from omk.config import DEFAULT_SECRET_KEY, Defaults
from omk.services.accounts import OWASP_MIN_MEMORY_COST, OWASP_MIN_TIME_COST


def production(tmp_path: Path, **overrides: Any) -> dict[str, Any]:
    """A correct production configuration, changed by ``overrides``."""
    settings: dict[str, Any] = {
        "TESTING": False,
        "DEBUG": False,
        "SECRET_KEY": secrets.token_hex(32),
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'prod.sqlite3'}",
        "ARGON2_TIME_COST": OWASP_MIN_TIME_COST,
        "ARGON2_MEMORY_COST": OWASP_MIN_MEMORY_COST,
        "SESSION_COOKIE_SECURE": True,
    }
    settings.update(overrides)
    return settings


def refusal(settings: dict[str, Any]) -> str:
    with pytest.raises(SystemExit) as excinfo:
        create_app(settings)
    return str(excinfo.value)


def test_a_correct_production_configuration_starts(tmp_path: Path) -> None:
    app = create_app(production(tmp_path))
    assert not app.debug and not app.testing
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["REMEMBER_COOKIE_SECURE"]
    assert app.config["SESSION_COOKIE_HTTPONLY"] and app.config["REMEMBER_COOKIE_HTTPONLY"]
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


@pytest.mark.parametrize(
    ("overrides", "variable"),
    [
        ({"SECRET_KEY": DEFAULT_SECRET_KEY}, "OMK_SECRET_KEY"),
        ({"SECRET_KEY": "kurz-und-schlecht"}, "OMK_SECRET_KEY"),
        ({"SECRET_KEY": "x" * 31}, "OMK_SECRET_KEY"),
        ({"SECRET_KEY": ""}, "OMK_SECRET_KEY"),
        ({"ARGON2_TIME_COST": OWASP_MIN_TIME_COST - 1}, "OMK_ARGON2_TIME_COST"),
        ({"ARGON2_MEMORY_COST": OWASP_MIN_MEMORY_COST - 1}, "OMK_ARGON2_MEMORY_COST"),
        ({"SESSION_COOKIE_SECURE": False}, "OMK_SESSION_COOKIE_SECURE"),
    ],
    ids=[
        "default key",
        "short key",
        "31 characters",
        "empty key",
        "argon2 t",
        "argon2 m",
        "cookies",
    ],
)
def test_an_unsafe_setting_is_refused_by_name(
    tmp_path: Path, overrides: dict[str, Any], variable: str
) -> None:
    message = refusal(production(tmp_path, **overrides))
    assert variable in message
    assert message.startswith("OMK startet nicht")


def test_every_problem_is_named_at_once(tmp_path: Path) -> None:
    message = refusal(
        production(
            tmp_path,
            SECRET_KEY=DEFAULT_SECRET_KEY,
            ARGON2_MEMORY_COST=1024,
            SESSION_COOKIE_SECURE=False,
        )
    )
    for variable in ("OMK_SECRET_KEY", "OMK_ARGON2_MEMORY_COST", "OMK_SESSION_COOKIE_SECURE"):
        assert variable in message


def test_the_environment_is_checked_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = production(tmp_path)
    del settings["SECRET_KEY"], settings["SESSION_COOKIE_SECURE"]
    monkeypatch.setenv("OMK_SECRET_KEY", "zu-kurz")
    assert "OMK_SECRET_KEY" in refusal(settings)
    monkeypatch.setenv("OMK_SECRET_KEY", secrets.token_hex(32))
    monkeypatch.setenv("OMK_SESSION_COOKIE_SECURE", "false")
    assert "OMK_SESSION_COOKIE_SECURE" in refusal(settings)
    monkeypatch.setenv("OMK_SESSION_COOKIE_SECURE", "true")
    assert create_app(settings).config["SESSION_COOKIE_SECURE"] is True


def test_the_defaults_are_safe() -> None:
    """Debug is off and cookies are Secure unless someone asks otherwise; hashing meets OWASP."""
    assert Defaults.DEBUG is False and Defaults.TESTING is False
    assert Defaults.SESSION_COOKIE_SECURE is True
    assert Defaults.ARGON2_TIME_COST >= OWASP_MIN_TIME_COST
    assert Defaults.ARGON2_MEMORY_COST >= OWASP_MIN_MEMORY_COST
    assert Defaults.REMEMBER_COOKIE_DAYS <= 30
