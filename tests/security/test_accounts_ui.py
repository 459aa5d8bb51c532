"""Account management (SECURITY.md B): invitations and their mailed links, password reset,
deactivation, API tokens in the UI and the CLI, accounts from the CLI."""

from __future__ import annotations

import email
import email.policy
import re
import time
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from itsdangerous import TimestampSigner
from sqlalchemy import update

from omk.extensions import Base, db
from omk.models import ApiToken
from omk.models.types import utcnow
from omk.services import accounts
from omk.services.transaction import unit_of_work
from tests.conftest import PASSWORD
from tests.security.world import World

NEW_PASSWORD = "neues-passwort-aus-der-einladung"
SAME_ANSWER = "Wenn es ein Konto mit dieser Adresse gibt"


def mails(app: Flask) -> list[email.message.EmailMessage]:
    folder = Path(app.instance_path) / "mail"
    return [
        email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        for path in sorted(folder.glob("*.eml"), key=lambda p: p.stat().st_mtime_ns)
    ]


def mails_to(app: Flask, address: str) -> list[str]:
    """The bodies of the messages sent to ``address``."""
    return [m.get_content() for m in mails(app) if m["To"] == address]


def link_in(body: str) -> str:
    match = re.search(r"http://localhost(/passwort-setzen/\S+)", body)
    assert match, body
    return match.group(1)


def log_in_status(app: Flask, address: str, password: str) -> int:
    response = app.test_client().post("/anmelden", data={"email": address, "password": password})
    return response.status_code


def set_via_link(client: FlaskClient, link: str, password: str) -> tuple[int, str]:
    response = client.post(link, data={"password": password, "confirm": password})
    return response.status_code, response.get_data(as_text=True)


def test_admin_invites_and_the_link_sets_the_password_once(app: Flask, world: World) -> None:
    admin = world.client("admin")
    data = {"email": "neu.essen@example.org", "role": "reporter", "municipality": "05113000"}
    assert admin.post("/konten/einladen", data=data).status_code == 302
    bodies = mails_to(app, "neu.essen@example.org")
    assert len(bodies) == 1 and "Passwort" in bodies[0]
    link = link_in(bodies[0])
    browser = app.test_client()
    assert browser.get(link).status_code == 200
    assert log_in_status(app, "neu.essen@example.org", NEW_PASSWORD) == 401
    assert set_via_link(browser, link, NEW_PASSWORD)[0] == 302
    assert log_in_status(app, "neu.essen@example.org", NEW_PASSWORD) == 302
    # Only once: the link died with the password it set.
    status, html = set_via_link(app.test_client(), link, "und-noch-ein-anderes-passwort")
    assert status == 409 and "bereits benutzt" in html
    assert log_in_status(app, "neu.essen@example.org", NEW_PASSWORD) == 302


