"""The search page in Chromium: search from the start page, the result count announced,
facets applied with the keyboard as soon as they change (and removed from the list of active
filters), a practice's page, saving a search; axe on every page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.browser.conftest import WatchedPage
from tests.browser.test_pages import check

pytestmark = pytest.mark.browser

KOELN, AACHEN = "05315000", "05334002"


def _publish(page: WatchedPage) -> None:
    """Two published practices in a cycle of their own (once per live server)."""
    from datetime import date

    from omk.extensions import db
    from omk.models.reporting import Cycle
    from omk.services import accounts, reports

    app = page.server.app
    with app.app_context():
        if db.session.query(Cycle).filter_by(code="2023-suche").count():
            return
        factories.make_cycle(
            "2023-suche",
            period_start=date(2023, 1, 1),
            period_end=date(2023, 12, 31),
            deadline=date(2024, 3, 31),
        )
        reviewer = accounts.create_user(None, "pruefung.suche@example.org", "reviewer", scope="05")
        for ags, title, criterion in (
            (KOELN, "Nachbarschaftscafé für Mütter mit Kinderbetreuung", "sprache_bildung"),
            (AACHEN, "Nachbarschaftscafé im Stadtteilzentrum", "zivilgesellschaft"),
        ):
            owner = accounts.create_user(
                None, f"bericht.suche.{ags}@example.org", "reporter", municipality_key=ags
            )
            doc = factories.document(
                ags, "2023-suche", practices=[factories.practice(title, criterion=criterion)]
            )
            report, _ = reports.import_document(owner, doc)
            reports.submit(owner, report)
            reports.accept(reviewer, report)
        db.session.remove()


def test_search_from_the_start_page_with_facets(page: WatchedPage) -> None:
    _publish(page)
    p = page.page
    page.goto("/anmelden")
    p.get_by_label("E-Mail-Adresse").fill(page.server.admin)
    p.get_by_label("Passwort").fill(page.server.password)
    p.get_by_role("button", name="Anmelden").click()
    p.wait_for_load_state()

    page.goto("/")
    box = p.get_by_role("search", name="Maßnahmen durchsuchen").get_by_label("Suchbegriffe")
    box.fill("Nachbarschaftscafe")  # folded é, a word no other browser test publishes
    box.press("Enter")
    p.wait_for_load_state()
    assert "/suche?q=Nachbarschaftscafe" in p.url
    status = p.get_by_role("status").first
    assert status.inner_text().startswith("2 Maßnahmen gefunden")
    assert p.locator("mark").count() >= 2
    check(page, "search-01-results")

    # Filter by criterion with the keyboard: applied as soon as the box is ticked, without a
    # page load; the state is in the URL and the result count is announced (the same
    # role="status" element changes its text); the focus stays on the box.
    p.evaluate("window.beforeFilter = document.getElementById('search-status')")
    status = p.locator("#search-status")
    facet = p.get_by_role("group", name="Kriterium")
    facet.get_by_label("Soziale Einbindung in die Zivilgesellschaft", exact=False).focus()
    p.keyboard.press("Space")
    p.wait_for_url("**criterion=zivilgesellschaft**")
    expect(status).to_have_text(re.compile("^1 Maßnahme gefunden"))
    assert p.evaluate("window.beforeFilter === document.getElementById('search-status')")
    assert p.evaluate("[document.activeElement.name, document.activeElement.checked]") == [
        "criterion",
        True,
    ]
    # the active filter is listed above the results, with a link that removes it
    active = p.locator(".omk-active-filters")
    assert "Kriterium: Soziale Einbindung in die Zivilgesellschaft" in active.inner_text()
    check(page, "search-02-filtered")
    active.get_by_role("link", name="entfernen").click()
    expect(status).to_have_text(re.compile("^2 Maßnahmen gefunden"))
    assert "criterion=" not in p.url and p.locator(".omk-active-filters").count() == 0
    # back and forward follow the filters
    p.go_back()
    expect(status).to_have_text(re.compile("^1 Maßnahme gefunden"))
    assert "criterion=zivilgesellschaft" in p.url
    p.go_back()
    expect(status).to_have_text(re.compile("^2 Maßnahmen gefunden"))
    # the sort order applies on change too
    p.get_by_label("Sortierung").select_option("newest")
    p.wait_for_url("**sort=newest**")
    expect(p.get_by_role("note")).to_contain_text("Sortiert nach Datum")
    assert p.evaluate("window.beforeFilter === document.getElementById('search-status')")
    assert page.watch.problems() == {}

    # A practice's own page.
    p.get_by_role("link", name="Nachbarschaftscafé im Stadtteilzentrum").click()
    p.wait_for_load_state()
    assert (
        p.get_by_role("heading", level=1).inner_text() == "Nachbarschaftscafé im Stadtteilzentrum"
    )
    check(page, "search-03-practice")

    # Follow the topic.
    page.goto("/suche?q=Nachbarschaftscaf%C3%A9")
    p.get_by_label("Dieser Suche folgen – Name").fill("Sprachcafés")
    p.get_by_role("button", name="Suche speichern").click()
    p.wait_for_load_state()
    assert p.get_by_role("heading", level=1).inner_text() == "Gespeicherte Suchen"
    assert p.get_by_role("button", name="Sprachcafés", exact=True).count() == 1
    check(page, "search-04-saved")
