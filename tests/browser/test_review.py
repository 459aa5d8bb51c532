"""The reviewer's decisions in Chromium: each button posts to its own endpoint (the accept
button through ``formaction``) under the app's CSP, and reopening works from the report page."""

from __future__ import annotations

import pytest

from omk.services import accounts, cycles, reports
from tests import factories
from tests.browser.conftest import WatchedPage

ESSEN = "05113000"


def _submitted(page: WatchedPage, cycle_code: str) -> None:
    with page.server.app.app_context():
        factories.make_cycle(cycle_code)
        reporter = accounts.find_user_by_email(page.server.reporter)
        report, _ = reports.import_document(reporter, factories.document(ESSEN, cycle=cycle_code))
        reports.submit(reporter, report)
        assert cycles.get_cycle(cycle_code) is not None


def _log_in_as_admin(page: WatchedPage) -> None:
    p = page.page
    page.goto("/anmelden")
    p.get_by_label("E-Mail-Adresse").fill(page.server.admin)
    p.get_by_label("Passwort", exact=True).fill(page.server.password)
    p.get_by_role("button", name="Anmelden").click()
    p.wait_for_load_state()


def _state(page: WatchedPage, cycle_code: str) -> str:
    with page.server.app.app_context():
        return reports.get_report(cycle_code, ESSEN).state


@pytest.mark.browser
def test_return_accept_and_reopen_through_their_forms(page: WatchedPage) -> None:
    _submitted(page, "R1-2025")
    _submitted(page, "R2-2025")
    _log_in_as_admin(page)
    p = page.page

    page.goto(f"/berichte/R1-2025/{ESSEN}/pruefung")
    p.locator("summary", has_text="Hinweis: Bericht insgesamt").click()
    p.get_by_label("Hinweis: Bericht insgesamt").fill("Bitte die Zahlen belegen.")
    p.get_by_role("button", name="Mit Hinweisen zurückgeben").click()
    p.wait_for_load_state()
    assert "Zurückgegeben mit 1 Hinweis." in p.content()
    assert _state(page, "R1-2025") == "returned"

    page.goto(f"/berichte/R2-2025/{ESSEN}/pruefung")
    p.get_by_role("button", name="Annehmen und veröffentlichen").click()
    p.wait_for_load_state()
    assert "Annehmen und veröffentlichen?" in p.content()  # asked once more, no script
    p.get_by_role("button", name="Ja, annehmen und veröffentlichen").click()
    p.wait_for_load_state()
    assert "der Bericht ist veröffentlicht" in p.content()
    assert p.url.endswith(f"/berichte/R2-2025/{ESSEN}/")
    assert _state(page, "R2-2025") == "accepted"

    p.get_by_label("Grund der Korrektur").fill("Die Kita-Zahlen bitte prüfen.")
    p.get_by_role("button", name="Zur Korrektur öffnen").click()
    p.wait_for_load_state()
    assert "zur Korrektur geöffnet" in p.content()
    assert _state(page, "R2-2025") == "returned"
    assert page.watch.problems() == {}
