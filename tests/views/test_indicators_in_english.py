"""Indicators read in the reader's language wherever reporters and reviewers work with them:
the report page, the indicator form and the review page (names and units); the form's
context figures in the notation its fields take."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from flask import Flask

from omk.models import User
from omk.services import reports
from tests import factories
from tests.conftest import login

ESSEN = "05113000"
ENGLISH = {"Accept-Language": "en"}


def test_report_form_and_review_name_indicators_in_english(
    app: Flask, make_user: Callable[..., User]
) -> None:
    factories.make_cycle("2024", period_start=date(2024, 1, 1), period_end=date(2024, 12, 31))
    factories.make_cycle("2025")
    admin = make_user("admin")
    earlier = factories.document(ESSEN, "2024")
    earlier["indicators"]["unterbringung.zuweisungen"] = 2352
    earlier["indicators"]["unterbringung.dezentral_anteil"] = 53.1
    reports.import_document(admin, earlier, publish=True)
    reporter = make_user("reporter", municipality=ESSEN)
    report, _ = reports.import_document(reporter, factories.document(ESSEN, "2025"))

    client = app.test_client()
    assert login(client, reporter).status_code == 302
    page = client.get("/berichte/2025/05113000/", headers=ENGLISH).text
    assert "Persons newly allocated in the period" in page
    assert "Neu zugewiesene Personen" not in page
    assert ">persons<" in page and ">Personen<" not in page

    form = client.get("/berichte/2025/05113000/kennzahlen", headers=ENGLISH).text
    assert "Persons newly allocated in the period (persons)" in form
    # the cycle template's own texts are German: marked so for screen readers
    assert '<span lang="de">Zuweisung, Versorgung' in form
    # the fields take German notation in every language, and so do the figures beside them
    assert "Previous cycle 2024: 2.352" in form and "Previous cycle 2024: 53,1" in form
    german = client.get("/berichte/2025/05113000/kennzahlen").text
    assert "Vorrunde 2024: 2.352" in german and "Neu zugewiesene Personen" in german

    reports.submit(reporter, report)
    reviewer = make_user("reviewer", scope="05")
    client = app.test_client()
    assert login(client, reviewer).status_code == 302
    review = client.get("/berichte/2025/05113000/pruefung", headers=ENGLISH).text
    assert "Persons newly allocated in the period" in review
    assert "Neu zugewiesene Personen" not in review
    # the review page is no form field: figures in the reader's notation
    assert "Previous cycle 2024: 2,352" in review
