"""Cached parts of pages (omk/views/fragments.py) change the moment what they show changes."""

from __future__ import annotations

import pytest
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


def test_region_names_are_loaded_once_per_register_import(
    app: Flask, register: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The name list behind every region field is read from the register once, and again
    only after an import (which may rename or add a Kreis)."""
    from omk.extensions import db
    from omk.models.register import RegisterImport
    from omk.services import compare
    from omk.views import helpers

    loads: list[int] = []
    real = compare.region_names

    def counted() -> list[tuple[str, str]]:
        loads.append(1)
        return real()

    monkeypatch.setattr(compare, "region_names", counted)
    with app.app_context(), app.test_request_context("/abdeckung/"):
        first = helpers.region_names()
    land, name = next((key, name) for key, name in first if len(key) == 2)
    with app.app_context(), app.test_request_context("/abdeckung/", query_string={"region": name}):
        assert helpers.region_names() == first
        assert helpers.region_arg() == land
    assert len(loads) == 1
    with app.app_context():
        db.session.add(RegisterImport(source="test"))
        db.session.commit()
    with app.app_context(), app.test_request_context("/abdeckung/"):
        assert helpers.region_names() == first
    assert len(loads) == 2
