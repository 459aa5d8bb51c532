"""Passwords (SECURITY.md B): length rules only, verbatim, common ones refused; argon2id at the
configured work factor, weaker hashes upgraded at login."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from omk.extensions import db
from omk.models import User
from omk.services import accounts
from tests.conftest import PASSWORD

#: 64 characters, spaces at both ends and inside, umlauts, a dash and an emoji.
UNICODE_64 = "  Fähre über den Fluß – Ölgemälde im Nebel 🚲 ohne Regeln, ja!!  "
ASCII_64 = "x" * 20 + "Pferd Batterie Heftklammer 1234!" + "y" * 12


def set_password(client: FlaskClient, current: str, new: str) -> tuple[int, str]:
    response = client.post(
        "/konto/passwort", data={"current": current, "password": new, "confirm": new}
    )
    return response.status_code, response.get_data(as_text=True)


def login_status(app: Flask, email: str, password: str) -> int:
    response = app.test_client().post("/anmelden", data={"email": email, "password": password})
    return response.status_code


def argon2_parameters(encoded: str) -> dict[str, int]:
    match = re.match(r"^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$", encoded)
    assert match, f"not an argon2id hash: {encoded[:20]}"
    return dict(zip(("m", "t", "p"), map(int, match.groups()), strict=True))


@pytest.fixture
def reporter(app: Flask, make_user: Callable[..., User]) -> tuple[User, FlaskClient]:
    user = make_user("reporter", municipality="05113000")
    client = app.test_client()
    client.post("/anmelden", data={"email": user.email, "password": PASSWORD})
    return user, client


@pytest.mark.parametrize("password", [ASCII_64, UNICODE_64], ids=["ascii", "unicode"])
def test_a_64_character_password_is_taken_verbatim(
    app: Flask, reporter: tuple[User, FlaskClient], password: str
) -> None:
    user, client = reporter
    assert len(password) == 64
    status, html = set_password(client, PASSWORD, password)
    assert status == 302, html
    assert login_status(app, user.email, password) == 302
    for variant in (password.strip(), password[:63], password[:-1] + "?", password.lower()):
        if variant != password:
            assert login_status(app, user.email, variant) == 401, repr(variant)


def test_minimum_and_maximum_length(app: Flask, reporter: tuple[User, FlaskClient]) -> None:
    user, client = reporter
    minimum = app.config["PASSWORD_MIN_LENGTH"]
    assert minimum >= 8
    status, html = set_password(client, PASSWORD, "abendrotwies"[: minimum - 1])
    assert status == 422 and f"mindestens {minimum} Zeichen" in html
    status, html = set_password(client, PASSWORD, "w" * (app.config["PASSWORD_MAX_LENGTH"] + 1))
    assert status == 422
    assert login_status(app, user.email, PASSWORD) == 302


@pytest.mark.parametrize(
    "password",
    ["abendrotwiesen", "839201746351937", "NURGROSSBUCHSTABEN", "ohne ziffern und zeichen"],
)
def test_no_composition_rules(
    app: Flask, reporter: tuple[User, FlaskClient], password: str
) -> None:
    user, client = reporter
    status, html = set_password(client, PASSWORD, password)
    assert status == 302, html
    assert login_status(app, user.email, password) == 302


def _common_passwords(at_least: int) -> list[str]:
    lines = accounts.COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return [p for p in lines if p and not p.startswith("#") and len(p) >= at_least]


def test_common_passwords_from_the_shipped_list_are_refused(
    app: Flask, reporter: tuple[User, FlaskClient]
) -> None:
    user, client = reporter
    listed = _common_passwords(app.config["PASSWORD_MIN_LENGTH"])
    assert len(listed) >= 3, "the list should hold passwords of the minimum length"
    for password in (listed[0], listed[-1], listed[len(listed) // 2].upper()):
        status, html = set_password(client, PASSWORD, password)
        assert status == 422, password
        assert "zu verbreitet" in html
    # The account's own address is as guessable as a common password.
    status, _ = set_password(client, PASSWORD, user.email)
    assert status == 422
    assert login_status(app, user.email, PASSWORD) == 302


def test_new_hashes_are_argon2id_with_the_configured_parameters(
    make_app: Callable[..., Flask], make_user: Callable[..., User]
) -> None:
    strong = make_app(ARGON2_TIME_COST=3, ARGON2_MEMORY_COST=256)
    user = make_user("staff")
    link = accounts.password_link_token(user)
    response = strong.test_client().post(
        f"/passwort-setzen/{link}", data={"password": ASCII_64, "confirm": ASCII_64}
    )
    assert response.status_code == 302
    db.session.rollback()  # end the read transaction: see what the request committed
    stored = db.session.get(User, user.id)
    assert stored is not None and stored.password_hash
    assert ASCII_64 not in stored.password_hash
    params = argon2_parameters(stored.password_hash)
    assert params["t"] >= 3 and params["m"] >= 256 and params["p"] >= 1


def test_a_weaker_hash_is_upgraded_at_login(
    app: Flask, make_app: Callable[..., Flask], make_user: Callable[..., User]
) -> None:
    user = make_user("staff")  # hashed with the test app's t=1, m=8
    assert argon2_parameters(user.password_hash or "")["t"] == 1
    stronger = make_app(ARGON2_TIME_COST=2, ARGON2_MEMORY_COST=64)
    assert login_status(stronger, user.email, PASSWORD) == 302
    db.session.rollback()  # end the read transaction: see what the request committed
    stored = db.session.get(User, user.id)
    assert stored is not None
    assert argon2_parameters(stored.password_hash or "") == {"m": 64, "t": 2, "p": 1}
    assert login_status(stronger, user.email, PASSWORD) == 302
    assert login_status(stronger, user.email, "falsch-falsch-falsch") == 401
