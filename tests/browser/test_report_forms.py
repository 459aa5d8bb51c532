"""The report forms in Chromium: unsaved input warns before leaving, a removal asks first."""

from __future__ import annotations

import pytest

from omk.services import accounts, reports
from tests import factories
from tests.browser.conftest import WatchedPage

CYCLE = "B-2025"
ESSEN = "05113000"


def _report_with_a_practice(page: WatchedPage) -> None:
    with page.server.app.app_context():
        from omk.services import cycles

        try:
            cycles.get_cycle(CYCLE)
        except Exception:
            factories.make_cycle(CYCLE)
        reporter = accounts.find_user_by_email(page.server.reporter)
        cycle = cycles.get_cycle(CYCLE)
        report = reports.find_report(cycle, ESSEN)
        if report is None:
            reports.import_document(reporter, factories.document(ESSEN, cycle=CYCLE))


def _log_in(page: WatchedPage) -> None:
    p = page.page
    page.goto("/anmelden")
    p.get_by_label("E-Mail-Adresse").fill(page.server.reporter)
    p.get_by_label("Passwort", exact=True).fill(page.server.password)
    p.get_by_role("button", name="Anmelden").click()
    p.wait_for_load_state()


@pytest.mark.browser
def test_leaving_a_form_with_unsaved_input_warns(page: WatchedPage) -> None:
    _report_with_a_practice(page)
    _log_in(page)
    p = page.page
    form = f"/berichte/{CYCLE}/{ESSEN}/kennzahlen"

    page.goto(form)
    p.get_by_role("link", name="Zurück zum Bericht").click()  # nothing typed: no question
    p.wait_for_load_state()
    assert p.url.endswith(f"/berichte/{CYCLE}/{ESSEN}/")
    assert page.watch.dialogs == []

    page.goto(form)
    p.get_by_label("Vermittelte Praktika", exact=False).fill("77")
    p.get_by_role("link", name="Zurück zum Bericht").click()
    p.wait_for_timeout(300)
    assert [d for d in page.watch.dialogs if d.startswith("beforeunload")], page.watch.dialogs
    assert p.url.endswith("/kennzahlen")  # the dismissed question keeps the user on the form
    page.watch.dialogs.clear()

    p.get_by_role("button", name="Kennzahlen speichern").click()  # saving never asks
    p.wait_for_load_state()
    assert page.watch.dialogs == []
    assert "Kennzahlen gespeichert" in p.content()
