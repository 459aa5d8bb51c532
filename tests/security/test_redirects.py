"""``next=`` never leaves the host (SECURITY.md B): after login, when already logged in, and
after the language switch, every trick lands on a local page."""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

from flask import Flask

from tests.conftest import PASSWORD
from tests.security.world import World

EVIL = [
    "https://evil.example",
    "http://evil.example/anmelden",
    "//evil.example",
    "///evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "\\/evil.example",
    "/\\/evil.example",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    " javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "http:/evil.example",
    "http:evil.example",
    "https:evil.example",
    "/%2F%2Fevil.example",
    "/%5Cevil.example",
    "%2F%2Fevil.example",
    "/\t/evil.example",
    "\t//evil.example",
    "/\n/evil.example",
    "\n//evil.example",
    "/\r\n/evil.example",
    " //evil.example",
    "//evil.example%2F@localhost",
    "/%09/evil.example",
    "／／evil.example",
    "//evil.example\\@localhost",
    "https://localhost@evil.example",
    "evil.example",
]


def assert_local(location: str) -> None:
    """The redirect stays on this host, however a browser reads it."""
    assert location.startswith("/"), location
    assert not location.startswith(("//", "/\\")), location
    assert "\\" not in location, location
    assert not any(ord(c) < 0x20 or ord(c) == 0x7F for c in location), repr(location)
    resolved = urlsplit(urljoin("http://localhost/anmelden", location))
    assert (resolved.scheme, resolved.netloc) == ("http", "localhost"), location


def local_problem(location: str) -> str | None:
    try:
        assert_local(location)
    except AssertionError:
        return location
    return None


def test_next_after_login_stays_local(app: Flask, world: World) -> None:
    data = {"email": world.emails["staff"], "password": PASSWORD}
    problems = []
    for target in EVIL:
        # The value as a browser would encode it, and (where it decodes differently) raw.
        for query in ({"next": target}, f"next={target}"):
            client = app.test_client()
            response = client.post("/anmelden", query_string=query, data=data)
            assert response.status_code == 302
            problems.append(local_problem(response.headers["Location"]))
            # Already logged in: the login page sends the browser on at once.
            response = client.get("/anmelden", query_string=query)
            assert response.status_code == 302
            problems.append(local_problem(response.headers["Location"]))
    assert [p for p in problems if p] == []


def test_next_after_language_switch_stays_local(app: Flask) -> None:
    problems = []
    for target in EVIL:
        response = app.test_client().post("/sprache", data={"lang": "en", "next": target})
        assert response.status_code == 302
        problems.append(local_problem(response.headers["Location"]))
    assert [p for p in problems if p] == []


def test_local_targets_are_kept(app: Flask, world: World) -> None:
    """The protection does not throw away honest targets."""
    client = app.test_client()
    response = client.get("/konto/")
    assert response.status_code == 302
    login_url = response.headers["Location"]
    assert login_url.startswith("/anmelden?next=")
    data = {"email": world.emails["staff"], "password": PASSWORD}
    response = client.post(login_url, data=data)
    assert response.headers["Location"] == "/konto/"
    response = app.test_client().post(
        "/sprache", data={"lang": "en", "next": "/kommunen/?q=K%C3%B6ln&page=2"}
    )
    assert response.headers["Location"] == "/kommunen/?q=K%C3%B6ln&page=2"


def test_back_after_replying_to_a_comment_stays_local(app: Flask, world: World) -> None:
    comment = next(t for t in world.targets if t.label == "B" and t.values.get("comment_id"))
    url = f"/berichte/2025/{comment.values['ags']}/hinweise/{comment.values['comment_id']}/antwort"
    client = world.client("reporter_b")
    problems = []
    for target in EVIL:
        response = client.post(url, data={"reply": "Erledigt.", "back": target})
        if response.status_code != 302:
            problems.append(f"{target!r}: {response.status_code}")
        else:
            problems.append(local_problem(response.headers["Location"]))
    assert [p for p in problems if p] == []
