"""Cached parts of pages (omk/views/fragments.py) change the moment what they show changes."""

from __future__ import annotations

from flask import Flask

from omk.models import User
from tests import factories
from tests.views.test_publication import ESSEN, as_user, people, publish

__all__ = ["people"]  # the fixture, used by name


def test_the_published_list_shows_a_new_publication_at_once(
    app: Flask, people: dict[str, User]
) -> None:
    staff = as_user(app, people["staff"])
    before = staff.get("/berichte/").text
    assert "Keine veröffentlichten Berichte gefunden." in before
    publish(people, factories.document(ESSEN))
    after = staff.get("/berichte/").text
    assert f"/berichte/2025/{ESSEN}/veroeffentlicht" in after
    assert "Keine veröffentlichten Berichte gefunden." not in after


def test_a_municipality_page_lists_its_report_once_published(
    app: Flask, people: dict[str, User]
) -> None:
    staff = as_user(app, people["staff"])
    assert "noch kein Bericht veröffentlicht" in staff.get(f"/kommunen/{ESSEN}").text
    publish(people, factories.document(ESSEN))
    page = staff.get(f"/kommunen/{ESSEN}").text
    assert f"/berichte/2025/{ESSEN}/veroeffentlicht" in page


def test_the_navigation_follows_who_asks(app: Flask, people: dict[str, User]) -> None:
    anonymous = app.test_client()
    assert 'href="/berichte/"' not in anonymous.get("/kriterien").text
    admin = as_user(app, people["admin"])
    page = admin.get("/kriterien").text
    assert 'href="/berichte/"' in page and 'href="/konten/"' in page
    assert 'href="/konten/"' not in as_user(app, people["staff"]).get("/kriterien").text
    assert 'href="/berichte/"' not in anonymous.get("/kriterien").text
    english = anonymous.get("/kriterien", headers={"Accept-Language": "en"}).text
    assert ">Criteria<" in english or 'lang="en"' in english
