"""The parts of the search and practice pages kept per process (omk/views/search_results.py,
omk/views/practices.py) change the moment what they show changes, never show a draft, and
never keep a decision about who asks."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from omk.models import User
from omk.services import accounts, cycles, outbox, reports
from omk.services.reports import get_report
from omk.synergies import validation
from tests import factories
from tests.views.test_publication import ESSEN, KOELN, as_user, people, publish

__all__ = ["people"]  # the fixture, used by name

SEARCH = "/suche?q=Sprachcafe"


@pytest.fixture
def koeln(make_user: Any) -> User:
    """A reporter of Köln (the ``people`` of test_publication are Essen's)."""
    user: User = make_user("reporter", municipality=KOELN)
    return user


def _cafe(people: dict[str, User], *more: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """Essen's café (and ``more`` practices), published, and the address of its page."""
    cafe = factories.practice("Sprachcafé im Stadtteil")
    publish(people, factories.document(ESSEN, practices=[cafe, *more]))
    return cafe, f"/massnahmen/{cafe['id']}"


def _kept(app: Flask, name: str) -> int:
    parts = app.extensions.get("omk_fragments")
    return sum(1 for key in parts.parts if key[0] == name) if parts is not None else 0


def _correct(people: dict[str, User], change: Any) -> None:
    """Reopen Essen's report, change its document with ``change`` and publish it again."""
    report = get_report("2025", ESSEN)
    reports.reopen(people["reviewer"], report, "Bitte korrigieren")
    doc = reports.working_document(report)
    change(doc)
    reports.save_document(people["reporter"], report, doc, edit_version=None)
    reports.submit(people["reporter"], report)
    reports.accept(people["reviewer"], report)


def test_search_results_are_kept_and_follow_every_publication(
    app: Flask, people: dict[str, User], koeln: User
) -> None:
    _, address = _cafe(people, factories.practice("Jobpaten", summary="Begleitung"))
    staff = as_user(app, people["staff"])
    first = staff.get(SEARCH).text
    assert "1 Maßnahme gefunden" in first and _kept(app, "search.page") == 1
    assert staff.get(SEARCH).text.count("Sprachcafé im Stadtteil") == first.count(
        "Sprachcafé im Stadtteil"
    )
    # a draft and a submitted report never appear, kept result or not
    reports.import_document(
        koeln,
        factories.document(KOELN, practices=[factories.practice("Sprachcafé Entwurf")]),
    )
    page = staff.get(SEARCH).text
    assert "Sprachcafé Entwurf" not in page and "1 Maßnahme gefunden" in page
    submitted = get_report("2025", KOELN)
    reports.submit(koeln, submitted)
    assert "Sprachcafé Entwurf" not in staff.get(SEARCH).text
    # a publication shows at once
    reports.accept(people["reviewer"], submitted)
    page = staff.get(SEARCH).text
    assert "Sprachcafé Entwurf" in page and "2 Maßnahmen gefunden" in page
    # a correction that renames a practice shows at once, the old title is gone
    _correct(people, lambda doc: doc["practices"][0].update(title="Sprachcafé am Markt"))
    page = staff.get(SEARCH).text
    assert "Sprachcafé am Markt" in page and "Sprachcafé im Stadtteil" not in page
    # a correction that takes the practice out: gone from the results and its page
    assert staff.get(address).status_code == 200
    _correct(people, lambda doc: doc.update(practices=doc["practices"][1:], indicator_practices={}))
    page = staff.get(SEARCH).text
    assert "Sprachcafé am Markt" not in page and "1 Maßnahme gefunden" in page
    assert staff.get(address).status_code == 404


def test_a_result_is_kept_only_when_the_index_is_in_step(
    app: Flask, people: dict[str, User]
) -> None:
    _cafe(people)
    staff = as_user(app, people["staff"])
    newest = outbox.position("search")
    outbox.reset("search", newest - 1)  # the index lags behind the outbox
    assert "1 Maßnahme gefunden" in staff.get(SEARCH).text
    assert _kept(app, "search.page") == 0 and _kept(app, "search.results") == 0
    outbox.reset("search", newest)
    staff.get(SEARCH)
    assert _kept(app, "search.page") == 1


def test_kept_results_follow_the_language(app: Flask, people: dict[str, User]) -> None:
    _cafe(people)
    staff = as_user(app, people["staff"])
    german = staff.get(SEARCH).text
    assert "1 Maßnahme gefunden" in german and "Filter anwenden" in german
    english = staff.get(SEARCH, headers={"Accept-Language": "en"}).text
    assert "1 practice found" in english and "Apply filters" in english
    assert "Filter anwenden" not in english
    assert "Filter anwenden" in staff.get(SEARCH).text


def test_a_deactivated_or_changed_account_is_refused_at_once(
    app: Flask, people: dict[str, User]
) -> None:
    _, practice_page = _cafe(people)
    reviewer = as_user(app, people["reviewer"])
    assert "Mit dem Bewertungsraster prüfen" in reviewer.get(practice_page).text
    assert reviewer.get(SEARCH).status_code == 200
    assert "Zu prüfen" in reviewer.get("/berichte/").text
    # the reviewer's region changes: the cached practice page no longer offers validation
    accounts.update_user(people["admin"], people["reviewer"], scope="06")
    assert "Mit dem Bewertungsraster prüfen" not in reviewer.get(practice_page).text
    # a staff member who becomes a reviewer sees the queue at once
    staff = as_user(app, people["staff"])
    assert "Zu prüfen" not in staff.get("/berichte/").text
    accounts.update_user(people["admin"], people["staff"], role="reviewer", scope="05")
    assert "Zu prüfen" in staff.get("/berichte/").text
    # deactivated: the next request, kept results or not, goes to the login page
    accounts.update_user(people["admin"], people["reviewer"], scope="06", is_active=False)
    for path in (SEARCH, practice_page, "/berichte/", f"/berichte/2025/{ESSEN}/veroeffentlicht"):
        answer = reviewer.get(path)
        assert answer.status_code in (302, 401), path
        assert "Sprachcafé" not in answer.text


def test_the_practice_page_follows_validations_and_cycle_titles(
    app: Flask, people: dict[str, User]
) -> None:
    cafe, page = _cafe(people)
    staff = as_user(app, people["staff"])
    assert "noch nicht mit dem Bewertungsraster geprüft" in staff.get(page).text
    marks = {c: {"mark": "3", "note": "belegt"} for c in ("ergebnisse", "uebertragbarkeit")}
    marks |= {c: {"mark": "2", "note": "belegt"} for c in ("ziele", "evaluiert_innovativ")}
    marks |= {c: {"mark": "2", "note": "belegt"} for c in ("wirksamkeit", "zielbeitrag")}
    validation.validate(
        people["reviewer"],
        cafe["id"],
        marks,
        "Wirksam, gut beschrieben und übertragbar.",
        "validated",
    )  # type: ignore[arg-type]
    shown = staff.get(page).text
    assert "Als gute Praxis validiert" in shown
    assert "noch nicht mit dem Bewertungsraster geprüft" not in shown
    cycle = cycles.get_cycle("2025")
    cycles.update_cycle(
        people["admin"],
        cycle,
        title="Berichtsrunde 2025 (neu benannt)",
        objectives=cycle.objectives,
        period_start=cycle.period_start,
        period_end=cycle.period_end,
        deadline=cycle.deadline or date(2026, 3, 31),
        status=cycle.status,
    )
    assert "Berichtsrunde 2025 (neu benannt)" in staff.get(page).text


def test_a_draft_practice_has_no_page_even_when_its_lineage_is_kept(
    app: Flask, people: dict[str, User], koeln: User, client: FlaskClient
) -> None:
    _, page = _cafe(people)
    staff = as_user(app, people["staff"])
    assert staff.get(page).status_code == 200
    draft = factories.practice("Sprachcafé Entwurf")
    reports.import_document(koeln, factories.document(KOELN, practices=[draft]))
    assert staff.get(f"/massnahmen/{draft['id']}").status_code == 404
    # a new version in a correction is shown only once accepted
    report = get_report("2025", ESSEN)
    reports.reopen(people["reviewer"], report, "Bitte korrigieren")
    doc = reports.working_document(report)
    doc["practices"][0]["title"] = "Sprachcafé (Entwurf der Korrektur)"
    reports.save_document(people["reporter"], report, doc, edit_version=None)
    assert "Entwurf der Korrektur" not in staff.get(page).text
    reports.submit(people["reporter"], report)
    assert "Entwurf der Korrektur" not in staff.get(page).text
    reports.accept(people["reviewer"], report)
    assert "Entwurf der Korrektur" in staff.get(page).text
    assert client.get(page).status_code in (302, 401)