def test_an_expired_link_says_so_in_german(
    app: Flask, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    hours = app.config["PASSWORD_LINK_HOURS"]
    with monkeypatch.context() as m:
        m.setattr(
            TimestampSigner, "get_timestamp", lambda self: int(time.time()) - (hours + 1) * 3600
        )
        token = accounts.password_link_token(world.user("invitee_a"))
    response = app.test_client().get(f"/passwort-setzen/{token}")
    assert response.status_code == 409
    assert "Dieser Link ist abgelaufen" in response.get_data(as_text=True)
    status, _ = set_via_link(app.test_client(), f"/passwort-setzen/{token}", NEW_PASSWORD)
    assert status == 409
    assert app.test_client().get("/passwort-setzen/nicht-signiert").status_code == 404


def test_reviewer_invites_only_within_its_region(app: Flask, world: World) -> None:
    reviewer = world.client("reviewer_05")
    invite = lambda **data: reviewer.post("/konten/einladen", data=data).status_code  # noqa: E731
    # A reporter only for a municipality without one (Alsdorf); Köln has its reporter, who
    # invites colleagues itself (issue 9).
    assert invite(email="r1@example.org", role="reporter", municipality="05334004") == 302
    assert invite(email="r0@example.org", role="reporter", municipality="05315000") == 403
    assert invite(email="r2@example.org", role="staff", municipality="05113000") == 302
    assert invite(email="r3@example.org", role="reviewer", scope="053") == 302
    assert invite(email="r4@example.org", role="reporter", municipality="06632001") == 403
    assert invite(email="r5@example.org", role="reviewer", scope="06") == 403
    assert invite(email="r6@example.org", role="reviewer", scope="0") in (403, 422)
    assert invite(email="r7@example.org", role="staff") == 403  # a reader of no municipality
    assert invite(email="r8@example.org", role="admin") == 422  # not even offered
    sent = {m["To"] for m in mails(app)}
    assert {"r1@example.org", "r2@example.org", "r3@example.org"} <= sent
    assert not sent & {f"r{i}@example.org" for i in (0, 4, 5, 6, 7, 8)}
    html = reviewer.get("/konten/einladen").get_data(as_text=True)
    assert 'value="admin"' not in html


def test_reviewer_edits_only_within_its_region(app: Flask, world: World) -> None:
    reviewer = world.client("reviewer_05")
    user_id = world.user_ids["reporter_b"]
    assert reviewer.get(f"/konten/{user_id}").status_code == 200
    moved = {"role": "reporter", "municipality": "06632001", "is_active": "y"}
    assert reviewer.post(f"/konten/{user_id}", data=moved).status_code == 403
    promoted = {"role": "reviewer", "municipality": "05315000", "scope": "06", "is_active": "y"}
    assert reviewer.post(f"/konten/{user_id}", data=promoted).status_code == 403
    db.session.rollback()
    user = world.user("reporter_b")
    assert (user.role, user.municipality_key, user.scope) == ("reporter", "05315000", None)
    listed = reviewer.get("/konten/").get_data(as_text=True)
    for name, shown in {
        "reporter_a": True,
        "reporter_b": True,
        "staff_a": True,
        "reporter_c": False,
        "reviewer_06": False,
        "staff": False,
        "admin": False,
        "reviewer_05": False,
    }.items():
        assert (f'href="/konten/{world.user_ids[name]}"' in listed) is shown, name


def test_forgotten_password_gives_the_same_answer_either_way(app: Flask, world: World) -> None:
    answers = []
    for address in (world.emails["reporter_a"], "niemand@example.org"):
        client = app.test_client()
        response = client.post("/passwort-vergessen", data={"email": address})
        page = client.get(response.headers["Location"]).get_data(as_text=True)
        answers.append((response.status_code, response.headers["Location"], SAME_ANSWER in page))
    assert answers[0] == answers[1] == (302, "/anmelden", True)
    assert mails_to(app, "niemand@example.org") == []
    (body,) = mails_to(app, world.emails["reporter_a"])
    link = link_in(body)
    assert set_via_link(app.test_client(), link, NEW_PASSWORD)[0] == 302
    assert log_in_status(app, world.emails["reporter_a"], PASSWORD) == 401
    assert log_in_status(app, world.emails["reporter_a"], NEW_PASSWORD) == 302


def test_a_deactivated_account_gets_no_reset_mail_and_cannot_log_in(
    app: Flask, world: World
) -> None:
    admin = world.client("admin")
    user_id = world.user_ids["staff_a"]
    data = {"role": "staff", "municipality": "05113000"}  # is_active unticked
    assert admin.post(f"/konten/{user_id}", data=data).status_code == 302
    address = world.emails["staff_a"]
    assert log_in_status(app, address, PASSWORD) == 401
    response = app.test_client().post("/passwort-vergessen", data={"email": address})
    assert response.status_code == 302
    assert mails_to(app, address) == []


def _all_rows_text() -> str:
    with db.engine.connect() as conn:
        return repr([conn.execute(t.select()).all() for t in Base.metadata.sorted_tables])


def test_api_tokens_from_the_ui(app: Flask, world: World) -> None:
    browser = world.client("reporter_a")
    html = browser.post("/konto/tokens", data={"label": "Fachverfahren"}).get_data(as_text=True)
    match = re.search(r"(omk_[A-Za-z0-9_-]{30,})", html)
    assert match, "the new token is shown once"
    token = match.group(1)
    assert token not in browser.get("/konto/").get_data(as_text=True)
    bearer = {"Authorization": f"Bearer {token}"}
    me = app.test_client().get("/api/v1/me", headers=bearer)
    assert me.status_code == 200 and me.json is not None
    assert me.json["email"] == world.emails["reporter_a"]
    # Stored hashed: the token (beyond its displayed prefix) is in no table.
    rows = _all_rows_text()
    assert token not in rows and token[12:] not in rows
    db.session.rollback()
    row = db.session.query(ApiToken).filter_by(label="Fachverfahren").one()
    assert browser.post(f"/konto/tokens/{row.id}/widerrufen").status_code == 302
    assert app.test_client().get("/api/v1/me", headers=bearer).status_code == 401


def test_expired_and_foreign_tokens(app: Flask, world: World) -> None:
    token = world.api_tokens["staff"]
    bearer = {"Authorization": f"Bearer {token}"}
    assert app.test_client().get("/api/v1/me", headers=bearer).status_code == 200
    with unit_of_work():
        db.session.execute(
            update(ApiToken)
            .where(ApiToken.id == world.token_ids["staff"])
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
    response = app.test_client().get("/api/v1/me", headers=bearer)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    # Someone else's token id cannot be revoked (and is not revealed to exist).
    other = world.token_ids["reporter_b"]
    assert world.client("reporter_a").post(f"/konto/tokens/{other}/widerrufen").status_code == 404
    for header in ("Bearer omk_erfunden", "Bearer ", "Basic dXNlcjpwdw==", token):
        assert (
            app.test_client().get("/api/v1/me", headers={"Authorization": header}).status_code
            == 401
        )


def test_tokens_from_the_cli(app: Flask, world: World) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(args=["tokens", "create", world.emails["reviewer_05"], "--days", "2"])
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    assert token.startswith("omk_")
    me = app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200 and me.json is not None and me.json["scope"] == "05"
    assert token not in _all_rows_text()
    db.session.rollback()
    newest = db.session.query(ApiToken).order_by(ApiToken.id.desc()).first()
    assert newest is not None and newest.expires_at - utcnow() <= timedelta(days=2)
    result = runner.invoke(args=["tokens", "create", "niemand@example.org"])
    assert result.exit_code == 1


def test_users_from_the_cli_with_the_password_on_stdin(app: Flask, world: World) -> None:
    runner = app.test_cli_runner()
    password = "  ein Passwort mit Leerzeichen am Rand  "
    args = ["users", "create", "cli@example.org", "--role", "reporter"]
    result = runner.invoke(
        args=[*args, "--municipality", "05315000", "--password-stdin"], input=password + "\n"
    )
    assert result.exit_code == 0, result.output
    assert log_in_status(app, "cli@example.org", password) == 302
    result = runner.invoke(
        args=["users", "create", "cli2@example.org", "--role", "staff", "--password-stdin"],
        input="passwort1234\n",
    )
    assert result.exit_code == 1 and "zu verbreitet" in result.output
    result = runner.invoke(
        args=["users", "create", "cli3@example.org", "--role", "reviewer", "--invite"]
    )
    assert result.exit_code == 1  # a reviewer needs a region


def test_an_invitation_from_the_cli_mails_a_working_link(app: Flask, world: World) -> None:
    """The command line sends the same invitation as the screens (outside any request)."""
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["users", "create", "cli.eingeladen@example.org", "--role", "staff", "--invite"]
    )
    assert result.exit_code == 0, result.output
    (body,) = mails_to(app, "cli.eingeladen@example.org")
    assert set_via_link(app.test_client(), link_in(body), NEW_PASSWORD)[0] == 302
    assert log_in_status(app, "cli.eingeladen@example.org", NEW_PASSWORD) == 302
