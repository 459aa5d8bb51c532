"""Login throttling across workers (SECURITY.md B, OWASP ASVS 5.0 V6.3): two app instances on
one database stand for two gunicorn workers; the failures they count add up. Throttling slows
guessing down and never locks the owner out: past a limit each further password check waits
twice as long as the one before (1 s, 2 s … 15 min), answered with 429 and Retry-After.
Logins, failures, logouts and throttled attempts are logged with user and address, never with
the password.

A controllable clock (``clock`` fixture) walks through the waits; nothing here sleeps.
"""

from __future__ import annotations

import email
import logging
import threading
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from omk.extensions import db
from omk.models import AuditEntry, LoginThrottle, User
from omk.models.accounts import ANY
from omk.models.types import utcnow
from omk.services import accounts, throttle
from tests.conftest import PASSWORD

WRONG = "falsches-passwort-nummer-"
THROTTLED = "Zu viele fehlgeschlagene Anmeldeversuche"
NEW_PASSWORD = "ein-ganz-neues-passwort-fuer-die-kommune"


class Clock:
    """The throttle's clock, moved by hand."""

    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(throttle, "clock", fake)
    return fake


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


def post_login(worker: Flask, email_address: str, password: str, address: str = "127.0.0.1") -> Any:
    return browser_at(worker, address).post(
        "/anmelden", data={"email": email_address, "password": password}
    )


def attempt(
    worker: Flask, email_address: str, password: str, address: str = "127.0.0.1"
) -> tuple[int, str]:
    response = post_login(worker, email_address, password, address)
    return response.status_code, response.get_data(as_text=True)


def retry_after(worker: Flask, email_address: str, address: str = "127.0.0.1") -> int:
    """Assert that the next attempt must wait; return its Retry-After in seconds."""
    response = post_login(worker, email_address, PASSWORD, address)
    assert response.status_code == 429, response.status_code
    assert THROTTLED in response.get_data(as_text=True)
    return int(response.headers["Retry-After"])


def fail_evaluated(
    worker: Flask, clock: Clock, email_address: str, address: str, times: int
) -> None:
    """Make ``times`` wrong attempts that are all checked, waiting out every wait."""
    for i in range(times):
        response = post_login(worker, email_address, f"{WRONG}{i}", address)
        if response.status_code == 429:
            clock.advance(int(response.headers["Retry-After"]))
            response = post_login(worker, email_address, f"{WRONG}{i}", address)
        assert response.status_code == 401, response.status_code


def outbox(app: Flask) -> list[email.message.Message]:
    folder = Path(app.instance_path) / "mail"
    paths = sorted(folder.glob("*.eml")) if folder.exists() else []
    return [email.message_from_bytes(p.read_bytes()) for p in paths]


def attack_mails(app: Flask) -> list[email.message.Message]:
    return [m for m in outbox(app) if "Anmeldeversuche" in str(m["Subject"])]


# --- the rule ---------------------------------------------------------------------------------


def test_the_schedule_doubles_up_to_fifteen_minutes() -> None:
    waits = [throttle.delay(f, 5).total_seconds() for f in range(18)]
    assert waits == [0] * 5 + [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900, 900]


def test_each_further_attempt_waits_twice_as_long(
    workers: tuple[Flask, Flask], make_user: Callable[..., User], clock: Clock
) -> None:
    one, two = workers
    user = make_user("staff")
    free = one.config["LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS"]
    for i in range(free):
        assert attempt((one, two)[i % 2], user.email, f"{WRONG}{i}")[0] == 401
    expected = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900]
    for n, wait in enumerate(expected):
        worker = (one, two)[n % 2]
        # Even the right password waits; so does the other worker.
        assert retry_after(worker, user.email) == wait
        assert retry_after((two, one)[n % 2], user.email) == wait
        clock.advance(wait - 0.5)
        assert retry_after(worker, user.email) == 1
        clock.advance(0.5)
        assert attempt(worker, user.email, f"{WRONG}late{n}")[0] == 401
    assert retry_after(one, user.email) == 900
    clock.advance(900)
    assert attempt(two, user.email, PASSWORD)[0] == 302


