"""The comparison page in Chromium: axe-core finds no WCAG 2.1 A/AA violation, the charts load
as images under the strict CSP, the name lookup works without typing a key, and the
municipality page shows its scoreboard. Uses its own cycle code (the live server is shared)."""

from __future__ import annotations

from datetime import date

import pytest

from tests.browser.conftest import WatchedPage
from tests.browser.test_pages import check

pytestmark = pytest.mark.browser

CYCLE = "VGL24"
PREVIOUS = "VGL23"
KREIS = "06632"
GEMEINDEN = [f"066320{i:02d}" for i in range(1, 9)]
INDICATOR = "unterbringung.dezentral_anteil"


@pytest.fixture(scope="module")
def published(live_server: object) -> None:
    from omk.extensions import db
    from omk.models import Cycle
    from omk.policy import SYSTEM
    from omk.services import reports
    from tests import factories

    app = live_server.app  # type: ignore[attr-defined]
    with app.app_context():
        if db.session.query(Cycle).filter_by(code=CYCLE).first() is None:
            for code, year in ((PREVIOUS, 2023), (CYCLE, 2024)):
                factories.make_cycle(
                    code,
                    period_start=date(year, 1, 1),
                    period_end=date(year, 12, 31),
                    deadline=date(year + 1, 3, 31),
                )
                for i, ags in enumerate(GEMEINDEN):
                    doc = factories.document(ags, code)
                    doc["indicators"][INDICATOR] = 30.0 + (i * 7 + year) % 50
                    reports.import_document(SYSTEM, doc, publish=True)
        db.session.remove()


def login_admin(page: WatchedPage) -> None:
    p = page.page
    page.goto("/anmelden")
    p.get_by_label("E-Mail-Adresse").fill(page.server.admin)
    p.get_by_label("Passwort", exact=True).fill(page.server.password)
    p.get_by_role("button", name="Anmelden").click()
    p.wait_for_load_state()


def test_comparison_page(page: WatchedPage, published: None) -> None:
    login_admin(page)
    p = page.page
    page.goto(f"/vergleich/?cycle={CYCLE}&group=region&region={KREIS}&indicator={INDICATOR}")
    assert p.get_by_role("heading", level=1).inner_text() == "Kommunen vergleichen"
    images = p.locator("figure img")
    assert images.count() == 2
    for i in range(2):
        assert p.evaluate("(i) => document.querySelectorAll('figure img')[i].naturalWidth", i) > 0
    assert (
        p.get_by_role("table", name="Werte der Vergleichsgruppe, nach Namen geordnet").count() == 1
    )
    check(page, "60-compare")


def test_on_a_phone_charts_keep_their_size_and_tables_scroll_in_their_box(
    page: WatchedPage, published: None
) -> None:
    login_admin(page)
    p = page.page
    p.set_viewport_size({"width": 390, "height": 844})
    try:
        page.goto(f"/vergleich/?cycle={CYCLE}&group=region&region={KREIS}&indicator={INDICATOR}")
        # the page itself does not scroll sideways; the chart keeps its 640 px (legible labels)
        assert p.evaluate("() => document.documentElement.scrollWidth") <= 390
        assert p.evaluate("() => document.querySelector('figure img').clientWidth") == 640
        box = p.locator(".omk-table-scroll").first
        assert box.evaluate("b => b.scrollWidth > b.clientWidth")
        assert p.get_by_text("seitlich wischen, um alle Spalten zu sehen").first.is_visible()
        # the names stay in view when the table is scrolled
        name = box.locator("th[scope=row]").first
        left = name.bounding_box()["x"]  # type: ignore[index]
        box.evaluate("b => { b.scrollLeft = 200; }")
        assert name.bounding_box()["x"] == left  # type: ignore[index]
    finally:
        p.set_viewport_size({"width": 1280, "height": 900})


def test_name_lookup_and_scoreboard(page: WatchedPage, published: None) -> None:
    login_admin(page)
    p = page.page
    page.goto(f"/vergleich/?cycle={CYCLE}&indicator={INDICATOR}")
    p.get_by_label("Kommune oder Kreis suchen (Name)").fill("Alheim")
    p.get_by_role("button", name="Namen suchen").click()
    p.wait_for_load_state()
    p.get_by_role("button", name="als Bezugskommune Alheim").click()
    p.wait_for_load_state()
    assert "Bezugskommune:" in p.content()
    check(page, "61-compare-similar")
    page.goto("/kommunen/06632001")
    assert p.get_by_role("heading", name=f"Scoreboard {CYCLE}").count() == 1
    check(page, "62-municipality-scoreboard")


def test_the_name_field_offers_names_as_one_types(page: WatchedPage, published: None) -> None:
    login_admin(page)
    p = page.page
    page.goto(f"/vergleich/?cycle={CYCLE}&indicator={INDICATOR}")
    field = p.get_by_label("Kommune oder Kreis suchen (Name)")
    field.press_sequentially("Alhei")
    p.wait_for_function(
        "() => [...document.querySelectorAll('#q-names option')].some(o => o.value === 'Alheim')"
    )
    field.fill("Alheim")
    p.get_by_role("button", name="als Bezugskommune", exact=True).click()
    p.wait_for_load_state()
    assert "Bezugskommune:" in p.content() and "Alheim" in p.content()
