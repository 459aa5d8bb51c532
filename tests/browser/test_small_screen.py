"""The main pages at 390 px (a phone): the page never scrolls sideways; a table wider than
the screen scrolls inside its own container (issue 14). Screenshots of every page go to
``$OMK_SCREENSHOTS`` when set."""

from __future__ import annotations

from typing import Any

import pytest

from omk.services import accounts, reports
from tests import factories
from tests.browser.conftest import WatchedPage

ESSEN = "05113000"
CYCLE = "S390-2025"
WIDTH = 390

#: Per page: how far the document reaches, and every table that sticks out of the screen
#: without a scrolling container of its own.
MEASURE = """() => {
  const width = window.innerWidth;
  const scrolls = (el) => ['auto', 'scroll'].includes(getComputedStyle(el).overflowX);
  const loose = [];
  for (const table of document.querySelectorAll('main table')) {
    let box = table, contained = false;
    while (box && box !== document.body) {
      if (scrolls(box) && box.getBoundingClientRect().right <= width + 1) {
        contained = true;
        break;
      }
      box = box.parentElement;
    }
    if (!contained && table.getBoundingClientRect().right > width + 1) {
      loose.push((table.querySelector('caption') || table).textContent.trim().slice(0, 60));
    }
  }
  return {scrollWidth: document.documentElement.scrollWidth, width, loose};
}"""


def _published_practice(page: WatchedPage) -> str:
    with page.server.app.app_context():
        factories.make_cycle(CYCLE)
        reporter = accounts.find_user_by_email(page.server.reporter)
        admin = accounts.find_user_by_email(page.server.admin)
        practice = factories.practice(
            "Begleitung zu Ämtern mit einem ausgesprochen langen Titel für kleine Bildschirme"
        )
        doc = factories.document(ESSEN, cycle=CYCLE, practices=[practice])
        report, _ = reports.import_document(reporter, doc)
        reports.submit(reporter, report)
        reports.accept(admin, report)
        return str(practice["id"])


@pytest.mark.browser
def test_main_pages_fit_a_390_px_screen(page: WatchedPage) -> None:
    practice_id = _published_practice(page)
    p = page.page
    p.set_viewport_size({"width": WIDTH, "height": 844})
    page.goto("/anmelden")
    p.get_by_label("E-Mail-Adresse").fill(page.server.admin)
    p.get_by_label("Passwort", exact=True).fill(page.server.password)
    p.get_by_role("button", name="Anmelden").click()
    p.wait_for_load_state()
    pages = [
        ("/", "390-start"),
        ("/kommunen/", "390-directory"),
        ("/kommunen/?q=Essen", "390-name-search"),
        (f"/kommunen/{ESSEN}", "390-municipality"),
        ("/kriterien", "390-taxonomy"),
        ("/kennzahlen", "390-indicators"),
        ("/berichte/", "390-reports"),
        (f"/berichte/{CYCLE}/{ESSEN}/veroeffentlicht", "390-published"),
        (f"/berichte/{CYCLE}/{ESSEN}/", "390-report"),
        ("/suche?q=Begleitung", "390-search"),
        (f"/massnahmen/{practice_id}", "390-practice"),
        (f"/berichtsrunden/{CYCLE}", "390-cycle"),
        ("/konten/", "390-accounts"),
    ]
    problems: list[str] = []
    for path, name in pages:
        response = page.goto(path)
        assert response.status == 200, path
        measured: dict[str, Any] = p.evaluate(MEASURE)
        page.shot(name)
        if measured["scrollWidth"] > measured["width"]:
            problems.append(f"{path}: the page is {measured['scrollWidth']} px wide")
        if measured["loose"]:
            problems.append(f"{path}: tables without their own scrolling: {measured['loose']}")
    assert not problems, "\n".join(problems)