def test_the_wait_is_a_429_with_retry_after_and_a_message_in_words(
    app: Flask, make_user: Callable[..., User], clock: Clock
) -> None:
    user = make_user("staff")
    fail_evaluated(app, clock, user.email, "127.0.0.1", 6)
    response = post_login(app, user.email, PASSWORD)
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "2"
    html = response.get_data(as_text=True)
    assert "Bitte warten Sie 2 Sekunden" in html
    assert "Ihr Konto ist nicht gesperrt" in html
    clock.advance(1)
    response = post_login(app, user.email, PASSWORD)
    assert response.headers["Retry-After"] == "1"
    assert "Bitte warten Sie 1 Sekunde " in response.get_data(as_text=True)

    fail_evaluated(app, clock, user.email, "127.0.0.1", 10)
    response = browser_at(app, "127.0.0.1").post(
        "/anmelden",
        data={"email": user.email, "password": PASSWORD},
        headers={"Accept-Language": "en"},
    )
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "900"
    html = response.get_data(as_text=True)
    assert "Please wait 15 minutes" in html, html
    assert "Your account is not locked" in html


def test_the_owner_is_not_locked_out_by_failures_from_another_address(
    workers: tuple[Flask, Flask], make_user: Callable[..., User], clock: Clock
) -> None:
    one, two = workers
    owners = [
        make_user("admin"),
        make_user("reviewer", scope="05"),
        make_user("reporter", municipality="05113000"),
    ]
    for owner in owners:
        fail_evaluated(one, clock, owner.email, "198.51.100.66", 10)
        assert retry_after(two, owner.email, "198.51.100.66") >= 1
        # The owner, elsewhere, logs in at once: no wait, no lock.
        assert attempt(two, owner.email, PASSWORD, "192.0.2.10")[0] == 302
        # And still makes a typo or two without waiting.
        assert attempt(one, owner.email, "vertippt", "192.0.2.10")[0] == 401
        assert attempt(one, owner.email, PASSWORD, "192.0.2.10")[0] == 302


def test_failures_count_across_workers(
    workers: tuple[Flask, Flask], make_user: Callable[..., User], clock: Clock
) -> None:
    one, two = workers
    limit = one.config["LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS"]
    user = make_user("reporter", municipality="05113000")
    for i in range(limit - 1):
        assert attempt((one, two)[i % 2], user.email, f"{WRONG}{i}")[0] == 401
    assert attempt(one, user.email, f"{WRONG}last")[0] == 401
    for worker in (one, two):
        status, html = attempt(worker, user.email, PASSWORD)
        assert status == 429
        assert THROTTLED in html
    # Other accounts from the same address are not slowed down by it.
    other = make_user("staff")
    assert attempt(two, other.email, PASSWORD)[0] == 302
    clock.advance(1)
    assert attempt(two, user.email, PASSWORD)[0] == 302


def test_a_successful_login_clears_the_account_and_address_counter(
    app: Flask, make_user: Callable[..., User], clock: Clock
) -> None:
    user = make_user("staff")
    limit = app.config["LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS"]
    for i in range(limit - 1):
        assert attempt(app, user.email, f"{WRONG}{i}")[0] == 401
    assert attempt(app, user.email, PASSWORD)[0] == 302
    for i in range(limit):
        assert attempt(app, user.email, f"{WRONG}again{i}")[0] == 401
    assert retry_after(app, user.email) == 1
    # The success was not counted as a failure over all addresses.
    account_hash = accounts._sha256(user.email)
    db.session.rollback()
    assert throttle.state(account_hash, "127.0.0.1")["account"][0] == 2 * limit - 1


def test_the_account_limit_ignores_the_spelling_of_the_address(
    make_app: Callable[..., Flask], make_user: Callable[..., User], clock: Clock
) -> None:
    one = make_app(LOGIN_FAILURES_PER_ACCOUNT=6)
    two = make_app(LOGIN_FAILURES_PER_ACCOUNT=6)
    user = make_user("staff")
    for i in range(6):
        spelling = user.email.upper() if i % 2 else f"  {user.email}  "
        assert attempt((one, two)[i % 2], spelling, f"{WRONG}{i}", f"192.0.2.{i}")[0] == 401
    assert attempt(one, user.email, PASSWORD, address="192.0.2.200")[0] == 429
    # The account and address limit counts every spelling too.
    other = make_user("staff")
    for i in range(one.config["LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS"]):
        spelling = other.email.upper() if i % 2 else f"  {other.email}  "
        assert attempt((one, two)[i % 2], spelling, f"{WRONG}{i}", "192.0.2.77")[0] == 401
    assert attempt(one, other.email, PASSWORD, address="192.0.2.77")[0] == 429


