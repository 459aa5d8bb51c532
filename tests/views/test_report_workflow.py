"""The whole reporting workflow as people walk it in the browser (through the test client)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from omk.models import User
from omk.services import reports
from tests import factories
from tests.conftest import login

ESSEN = "05113000"
BASE = f"/berichte/2025/{ESSEN}"


@pytest.fixture
def people(app: Flask, make_user: Any) -> dict[str, User]:
    factories.make_cycle("2025")
    return {
        "reporter": make_user("reporter", municipality=ESSEN, email="bericht@essen.example.org"),
        "reviewer": make_user("reviewer", scope="05", email="pruefung@nrw.example.org"),
        "staff": make_user("staff", email="fachkraft@example.org"),
    }


def as_user(app: Flask, user: User) -> FlaskClient:
    client = app.test_client()
    assert login(client, user).status_code == 302
    return client


def edit_version(html: str) -> str:
    match = re.search(r'name="edit_version" value="(\d+)"', html)
    assert match
    return match.group(1)


def practice_form(**overrides: str) -> dict[str, Any]:
    data: dict[str, Any] = {
        "title": "Sprachcafé im Stadtteilzentrum",
        "summary": "Wöchentliches offenes Sprachcafé mit Ehrenamtlichen.",
        "criterion": "sprache_bildung",
        "description": "Jeden Mittwoch treffen sich **Neuzugewanderte** und Ehrenamtliche.",
        "status": "active",
        "started": "05/2019",
        "budget_eur": "1.500",
        "staff_fte": "0,2",
        "actor_rows": "2",
        "actor-0-name": "Volkshochschule Essen",
        "actor-0-type": "bildungstraeger",
        "actor_lead": "0",
        "actor-1-name": "",
        "target_groups": ["erwachsene", "frauen"],
        "fields": ["sprache_bildung"],
        "recommendations": ["B1", "C1"],
        "outcomes": "Rund 40 Teilnehmende pro Woche.",
        "transferability": "Braucht einen Raum und zwei Ehrenamtliche.",
        "sources": "https://www.example.org/sprachcafe\n",
        "moves": ["sprache_bildung.kursplaetze_kommunal"],
        "action": "save",
    }
    data.update(overrides)
    return data


def indicator_form(version: str, **overrides: str) -> dict[str, str]:
    data = {
        f"ind-{code}": str(value).replace(".", ",")
        for code, value in factories.FULL_INDICATORS.items()
    }
    data["edit_version"] = version
    data.update(overrides)
    return data


def test_whole_workflow(app: Flask, people: dict[str, User]) -> None:
    reporter = as_user(app, people["reporter"])
    # start the report
    page = reporter.get(BASE + "/")
    assert "Bericht beginnen" in page.text
    assert reporter.post(BASE + "/starten").status_code == 302

    # indicators: a bad value is shown next to its field, what was typed stays
    page = reporter.get(BASE + "/kennzahlen")
    version = edit_version(page.text)
    bad = reporter.post(
        BASE + "/kennzahlen",
        data=indicator_form(
            version,
            **{"ind-unterbringung.dezentral_anteil": "140", "ind-arbeitsmarkt.praktika": "zwölf"},
        ),
    )
    assert bad.status_code == 422
    assert "nicht größer als 100" in bad.text and "Bitte eine Zahl eingeben" in bad.text
    assert 'value="zwölf"' in bad.text and 'value="412"' in bad.text
    ok = reporter.post(BASE + "/kennzahlen", data=indicator_form(version))
    assert ok.status_code == 302

    # a practice; the Markdown preview does not save
    page = reporter.get(BASE + "/massnahmen/neu")
    new_id = re.search(r'name="new_id" value="([0-9a-f-]{36})"', page.text).group(1)  # type: ignore[union-attr]
    version = edit_version(page.text)
    preview = reporter.post(
        BASE + "/massnahmen/neu",
        data={**practice_form(action="preview"), "new_id": new_id, "edit_version": version},
    )
    assert "<strong>Neuzugewanderte</strong>" in preview.text
    assert (
        reporter.post(
            BASE + "/massnahmen/neu",
            data={**practice_form(), "new_id": new_id, "edit_version": version},
        ).status_code
        == 302
    )
    report = reports.get_report("2025", ESSEN)
    doc = reports.working_document(report)
    assert doc["practices"][0]["id"] == new_id
    assert doc["practices"][0]["started"] == "2019-05"
    assert doc["practices"][0]["budget_eur"] == 1500 and doc["practices"][0]["staff_fte"] == 0.2
    assert doc["indicator_practices"]["sprache_bildung.kursplaetze_kommunal"] == [new_id]

    # drafts are private: the reviewer and staff see nothing
    reviewer = as_user(app, people["reviewer"])
    assert reviewer.get(BASE + "/").status_code in (403, 404)
    assert reviewer.get(BASE + "/pruefung").status_code in (403, 404)

    # submit: the button asks once more (a page, no script) and changes nothing yet
    page = reporter.get(BASE + "/")
    asked = reporter.post(BASE + "/einreichen", data={"edit_version": edit_version(page.text)})
    assert asked.status_code == 200 and "Bericht einreichen?" in asked.text
    assert 'name="confirm" value="1"' in asked.text
    assert reports.get_report("2025", ESSEN).state == "draft"
    response = reporter.post(
        BASE + "/einreichen", data={"confirm": "1", "edit_version": edit_version(asked.text)}
    )
    assert response.status_code == 302
    assert "Eingereicht: Revision 1" in reporter.get(BASE + "/").text

    # the reviewer returns it: without a comment refused, with field comments accepted
    page = reviewer.get(BASE + "/pruefung")
    assert page.status_code == 200 and "Sprachcafé" in page.text
    version = edit_version(page.text)
    assert f'action="{BASE}/zurueckgeben"' in page.text
    assert f'formaction="{BASE}/annehmen"' in page.text
    refused = reviewer.post(BASE + "/zurueckgeben", data={"edit_version": version})
    assert refused.status_code == 422 and "mindestens einen Hinweis" in refused.text
    returned = reviewer.post(
        BASE + "/zurueckgeben",
        data={
            "edit_version": version,
            "comment::indicators.unterbringung.zuweisungen": "Die Zahl wirkt zu hoch.",
            f"comment::practices[{new_id}].outcomes": "Bitte nennen Sie Zahlen zur Vermittlung.",
        },
    )
    assert returned.status_code == 302

    # the reporter sees each comment next to its field
    page = reporter.get(BASE + "/kennzahlen")
    assert "Die Zahl wirkt zu hoch." in page.text
    page = reporter.get(f"{BASE}/massnahmen/{new_id}")
    assert "Bitte nennen Sie Zahlen zur Vermittlung." in page.text
    version = edit_version(page.text)
    form = practice_form(outcomes="Rund 40 Teilnehmende pro Woche; 12 in Arbeit vermittelt.")
    assert (
        reporter.post(
            f"{BASE}/massnahmen/{new_id}", data={**form, "edit_version": version}
        ).status_code
        == 302
    )
    page = reporter.get(BASE + "/kennzahlen")
    assert (
        reporter.post(
            BASE + "/kennzahlen",
            data=indicator_form(
                edit_version(page.text), **{"ind-unterbringung.zuweisungen": "312"}
            ),
        ).status_code
        == 302
    )
    page = reporter.get(BASE + "/")
    assert (
        reporter.post(
            BASE + "/einreichen", data={"confirm": "1", "edit_version": edit_version(page.text)}
        ).status_code
        == 302
    )

    # the reviewer sees what changed since the returned revision, and which comments were answered
    page = reviewer.get(BASE + "/pruefung")
    assert "indicators.unterbringung.zuweisungen" in page.text
    assert "412" in page.text and "312" in page.text
    assert page.text.count("beantwortet") >= 2
    diff = reviewer.get(BASE + "/vergleich?from=1&to=2")
    assert diff.status_code == 200 and f"practices[{new_id}].outcomes" in diff.text

    # accept: asked once more, then published for staff
    staff = as_user(app, people["staff"])
    asked = reviewer.post(BASE + "/annehmen", data={"edit_version": edit_version(page.text)})
    assert asked.status_code == 200 and "Annehmen und veröffentlichen?" in asked.text
    assert staff.get(BASE + "/veroeffentlicht").status_code == 404
    assert (
        reviewer.post(
            BASE + "/annehmen", data={"confirm": "1", "edit_version": edit_version(page.text)}
        ).status_code
        == 302
    )
    published = staff.get(BASE + "/veroeffentlicht")
    assert published.status_code == 200
    assert "Sprachcafé im Stadtteilzentrum" in published.text
    assert "https://www.example.org/sprachcafe" in published.text
    # staff who open the report page land on the published report
    assert staff.get(BASE + "/").headers["Location"].endswith("/veroeffentlicht")


def test_second_save_with_stale_edit_check_keeps_typed_values(
    app: Flask, people: dict[str, User]
) -> None:
    reporter = as_user(app, people["reporter"])
    reporter.post(BASE + "/starten")
    colleague = as_user(app, people["reporter"])
    version = edit_version(reporter.get(BASE + "/kennzahlen").text)
    assert reporter.post(BASE + "/kennzahlen", data=indicator_form(version)).status_code == 302
    stale = colleague.post(
        BASE + "/kennzahlen", data=indicator_form(version, **{"ind-arbeitsmarkt.praktika": "77"})
    )
    assert stale.status_code == 409
    assert "inzwischen von jemand anderem gespeichert" in stale.text
    assert 'value="77"' in stale.text
    saved = reports.working_document(reports.get_report("2025", ESSEN))["indicators"]
    assert saved["arbeitsmarkt.praktika"] == 60  # nothing was overwritten silently
    # the page now carries the current edit check: saving again is a conscious decision
    assert edit_version(stale.text) != version
    again = colleague.post(
        BASE + "/kennzahlen",
        data=indicator_form(edit_version(stale.text), **{"ind-arbeitsmarkt.praktika": "77"}),
    )
    assert again.status_code == 302
    saved = reports.working_document(reports.get_report("2025", ESSEN))["indicators"]
    assert saved["arbeitsmarkt.praktika"] == 77


def test_submit_lists_what_is_missing(app: Flask, people: dict[str, User]) -> None:
    reporter = as_user(app, people["reporter"])
    reporter.post(BASE + "/starten")
    page = reporter.get(BASE + "/")
    assert "Vor dem Einreichen fehlt noch" in page.text
    assert "Neu zugewiesene Personen" in page.text
    reporter.post(
        BASE + "/einreichen", data={"confirm": "1", "edit_version": edit_version(page.text)}
    )
    assert reports.get_report("2025", ESSEN).state == "draft"


def test_a_nul_character_in_a_form_is_refused(app: Flask, people: dict[str, User]) -> None:
    reporter = as_user(app, people["reporter"])
    reporter.post(BASE + "/starten")
    version = edit_version(reporter.get(BASE + "/kennzahlen").text)
    response = reporter.post(
        BASE + "/massnahmen/neu", data={**practice_form(title="A\x00B"), "edit_version": version}
    )
    assert response.status_code == 400
    assert reports.working_document(reports.get_report("2025", ESSEN))["practices"] == []


def test_the_start_page_shows_a_reporter_its_report_and_a_reviewer_its_queue(
    app: Flask, people: dict[str, User]
) -> None:
    reporter = as_user(app, people["reporter"])
    page = reporter.get("/")
    assert "Ihr Bericht" in page.text and "noch nicht begonnen" in page.text
    assert f'href="{BASE}/"' in page.text
    reports.import_document(people["reporter"], factories.document(ESSEN))
    reports.submit(people["reporter"], reports.get_report("2025", ESSEN))
    assert "Eingereicht" in reporter.get("/").text
    reviewer = as_user(app, people["reviewer"])
    page = reviewer.get("/")
    assert "Zu prüfen" in page.text and "1 Bericht" in page.text


def test_published_reports_are_listed_with_filters(
    app: Flask, people: dict[str, User], make_user: Any
) -> None:
    koeln = make_user("reporter", municipality="05315000")
    alheim = make_user("reporter", municipality="06632001")
    for user, ags in ((people["reporter"], ESSEN), (koeln, "05315000"), (alheim, "06632001")):
        report, _ = reports.import_document(user, factories.document(ags))
        reports.submit(user, report)
    reports.accept(people["reviewer"], reports.get_report("2025", ESSEN))
    reports.accept(people["reviewer"], reports.get_report("2025", "05315000"))
    staff = as_user(app, people["staff"])
    page = staff.get("/berichte/")
    assert "2 Berichte" in page.text and "Essen, Stadt" in page.text and "Köln, Stadt" in page.text
    assert "Alheim" not in page.text  # submitted, not published
    assert "1 Bericht" in staff.get("/berichte/?q=köln").text
    assert "Keine veröffentlichten Berichte" in staff.get("/berichte/?land=06").text


def test_accept_return_and_reopen_each_have_their_endpoint(
    app: Flask, people: dict[str, User]
) -> None:
    report, _ = reports.import_document(people["reporter"], factories.document(ESSEN))
    reports.submit(people["reporter"], report)
    reviewer = as_user(app, people["reviewer"])
    page = reviewer.get(BASE + "/pruefung")
    version = edit_version(page.text)
    # /pruefung only shows the page now: its decisions have endpoints of their own
    assert reviewer.post(BASE + "/pruefung", data={"action": "accept"}).status_code == 405
    stale = reviewer.post(
        BASE + "/annehmen", data={"confirm": "1", "edit_version": int(version) - 1}
    )
    assert stale.status_code == 409 and "jemand anderem" in stale.text
    stale = reviewer.post(
        BASE + "/zurueckgeben",
        data={"edit_version": int(version) - 1, "comment::report": "Bitte Zahlen prüfen."},
    )
    assert stale.status_code == 409 and "Bitte Zahlen prüfen." in stale.text  # typed text kept
    assert (
        reviewer.post(
            BASE + "/annehmen", data={"confirm": "1", "edit_version": version}
        ).status_code
        == 302
    )
    again = reviewer.post(BASE + "/annehmen", data={"confirm": "1", "edit_version": version})
    assert again.status_code == 409 and "angenommen" in again.text
    late = reviewer.post(BASE + "/zurueckgeben", data={"comment::report": "Zu spät."})
    assert late.status_code == 409 and reports.get_report("2025", ESSEN).state == "accepted"

    # reopen from the report's page: a reason is required
    page = reviewer.get(BASE + "/")
    assert f'action="{BASE}/wieder-oeffnen"' in page.text
    version = edit_version(page.text)
    refused = reviewer.post(BASE + "/wieder-oeffnen", data={"edit_version": version})
    assert refused.status_code == 302
    assert "Bitte begründen Sie die Korrektur." in reviewer.get(refused.headers["Location"]).text
    assert reports.get_report("2025", ESSEN).state == "accepted"
    reopened = reviewer.post(
        BASE + "/wieder-oeffnen", data={"edit_version": version, "reason": "Kita-Zahlen prüfen."}
    )
    assert reopened.status_code == 302
    assert "zur Korrektur geöffnet" in reviewer.get(reopened.headers["Location"]).text
    report = reports.get_report("2025", ESSEN)
    assert report.state == "returned" and report.is_correction
    assert report.published_revision_id is not None  # the accepted revision stays published
    # the reporter of the municipality may not decide on its own report
    reporter = as_user(app, people["reporter"])
    for action in ("annehmen", "zurueckgeben", "wieder-oeffnen"):
        assert reporter.post(f"{BASE}/{action}", data={"reason": "x"}).status_code in (403, 404)
