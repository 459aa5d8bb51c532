"""The coverage page in Chromium: the matrix, the gaps, the switch to criteria, the map with
its data table; axe-core on each view, no request outside the app, no inline script; on a
small screen the matrix scrolls in its own container and the page does not widen."""

from __future__ import annotations

import pytest

from tests import factories
from tests.browser.conftest import WatchedPage
from tests.browser.test_pages import check

pytestmark = pytest.mark.browser

CYCLE = "2024-abdeckung"
#: Gemeinden of Kreis Hersfeld-Rotenburg and the recommendations each publishes.
PLANTED = {
    "06632002": ("B2", "C3"),
    "06632003": ("B2", "C3"),
    "06632004": ("B2", "C3"),
    "06632005": ("B2",),
    "06632006": ("A1",),
}
URL = f"/abdeckung/?cycle={CYCLE}&region=06632"


def _publish(page: WatchedPage) -> None:
    """Five published reports in a cycle of their own (once per live server)."""
    from datetime import date

    from omk.extensions import db
    from omk.models.reporting import Cycle
    from omk.services import accounts, reports

    app = page.server.app
    with app.app_context():
        if db.session.query(Cycle).filter_by(code=CYCLE).count():
            return
        factories.make_cycle(
            CYCLE,
            period_start=date(2024, 1, 1),
            period_end=date(2024, 12, 31),
            deadline=date(2025, 3, 31),
        )
        reviewer = accounts.create_user(
            None, "pruefung.abdeckung@example.org", "reviewer", scope="06"
        )
        for ags, recs in PLANTED.items():
            owner = accounts.create_user(
                None, f"bericht.abdeckung.{ags}@example.org", "reporter", municipality_key=ags
            )
            practice = factories.practice(
                f"Jobbrücke {ags[-2:]}",
                criterion="arbeitsmarkt",
                fields=["berufliche_integration"],
                recommendations=list(recs),
                actors=[
                    {"name": "Jobcenter", "type": "jobcenter", "lead": True},
                    {"name": "Handwerkskammer", "type": "wirtschaft", "lead": False},
                ],
            )
            report, _ = reports.import_document(
                owner, factories.document(ags, CYCLE, practices=[practice])
            )
            reports.submit(owner, report)
            reports.accept(reviewer, report)
        db.session.remove()


def _log_in(page: WatchedPage) -> None:
    p = page.page
    page.goto("/anmelden")
    p.get_by_label("E-Mail-Adresse").fill(page.server.admin)
    p.get_by_label("Passwort").fill(page.server.password)
    p.get_by_role("button", name="Anmelden").click()
    p.wait_for_load_state()


def test_coverage_page(page: WatchedPage) -> None:
    _publish(page)
    _log_in(page)
    p = page.page
    page.goto(URL)
    assert p.get_by_role("heading", level=1).inner_text() == "Abdeckung: was, wo, wie, von wem"
    matrix = p.get_by_role("region", name="Übersicht")
    b2 = "B2 Runde Tische mit der lokalen Wirtschaft"
    assert matrix.get_by_role("columnheader", name=b2).count() == 1
    assert matrix.get_by_role("rowheader", name="Friedewald").count() == 1
    assert matrix.get_by_text("Lücke", exact=True).count() == 3
    gaps = p.locator(".omk-coverage__gaps")
    assert "Friedewald" in gaps.inner_text() and "C3 Mentorenprinzip" in gaps.inner_text()
    svg = p.locator("svg.omk-map__svg")
    assert svg.get_attribute("role") == "img"
    assert p.locator("svg.omk-map__svg circle").count() == 5
    assert p.locator("script:not([src])").count() == 0
    check(page, "coverage-01-recommendations")

    # The map shows C3: three places practise it.
    p.get_by_label("Auf der Karte zeigen").select_option("C3")
    p.get_by_role("button", name="Karte zeigen").click()
    p.wait_for_load_state()
    assert p.locator("circle.omk-map__point--yes").count() == 3 + 1  # + the legend's symbol
    check(page, "coverage-02-map-c3")

    # Switch the columns to criteria with the keyboard.
    p.get_by_label("Kriterien").check()
    p.get_by_role("button", name="Anzeigen").press("Enter")
    p.wait_for_load_state()
    assert "dimension=criteria" in p.url
    assert p.get_by_role("columnheader", name="Integration in den Arbeitsmarkt").count() == 1
    check(page, "coverage-03-criteria")

    # A practice from a cell.
    page.goto(URL)
    p.get_by_role("link", name="Jobbrücke 02").first.click()
    p.wait_for_load_state()
    assert p.get_by_role("heading", level=1).inner_text() == "Jobbrücke 02"


def test_coverage_on_a_small_screen(page: WatchedPage) -> None:
    _publish(page)
    _log_in(page)
    p = page.page
    p.set_viewport_size({"width": 375, "height": 800})
    page.goto(URL)
    widths = p.evaluate(
        "() => ({page: document.documentElement.scrollWidth, view: window.innerWidth,"
        " box: document.querySelector('.omk-scroll').scrollWidth,"
        " boxView: document.querySelector('.omk-scroll').clientWidth})"
    )
    assert widths["page"] <= widths["view"], widths
    assert widths["box"] > widths["boxView"], widths  # the matrix scrolls inside its box
    check(page, "coverage-04-small-screen")