def test_failures_count_per_address_across_workers(
    make_app: Callable[..., Flask], make_user: Callable[..., User], clock: Clock
) -> None:
    one = make_app(LOGIN_FAILURES_PER_ADDRESS=6)
    two = make_app(LOGIN_FAILURES_PER_ADDRESS=6)
    user = make_user("staff")
    for i in range(6):  # six different (unknown) accounts from one address
        attempt((one, two)[i % 2], f"gibt-es-nicht-{i}@example.org", WRONG, "203.0.113.9")
    status, html = attempt(one, user.email, PASSWORD, "203.0.113.9")
    assert status == 429 and THROTTLED in html
    assert attempt(two, user.email, PASSWORD, "203.0.113.10")[0] == 302
    clock.advance(1)
    assert attempt(two, user.email, PASSWORD, "203.0.113.9")[0] == 302


def test_an_ipv6_network_counts_as_one_address(
    app: Flask, make_user: Callable[..., User], clock: Clock
) -> None:
    user = make_user("staff")
    limit = app.config["LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS"]
    for i in range(limit):
        assert attempt(app, user.email, f"{WRONG}{i}", f"2001:db8:1:2::{i + 1:x}")[0] == 401
    assert retry_after(app, user.email, "2001:db8:1:2:ffff:ffff:ffff:fffe") == 1
    # The next /64 is someone else.
    assert attempt(app, user.email, PASSWORD, "2001:db8:1:3::1")[0] == 302
    assert throttle.address_key("::ffff:192.0.2.1") == "192.0.2.1"
    assert throttle.address_key("2001:db8:1:2:3:4:5:6") == "2001:db8:1:2::/64"
    assert throttle.address_key("-") == "-"


def test_the_window_expires(
    workers: tuple[Flask, Flask], make_user: Callable[..., User], clock: Clock
) -> None:
    one, two = workers
    user = make_user("staff")
    limit = one.config["LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS"]
    fail_evaluated(one, clock, user.email, "127.0.0.1", limit + 4)
    assert retry_after(two, user.email) == 16
    clock.advance(one.config["LOGIN_THROTTLE_WINDOW_MINUTES"] * 60 + 1)
    # A quiet window later the count starts afresh: a few failures are free again.
    for i in range(limit):
        assert attempt((one, two)[i % 2], user.email, f"{WRONG}fresh{i}")[0] == 401
    assert retry_after(one, user.email) == 1


# --- many addresses ---------------------------------------------------------------------------


def test_a_hundred_failures_an_hour_slow_every_address_and_tell_the_owner_once(
    workers: tuple[Flask, Flask], make_user: Callable[..., User], clock: Clock
) -> None:
    one, two = workers
    owner = make_user("reporter", municipality="05113000", name="Erika Muster")
    bystander = make_user("staff")
    limit = one.config["LOGIN_FAILURES_PER_ACCOUNT"]
    assert limit == 100
    for i in range(limit):
        clock.advance(1)  # 100 failures in 100 seconds, from 100 addresses
        assert attempt((one, two)[i % 2], owner.email, f"{WRONG}{i}", f"10.0.{i}.1")[0] == 401
    # Every address now waits, the owner's new one too; other accounts do not.
    assert retry_after(one, owner.email, "192.0.2.33") == 1
    assert attempt(one, bystander.email, PASSWORD, "10.0.3.1")[0] == 302
    mails = attack_mails(one)
    assert len(mails) == 1
    assert mails[0]["To"] == owner.email
    body = mails[0].get_payload(decode=True).decode("utf-8")
    assert "Ihr Konto ist nicht gesperrt" in body
    assert "http://localhost/passwort-vergessen" in body

    # The attack goes on from ever new addresses: within the hour the waits double, never
    # past 15 minutes, and the owner is not e-mailed again.
    waits = []
    for n in range(12):
        wait = retry_after((one, two)[n % 2], owner.email, f"10.1.{n}.1")
        waits.append(wait)
        clock.advance(wait)
        assert attempt((one, two)[n % 2], owner.email, f"{WRONG}x{n}", f"10.1.{n}.1")[0] == 401
    assert waits == [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900]
    assert len(attack_mails(one)) == 1
    # Never locked: once the wait is over, the owner logs in from anywhere.
    clock.advance(retry_after(two, owner.email, "192.0.2.33"))
    assert attempt(two, owner.email, PASSWORD, "192.0.2.33")[0] == 302


