"""The start page: a logged-in user's own tasks come first, the introduction after them;
an anonymous visitor sees the introduction; the tab icon is served."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient

from omk.models import User
from omk.services import reports
from omk.synergies import peer_review
from tests import factories
from tests.conftest import login
from tests.synergies.test_synergy_services import ESSEN, KOELN, people, publish

__all__ = ["people"]

INTRO = "Integration vor Ort – voneinander lernen"


def as_user(app: Flask, user: User) -> FlaskClient:
    client = app.test_client()
    assert login(client, user).status_code == 302
    return client


def main_text(html: str) -> str:
    """The page's main content as text (the header repeats the claim), tags removed."""
    main = html[html.index('<main id="main"') :]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main))


def test_a_returned_report_is_the_first_thing_a_reporter_sees(
    app: Flask, people: dict[str, User]
) -> None:
    report, _ = reports.import_document(people[ESSEN], factories.document(ESSEN))
    reports.submit(people[ESSEN], report)
    reports.return_report(people["r05"], report, [("report", "Bitte die Quelle nennen.")])

    text = main_text(as_user(app, people[ESSEN]).get("/").text)

    tasks = text.index("Ihre Aufgaben")
    assert text.index("Willkommen") < tasks
    assert tasks < text.index("Zurückgegeben") < text.index("1 Hinweis offen")
    assert text.index("1 Hinweis offen") < text.index("Maßnahmen anderer Kommunen finden")
    assert text.index("Maßnahmen anderer Kommunen finden") < text.index(INTRO)


def test_a_reviewers_queue_comes_before_the_introduction(
    app: Flask, people: dict[str, User]
) -> None:
    report, _ = reports.import_document(people[ESSEN], factories.document(ESSEN))
    reports.submit(people[ESSEN], report)

    page = as_user(app, people["r05"]).get("/").text
    text = main_text(page)

    assert text.index("Ihre Aufgaben") < text.index("Zu prüfen") < text.index("1 Bericht")
    assert text.index("1 Bericht") < text.index("Offene Berichtsrunden") < text.index(INTRO)
    assert 'href="/berichte/"' in page


def test_a_peer_review_invitation_is_listed_among_the_tasks(
    app: Flask, people: dict[str, User]
) -> None:
    practice = factories.practice("Lotsen für Neuzugewanderte")
    publish(people, ESSEN, practice)
    review = peer_review.open_review(people["r05"], practice["id"], [KOELN])

    page = as_user(app, people[KOELN]).get("/").text
    text = main_text(page)

    assert text.index("Ihre Aufgaben") < text.index("Einladung zur Peer Review")
    assert text.index("Lotsen für Neuzugewanderte") < text.index(INTRO)
    assert f'/peer-reviews/{review.id}"' in page


def test_nothing_to_do_says_so_and_keeps_the_introduction_below(
    app: Flask, people: dict[str, User]
) -> None:
    text = main_text(as_user(app, people["admin"]).get("/").text)

    assert text.index("Zurzeit liegt nichts für Sie an.") < text.index(INTRO)


def test_an_anonymous_visitor_sees_the_introduction_first(client: FlaskClient) -> None:
    page = client.get("/").text
    text = main_text(page)

    assert text.lstrip().startswith("Offene Methode der Koordinierung")
    assert f'id="page-title">{INTRO}</h1>' in page
    assert "Ihre Aufgaben" not in text


def test_the_tab_icon_is_served_where_browsers_look_for_it(client: FlaskClient) -> None:
    ico = client.get("/favicon.ico")
    assert ico.status_code == 200
    assert ico.data[:4] == b"\x00\x00\x01\x00"  # an ICO header
    assert ico.cache_control.max_age and ico.cache_control.max_age > 0

    page = client.get("/").text
    link = re.search(r'<link rel="icon" href="([^"]+)" type="image/svg\+xml">', page)
    assert link is not None
    svg = client.get(link.group(1))
    assert svg.status_code == 200 and b"<svg" in svg.data
