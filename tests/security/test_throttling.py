"""Login throttling across workers (SECURITY.md B): two app instances on one database stand
for two gunicorn workers; the failures they count add up. Logins, failures, logouts and
lockouts are logged with user and address, never with the password."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from omk.extensions import db
from omk.models import AuditEntry, LoginAttempt, User
from omk.models.types import utcnow
from omk.services.transaction import unit_of_work
from tests.conftest import PASSWORD

WRONG = "falsches-passwort-nummer-"
THROTTLED = "Zu viele fehlgeschlagene Anmeldeversuche"


@pytest.fixture
def workers(app: Flask, make_app: Callable[..., Flask]) -> tuple[Flask, Flask]:
    """Two instances of the app on the same database, like two gunicorn workers."""
    second = make_app()
    assert second.config["DATABASE_URL"] == app.config["DATABASE_URL"]
    return app, second


def browser_at(worker: Flask, address: str) -> FlaskClient:
    client: FlaskClient = worker.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def attempt(
    worker: Flask, email: str, password: str, address: str = "127.0.0.1"
) -> tuple[int, str]:
    response = browser_at(worker, address).post(
        "/anmelden", data={"email": email, "password": password}
    )
    return response.status_code, response.get_data(as_text=True)


def test_failures_count_across_workers(
    workers: tuple[Flask, Flask], make_user: Callable[..., User]
) -> None:
    one, two = workers
    limit = one.config["LOGIN_FAILURES_PER_ACCOUNT"]
    user = make_user("reporter", municipality="05113000")
    for i in range(limit - 1):
        assert attempt((one, two)[i % 2], user.email, f"{WRONG}{i}")[0] == 401
    # Below the limit the right password still works, on either worker.
    assert attempt(two, user.email, PASSWORD)[0] == 302
    assert attempt(one, user.email, f"{WRONG}last")[0] == 401
    for worker in (one, two):
        status, html = attempt(worker, user.email, PASSWORD)
        assert status == 429
        assert THROTTLED in html
    # Other accounts from the same address are not locked out by it.
    other = make_user("staff")
    assert attempt(two, other.email, PASSWORD)[0] == 302


def test_the_account_limit_ignores_the_spelling_of_the_address(
    workers: tuple[Flask, Flask], make_user: Callable[..., User]
) -> None:
    one, two = workers
    user = make_user("staff")
    for i in range(one.config["LOGIN_FAILURES_PER_ACCOUNT"]):
        spelling = user.email.upper() if i % 2 else f"  {user.email}  "
        attempt((one, two)[i % 2], spelling, f"{WRONG}{i}", address=f"192.0.2.{i}")
    assert attempt(one, user.email, PASSWORD, address="192.0.2.200")[0] == 429


def test_failures_count_per_address_across_workers(
    make_app: Callable[..., Flask], make_user: Callable[..., User]
) -> None:
    one = make_app(LOGIN_FAILURES_PER_ADDRESS=6)
    two = make_app(LOGIN_FAILURES_PER_ADDRESS=6)
    user = make_user("staff")
    for i in range(6):  # six different (unknown) accounts from one address
        attempt((one, two)[i % 2], f"gibt-es-nicht-{i}@example.org", WRONG, "203.0.113.9")
    status, html = attempt(one, user.email, PASSWORD, "203.0.113.9")
    assert status == 429 and THROTTLED in html
    assert attempt(two, user.email, PASSWORD, "203.0.113.10")[0] == 302


def test_the_window_expires(workers: tuple[Flask, Flask], make_user: Callable[..., User]) -> None:
    one, two = workers
    user = make_user("staff")
    for i in range(one.config["LOGIN_FAILURES_PER_ACCOUNT"]):
        attempt((one, two)[i % 2], user.email, f"{WRONG}{i}")
    assert attempt(one, user.email, PASSWORD)[0] == 429
    window = timedelta(minutes=one.config["LOGIN_THROTTLE_WINDOW_MINUTES"])
    with unit_of_work():
        db.session.execute(
            update(LoginAttempt).values(attempted_at=utcnow() - window - timedelta(minutes=1))
        )
    assert attempt(two, user.email, PASSWORD)[0] == 302


def test_logins_failures_lockouts_and_logouts_are_logged_without_password(
    workers: tuple[Flask, Flask],
    make_user: Callable[..., User],
    caplog: pytest.LogCaptureFixture,
) -> None:
    one, two = workers
    user = make_user("reporter", municipality="05113000")
    caplog.set_level(logging.INFO)
    wrong = [f"{WRONG}{i}-Geheimnis" for i in range(one.config["LOGIN_FAILURES_PER_ACCOUNT"])]
    browser = browser_at(one, "198.51.100.4")
    assert (
        browser.post("/anmelden", data={"email": user.email, "password": PASSWORD}).status_code
        == 302
    )
    assert browser.post("/abmelden").status_code == 302
    for i, password in enumerate(wrong):
        attempt((one, two)[i % 2], user.email, password, "198.51.100.4")
    assert attempt(two, user.email, PASSWORD, "198.51.100.4")[0] == 429

    messages = [r.getMessage() for r in caplog.records]
    who = f"user={user.id} address=198.51.100.4"
    for event in ("login:", "logout:", "login failed:", "login throttled:"):
        assert any(m.startswith(event) and who in m for m in messages), (event, messages)
    everything = caplog.text + " ".join(str(r.args) for r in caplog.records)
    for secret in [PASSWORD, *wrong]:
        assert secret not in everything
    db.session.rollback()
    for entry in db.session.scalars(select(AuditEntry)):
        assert not any(secret in repr(entry.detail) for secret in [PASSWORD, *wrong])
    # The attempts table keeps a hash of the typed address, never the address itself.
    for row in db.session.scalars(select(LoginAttempt)):
        assert user.email not in row.account_hash
