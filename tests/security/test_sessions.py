"""Sessions (SECURITY.md B): logout and password change make captured cookies worthless, a
login starts a new session, remember-me lasts days, deactivation ends everything."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from omk.extensions import db
from omk.models import User, UserSession
from omk.models.types import utcnow
from tests.conftest import PASSWORD
from tests.security.world import World

PROTECTED = "/konto/"
NEW_PASSWORD = "ein-ganz-anderes-neues-passwort"


def log_in(
    client: FlaskClient, email: str, password: str = PASSWORD, remember: bool = True
) -> None:
    data = {"email": email, "password": password}
    if remember:
        data["remember"] = "y"
    response = client.post("/anmelden", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    assert client.get(PROTECTED).status_code == 200


def captured(client: FlaskClient) -> dict[str, str]:
    """The cookies a thief would copy from this browser."""
    cookies = {}
    for name in ("session", "remember_token"):
        cookie = client.get_cookie(name)
        if cookie is not None:
            cookies[name] = cookie.value
    return cookies


def replay(app: Flask, cookies: dict[str, str]) -> int:
    """The status of the protected page in a new browser holding (some of) those cookies."""
    client = app.test_client()
    for name, value in cookies.items():
        client.set_cookie(name, value)
    return client.get(PROTECTED).status_code


def assert_dead(app: Flask, cookies: dict[str, str]) -> None:
    """Neither cookie alone nor both together open a protected page."""
    assert {"session", "remember_token"} <= cookies.keys()
    for subset in ({"session"}, {"remember_token"}, {"session", "remember_token"}):
        status = replay(app, {k: v for k, v in cookies.items() if k in subset})
        assert not 200 <= status < 300, (subset, status)


def test_captured_cookies_are_dead_after_logout(app: Flask, world: World) -> None:
    client = app.test_client()
    log_in(client, world.emails["reporter_a"])
    stolen = captured(client)
    assert replay(app, stolen) == 200  # the copy works while the session lives
    assert replay(app, {"remember_token": stolen["remember_token"]}) == 200
    assert client.post("/abmelden").status_code == 302
    assert client.get(PROTECTED).status_code == 302
    assert_dead(app, stolen)


def test_password_change_ends_the_other_sessions_but_not_this_one(app: Flask, world: World) -> None:
    email = world.emails["reporter_a"]
    changing, other = app.test_client(), app.test_client()
    log_in(changing, email)
    log_in(other, email)
    stolen = captured(other)
    response = changing.post(
        "/konto/passwort",
        data={"current": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert changing.get(PROTECTED).status_code == 200  # this browser stays logged in
    assert other.get(PROTECTED).status_code == 302
    assert_dead(app, stolen)
    log_in(app.test_client(), email, NEW_PASSWORD)


def test_a_password_set_by_link_ends_every_session(app: Flask, world: World) -> None:
    from omk.services import accounts

    email = world.emails["reporter_a"]
    browser = app.test_client()
    log_in(browser, email)
    stolen = captured(browser)
    link = accounts.password_link_token(world.user("reporter_a"))
    response = app.test_client().post(
        f"/passwort-setzen/{link}", data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )
    assert response.status_code == 302
    assert browser.get(PROTECTED).status_code == 302
    assert_dead(app, stolen)


def _session_id(client: FlaskClient) -> str | None:
    with client.session_transaction() as session:
        value = session.get("_user_id")
    return value


def test_login_starts_a_new_session(app: Flask, world: World) -> None:
    """No session fixation: the identifier is new at every login, and the cookie the browser
    held before logging in does not become a logged-in session."""
    client = app.test_client()
    client.get("/anmelden")
    before_login = captured(client)
    assert _session_id(client) is None
    log_in(client, world.emails["reporter_a"], remember=False)
    first = _session_id(client)
    assert first
    assert replay(app, before_login) == 302
    client.post("/abmelden")
    log_in(client, world.emails["reporter_a"], remember=False)
    second = _session_id(client)
    assert second and second != first
    # A session cookie planted with someone's session id is replaced at login.
    planted = app.test_client()
    with planted.session_transaction() as session:
        session["_user_id"] = second
    log_in(planted, world.emails["reporter_b"], remember=False)
    assert _session_id(planted) not in (first, second)
    assert world.emails["reporter_b"] in planted.get(PROTECTED).get_data(as_text=True)
    assert client.get(PROTECTED).status_code == 302  # the planted session was ended


def test_remember_me_lasts_days_not_a_year(app: Flask, world: World) -> None:
    assert timedelta(days=1) <= app.config["REMEMBER_COOKIE_DURATION"] <= timedelta(days=30)
    client = app.test_client()
    log_in(client, world.emails["staff"])
    cookie = client.get_cookie("remember_token")
    assert cookie is not None and cookie.expires is not None
    db.session.rollback()
    newest = db.session.scalars(select(UserSession).order_by(UserSession.id.desc()).limit(1)).one()
    assert newest.expires_at - utcnow() <= timedelta(days=30)


def test_an_expired_server_side_session_is_dead(app: Flask, world: World) -> None:
    from omk.services.transaction import unit_of_work

    client = app.test_client()
    log_in(client, world.emails["staff"])
    with unit_of_work():
        for row in db.session.scalars(select(UserSession)):
            row.expires_at = utcnow() - timedelta(seconds=1)
    assert client.get(PROTECTED).status_code == 302
    assert_dead(app, captured(client))


def test_deactivation_ends_sessions_and_tokens(
    app: Flask, world: World, make_user: Callable[..., User]
) -> None:
    email = world.emails["reporter_a"]
    browser = app.test_client()
    log_in(browser, email)
    stolen = captured(browser)
    bearer = {"Authorization": f"Bearer {world.api_tokens['reporter_a']}"}
    assert app.test_client().get("/api/v1/me", headers=bearer).status_code == 200
    admin = world.client("admin")
    user_id = world.user_ids["reporter_a"]
    form = {"role": "reporter", "municipality": "05113000"}  # is_active unticked
    assert admin.post(f"/konten/{user_id}", data=form).status_code == 302
    assert browser.get(PROTECTED).status_code == 302
    assert_dead(app, stolen)
    assert app.test_client().get("/api/v1/me", headers=bearer).status_code == 401
    response = app.test_client().post("/anmelden", data={"email": email, "password": PASSWORD})
    assert response.status_code == 401
    # Reactivating the account does not bring the old session or token back.
    assert admin.post(f"/konten/{user_id}", data={**form, "is_active": "y"}).status_code == 302
    assert_dead(app, stolen)
    assert app.test_client().get("/api/v1/me", headers=bearer).status_code == 401


def test_following_a_password_link_logs_the_browser_out_for_real(app: Flask, world: World) -> None:
    """Someone logged in who sets another account's password through its link is logged
    out, and their session ends on the server too (a copied cookie is worthless)."""
    from omk.services import accounts

    browser = app.test_client()
    log_in(browser, world.emails["reporter_b"])
    stolen = captured(browser)
    link = accounts.password_link_token(world.user("invitee_a"))
    response = browser.post(
        f"/passwort-setzen/{link}", data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )
    assert response.status_code == 302
    assert browser.get(PROTECTED).status_code == 302
    assert_dead(app, stolen)
