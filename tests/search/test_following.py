"""Following a topic: saved searches count what is new since their owner last looked; each
has a revocable Atom feed whose URL carries a token of its own."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest
from defusedxml import ElementTree as ET
from flask import Flask
from flask.testing import FlaskClient

from omk.errors import NotFound
from omk.models import User
from omk.services import following, reports
from tests import factories
from tests.conftest import PASSWORD, login

pytestmark = pytest.mark.search_backends

ESSEN, KOELN = "05113000", "05315000"
ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def people(make_user: Callable[..., User]) -> dict[str, Any]:
    factories.make_cycle("2025")
    return {
        "essen": make_user("reporter", municipality=ESSEN),
        "koeln": make_user("reporter", municipality=KOELN),
        "reviewer": make_user("reviewer", scope="05"),
        "staff": make_user("staff"),
        "other": make_user("staff"),
    }


def publish(people: dict[str, Any], owner: str, ags: str, title: str) -> None:
    report, _ = reports.import_document(
        people[owner], factories.document(ags, practices=[factories.practice(title)])
    )
    reports.submit(people[owner], report)
    reports.accept(people["reviewer"], report)


def test_new_practices_are_counted_until_the_owner_looks(people: dict[str, Any]) -> None:
    publish(people, "essen", ESSEN, "Sprachcafé in Essen")
    saved = following.save(people["staff"], "Sprachcafés", "q=Sprachcaf%C3%A9&page=3")
    assert saved.query_string == "q=Sprachcaf%C3%A9", "paging is not part of a topic"
    assert [f.new for f in following.followed(people["staff"])] == [0]
    publish(people, "koeln", KOELN, "Sprachcafé in Köln")
    assert [f.new for f in following.followed(people["staff"])] == [1]
    following.mark_seen(people["staff"], saved)
    assert [f.new for f in following.followed(people["staff"])] == [0]


def test_saved_searches_are_personal(people: dict[str, Any]) -> None:
    saved = following.save(people["staff"], "Wohnen", "q=Wohnraum")
    with pytest.raises(NotFound):
        following.get(people["other"], saved.id)
    assert following.mine(people["other"]) == []


def test_the_feed_shows_results_until_revoked(
    app: Flask, client: FlaskClient, people: dict[str, Any]
) -> None:
    publish(people, "essen", ESSEN, "Wohnraumakquise mit Mietgarantie")
    saved = following.save(people["staff"], "Wohnraum", "q=Wohnraumakquise")
    token = following.create_feed_token(people["staff"], saved)
    response = client.get(f"/feeds/{token}.atom")
    assert response.status_code == 200 and response.mimetype == "application/atom+xml"
    feed = ET.fromstring(response.data)
    titles = [e.findtext(f"{ATOM}title") for e in feed.iter(f"{ATOM}entry")]
    assert titles == ["Wohnraumakquise mit Mietgarantie"]
    link = next(feed.iter(f"{ATOM}entry")).find(f"{ATOM}link")
    assert link is not None and link.get("href", "").startswith("http://localhost/massnahmen/")

    following.revoke_feed(people["staff"], saved)
    assert client.get(f"/feeds/{token}.atom").status_code == 404
    assert client.get("/feeds/erfunden.atom").status_code == 404


def test_a_deactivated_owners_feed_stops(client: FlaskClient, people: dict[str, Any]) -> None:
    from omk.services import accounts

    saved = following.save(people["staff"], "Kita", "q=Kita")
    token = following.create_feed_token(people["staff"], saved)
    assert client.get(f"/feeds/{token}.atom").status_code == 200
    accounts.update_user(None, people["staff"], is_active=False)
    assert client.get(f"/feeds/{token}.atom").status_code == 404


def test_feed_links_follow_the_request_until_the_base_url_is_set(
    app: Flask, people: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A feed address and the links in a feed go back to the host and port the app was asked
    on while OMK_BASE_URL is left at its default (outside debug too); once it is set, they
    use it, whatever host was asked. Mails keep OMK_BASE_URL (tests/views/test_ways.py)."""
    from omk.config import Defaults

    publish(people, "essen", ESSEN, "Sprachcafé in Essen")
    saved = following.save(people["staff"], "Cafés", "q=Sprachcafe")
    monkeypatch.setitem(app.config, "BASE_URL", Defaults.BASE_URL)
    assert not app.debug
    client = app.test_client()
    asked = "http://omk.test:5071"  # the app asked on another host and port
    login_page = {"email": people["staff"].email, "password": PASSWORD}
    assert client.post("/anmelden", data=login_page, base_url=asked).status_code == 302

    def new_feed_address() -> str:
        client.post(f"/suche/gespeichert/{saved.id}/feed", base_url=asked)
        shown = client.get("/suche/gespeichert", base_url=asked).text
        found = re.search(r'<code class="omk-url">([^<]+)</code>', shown)
        assert found is not None
        return found.group(1)

    def entry_link(address: str) -> str:
        feed = ET.fromstring(client.get(urlsplit(address).path, base_url=asked).data)
        link = next(feed.iter(f"{ATOM}entry")).find(f"{ATOM}link")
        assert link is not None
        return link.get("href", "")

    address = new_feed_address()
    assert address.startswith("http://omk.test:5071/feeds/")
    assert entry_link(address).startswith("http://omk.test:5071/massnahmen/")

    monkeypatch.setitem(app.config, "BASE_URL", "https://omk.example.org")
    address = new_feed_address()
    assert address.startswith("https://omk.example.org/feeds/")
    assert entry_link(address).startswith("https://omk.example.org/massnahmen/")