def test_the_owner_is_e_mailed_again_only_a_day_later(
    make_app: Callable[..., Flask], make_user: Callable[..., User], clock: Clock
) -> None:
    app = make_app(LOGIN_FAILURES_PER_ACCOUNT=3)
    owner = make_user("staff")
    for i in range(3):
        attempt(app, owner.email, WRONG, f"10.2.{i}.1")
    assert len(attack_mails(app)) == 1
    clock.advance(3600 * 2)
    for i in range(3):
        attempt(app, owner.email, WRONG, f"10.3.{i}.1")
    assert len(attack_mails(app)) == 1
    clock.advance(3600 * 23)
    for i in range(3):
        attempt(app, owner.email, WRONG, f"10.4.{i}.1")
    assert len(attack_mails(app)) == 2


def test_unknown_and_deactivated_accounts_get_no_mail(
    make_app: Callable[..., Flask], make_user: Callable[..., User], clock: Clock
) -> None:
    app = make_app(LOGIN_FAILURES_PER_ACCOUNT=3)
    gone = make_user("staff")
    accounts.update_user(None, gone, is_active=False)
    for target in (gone.email, "niemand@example.org"):
        for i in range(4):
            clock.advance(10)
            attempt(app, target, PASSWORD if i == 3 else WRONG, f"10.5.{i}.1")
    assert attack_mails(app) == []


@pytest.mark.parametrize(
    ("how", "settings", "first_hour", "later_hours"),
    [
        ("from one address", {}, 17, 4),
        ("from a new address each time", {"LOGIN_FAILURES_PER_ACCOUNT": 20}, 32, 32),
    ],
)
def test_guessing_as_fast_as_allowed_checks_a_bounded_number_of_passwords_an_hour(
    make_app: Callable[..., Flask],
    make_user: Callable[..., User],
    clock: Clock,
    how: str,
    settings: dict[str, int],
    first_hour: int,
    later_hours: int,
) -> None:
    """SECURITY.md B: the passwords checked per account and hour are bounded. From one address
    (defaults): 5 free, then waits of 1 s … 512 s, 900 s, 900 s; the count is only forgotten
    after a quiet hour. From ever new addresses: the account's limit (100 by default, 20 here)
    plus the 12 checks its waits leave in an hour."""
    app = make_app(**settings)
    user = make_user("staff")
    start = clock.now
    checked: list[float] = []
    n = 0
    while clock.now < start + timedelta(hours=3):
        n += 1
        address = "198.51.100.99" if how == "from one address" else f"10.{n // 250}.{n % 250}.7"
        response = post_login(app, user.email, f"{WRONG}{n}", address)
        if response.status_code == 429:
            clock.advance(int(response.headers["Retry-After"]))
            continue
        assert response.status_code == 401
        checked.append((clock.now - start).total_seconds())
    hours = [sum(1 for t in checked if h * 3600 <= t < (h + 1) * 3600) for h in range(3)]
    assert hours[0] == first_hour, hours
    assert hours[1] <= later_hours and hours[2] <= later_hours, hours


# --- new passwords ------------------------------------------------------------------------------


def test_a_password_reset_clears_the_account_counters(
    app: Flask, make_user: Callable[..., User], clock: Clock
) -> None:
    app.config["LOGIN_FAILURES_PER_ACCOUNT"] = 12
    user = make_user("reviewer", scope="05")
    fail_evaluated(app, clock, user.email, "198.51.100.8", 8)
    fail_evaluated(app, clock, user.email, "198.51.100.9", 6)
    assert retry_after(app, user.email, "198.51.100.8") > 0
    assert retry_after(app, user.email, "198.51.100.1") > 0  # the wait over all addresses

    token = accounts.password_link_token(user)
    response = browser_at(app, "192.0.2.5").post(
        f"/passwort-setzen/{token}", data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )
    assert response.status_code == 302
    db.session.rollback()
    assert (
        db.session.scalar(
            select(func.count(LoginThrottle.id)).where(
                LoginThrottle.account_hash == accounts._sha256(user.email)
            )
        )
        == 0
    )
    # No wait anywhere, not even where the failures came from.
    assert attempt(app, user.email, NEW_PASSWORD, "198.51.100.8")[0] == 302
    assert attempt(app, user.email, NEW_PASSWORD, "198.51.100.1")[0] == 302


