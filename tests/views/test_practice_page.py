"""The practice page's breadcrumb says where the practice sits, not one fixed way there."""

from __future__ import annotations

import re

from flask import Flask

from omk.models import User
from omk.policy import SYSTEM
from omk.services import reports
from tests import factories
from tests.conftest import login
from tests.synergies.test_synergy_services import ESSEN, people

__all__ = ["people"]


def test_the_breadcrumb_leads_to_the_municipality_and_its_report(
    app: Flask, people: dict[str, User]
) -> None:
    practice = factories.practice("Lotsen für Neuzugewanderte")
    reports.import_document(SYSTEM, factories.document(ESSEN, practices=[practice]), publish=True)
    client = app.test_client()
    login(client, people["admin"])

    html = client.get(f"/massnahmen/{practice['id']}").text
    crumbs = html.split('class="omk-breadcrumb', 1)[1].split("</nav>", 1)[0]
    links = re.findall(r'<a href="([^"]+)">([^<]+)</a>', crumbs)

    assert links == [
        ("/kommunen/", "Kommunen"),
        (f"/kommunen/{ESSEN}", "Essen, Stadt"),
        (f"/berichte/2025/{ESSEN}/veroeffentlicht", "Bericht 2025"),
    ]


def _current(html: str) -> list[tuple[str, str]]:
    """The main navigation's entries marked current: (aria-current, label)."""
    nav = html.split('class="omk-nav"', 1)[1].split("</nav>", 1)[0]
    return re.findall(r'aria-current="([^"]+)">([^<]+)</a>', nav)


def test_the_navigation_marks_only_the_page_the_user_is_on(
    app: Flask, people: dict[str, User]
) -> None:
    """A practice page is reached from the search, a municipality, coverage or synergies: it
    is no page of the navigation, so no entry is current. The search page is "Suche" itself;
    the saved searches are a page of its section, marked as the current one of the set."""
    practice = factories.practice("Lotsen für Neuzugewanderte")
    reports.import_document(SYSTEM, factories.document(ESSEN, practices=[practice]), publish=True)
    client = app.test_client()
    login(client, people["admin"])

    assert _current(client.get(f"/massnahmen/{practice['id']}").text) == []
    assert _current(client.get("/suche?q=Lotsen").text) == [("page", "Suche")]
    assert _current(client.get("/suche/gespeichert").text) == [("true", "Suche")]
    assert _current(client.get(f"/kommunen/{ESSEN}").text) == [("true", "Kommunen")]
    assert _current(client.get("/kommunen/").text) == [("page", "Kommunen")]
    account = client.get("/konto/").text
    assert _current(account) == []  # the account is the signed-in name in the header
    assert re.search(r'href="/konto/" aria-current="page">', account)