def test_save_and_open_through_the_pages(app: Flask, people: dict[str, Any]) -> None:
    publish(people, "essen", ESSEN, "Sprachcafé in Essen")
    client = app.test_client()
    login(client, people["staff"])
    page = client.get("/suche?q=Sprachcafe")
    assert "Suche speichern" in page.text
    response = client.post("/suche/speichern", data={"name": "Cafés", "query": "q=Sprachcafe"})
    assert response.status_code == 302
    listing = client.get("/suche/gespeichert")
    assert "Cafés" in listing.text and "0 neue Maßnahmen" in listing.text
    start = client.get("/")
    assert "Cafés" in start.text and "nichts Neues" in start.text
    saved = following.mine(people["staff"])[0]
    opened = client.post(f"/suche/gespeichert/{saved.id}/oeffnen")
    assert opened.status_code == 302 and opened.location.endswith("/suche?q=Sprachcafe")
    # post/redirect/get: the new address is shown once on the page the POST leads to, so
    # reloading that page neither resends the form nor makes another address
    created = client.post(f"/suche/gespeichert/{saved.id}/feed")
    assert created.status_code == 303 and created.location.endswith("/suche/gespeichert")
    shown = client.get("/suche/gespeichert")
    assert "nur jetzt sichtbar" in shown.text
    assert shown.headers["Cache-Control"] == "no-store"
    url = re.search(r'<code class="omk-url">[^<]*(/feeds/[^<]+\.atom)</code>', shown.text)
    assert url is not None and client.get(url.group(1)).status_code == 200
    again = client.get("/suche/gespeichert")
    assert "nur jetzt sichtbar" not in again.text and url.group(1) not in again.text
    assert "Neue Feed-Adresse" in again.text  # the feed exists; its address is not shown again
    assert client.get(url.group(1)).status_code == 200


def test_deleting_a_saved_search(app: Flask, people: dict[str, Any]) -> None:
    saved = following.save(people["staff"], "Kita", "q=Kita")
    client = app.test_client()
    login(client, people["staff"])
    response = client.post(f"/suche/gespeichert/{saved.id}/loeschen")
    assert response.status_code == 302
    assert following.mine(people["staff"]) == []