def test_wrong_current_passwords_on_the_account_page_are_throttled(
    app: Flask, make_user: Callable[..., User], clock: Clock
) -> None:
    user = make_user("staff")
    browser = browser_at(app, "192.0.2.44")
    assert (
        browser.post("/anmelden", data={"email": user.email, "password": PASSWORD}).status_code
        == 302
    )
    limit = app.config["LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS"]
    form = {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    for i in range(limit):
        response = browser.post("/konto/passwort", data={**form, "current": f"{WRONG}{i}"})
        assert response.status_code == 422
    response = browser.post("/konto/passwort", data={**form, "current": PASSWORD})
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "1"
    assert "Bitte warten Sie 1 Sekunde" in response.get_data(as_text=True)
    clock.advance(1)
    response = browser.post("/konto/passwort", data={**form, "current": PASSWORD})
    assert response.status_code == 302
    # The new password cleared the counters: logging in elsewhere needs no wait.
    assert attempt(app, user.email, NEW_PASSWORD, "192.0.2.44")[0] == 302


def test_stale_counters_are_deleted(
    app: Flask, make_user: Callable[..., User], clock: Clock
) -> None:
    user = make_user("staff")
    for i in range(3):
        attempt(app, f"jemand-{i}@example.org", WRONG, f"10.9.{i}.1")
    db.session.rollback()
    assert db.session.scalar(select(func.count(LoginThrottle.id))) == 9
    clock.advance(86400 + 1)
    assert attempt(app, user.email, PASSWORD, "10.9.9.9")[0] == 302
    db.session.rollback()
    # Only the successful login's counters over all addresses (taken back to 0) are left.
    rows = db.session.execute(select(LoginThrottle.account_hash, LoginThrottle.address)).all()
    assert sorted(rows) == sorted([(accounts._sha256(user.email), ANY), (ANY, "10.9.9.9")])


# --- races --------------------------------------------------------------------------------------


@pytest.fixture
def verifications(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """Counts every password check (argon2 verify), of real and of unknown accounts."""
    calls: list[int] = []
    lock = threading.Lock()
    original = PasswordHasher.verify

    def counting(self: PasswordHasher, stored: str | bytes, password: str | bytes) -> bool:
        with lock:
            calls.append(1)
        return original(self, stored, password)

    monkeypatch.setattr(PasswordHasher, "verify", counting)
    yield calls


def run_concurrently(n: int, call: Callable[[int], int]) -> list[int]:
    barrier = threading.Barrier(n)
    statuses: list[int] = []
    lock = threading.Lock()

    def worker(i: int) -> None:
        barrier.wait()
        status = call(i)
        with lock:
            statuses.append(status)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return statuses


@pytest.mark.parametrize(
    ("case", "settings", "allowed"),
    [
        ("one account from one address", {}, 5),
        ("one account from 40 addresses", {"LOGIN_FAILURES_PER_ACCOUNT": 10}, 10),
        ("40 accounts from one address", {"LOGIN_FAILURES_PER_ADDRESS": 10}, 10),
    ],
)
def test_forty_parallel_attempts_check_no_more_passwords_than_the_rule_allows(
    make_app: Callable[..., Flask],
    make_user: Callable[..., User],
    clock: Clock,
    verifications: list[int],
    case: str,
    settings: dict[str, int],
    allowed: int,
) -> None:
    one, two = make_app(**settings), make_app(**settings)
    user = make_user("admin")
    verifications.clear()

    def guess(i: int) -> int:
        target = f"raten-{i}@example.org" if case.startswith("40 accounts") else user.email
        address = f"10.7.{i}.1" if "40 addresses" in case else "203.0.113.40"
        return post_login((one, two)[i % 2], target, f"{WRONG}{i}", address).status_code

    statuses = run_concurrently(40, guess)
    assert len(statuses) == 40
    assert len(verifications) <= allowed
    assert sorted(statuses) == [401] * len(verifications) + [429] * (40 - len(verifications))
    # With the clock standing still exactly the free attempts got through.
    assert len(verifications) == allowed
    db.session.rollback()
    counted = db.session.scalar(
        select(func.max(LoginThrottle.failures)).where(
            (LoginThrottle.address == ANY) | (LoginThrottle.account_hash == ANY)
        )
    )
    assert counted == allowed


# --- logging ------------------------------------------------------------------------------------


def test_logins_failures_lockouts_and_logouts_are_logged_without_password(
    workers: tuple[Flask, Flask],
    make_user: Callable[..., User],
    caplog: pytest.LogCaptureFixture,
    clock: Clock,
) -> None:
    one, two = workers
    user = make_user("reporter", municipality="05113000")
    caplog.set_level(logging.INFO)
    limit = one.config["LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS"]
    wrong = [f"{WRONG}{i}-Geheimnis" for i in range(limit)]
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
    # The counters keep a hash of the typed address, never the address itself.
    rows = db.session.scalars(select(LoginThrottle)).all()
    assert rows
    for row in rows:
        assert user.email not in row.account_hash and user.email not in row.address
