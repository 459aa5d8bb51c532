"""A reviewer's journey through synergies and good practice in Chromium (issue 12): confirm a
shared-partner suggestion, validate a practice with the rubric, run a peer review to its
synthesis (the invited municipality's reporter answers in between). Every page is checked with
axe and watched for CSP violations and console errors; screenshots are kept."""

from __future__ import annotations

from typing import Any

import pytest

from omk.services import accounts, reports
from tests import factories
from tests.browser.conftest import WatchedPage

ESSEN, KOELN = "05113000", "05315000"
CYCLE = "SYN-2025"
REVIEWER = "pruefung.synergien@example.org"
KOELN_REPORTER = "bericht.koeln.synergien@example.org"
CRITERIA = (
    "ergebnisse",
    "uebertragbarkeit",
    "ziele",
    "evaluiert_innovativ",
    "wirksamkeit",
    "zielbeitrag",
)


def _published_world(page: WatchedPage) -> dict[str, Any]:
    """Essen and Köln publish a practice each, both with the Caritas of Essen as partner;
    Köln's was adopted from Essen's."""
    with page.server.app.app_context():
        factories.make_cycle(CYCLE)
        password = page.server.password
        reviewer = accounts.create_user(None, REVIEWER, "reviewer", scope="05", password=password)
        koeln = accounts.create_user(
            None, KOELN_REPORTER, "reporter", municipality_key=KOELN, password=password
        )
        essen = accounts.find_user_by_email(page.server.reporter)
        lotsen = factories.practice(
            "Quirlige Ausbildungslotsen",
            actors=[
                {"name": "Caritasverband für das Bistum Essen e.V.", "type": "wohlfahrtsverband"}
            ],
            outcomes="85 Jugendliche in Ausbildung vermittelt.",
        )
        cafe = factories.practice(
            "Quirliges Beratungscafé",
            actors=[{"name": "Caritasverband für das Bistum Essen", "type": "wohlfahrtsverband"}],
            adopted_from={"practice": lotsen["id"], "municipality": ESSEN},
        )
        for user, ags, p in ((essen, ESSEN, lotsen), (koeln, KOELN, cafe)):
            report, _ = reports.import_document(
                user, factories.document(ags, cycle=CYCLE, practices=[p])
            )
            reports.submit(user, report)
            reports.accept(reviewer, report)
        return {"lotsen": lotsen["id"], "cafe": cafe["id"]}


@pytest.mark.browser
def test_reviewer_confirms_validates_and_runs_a_peer_review(page: WatchedPage) -> None:
    ids = _published_world(page)
    p = page.page
    page.log_in(REVIEWER)

    # 1. The shared partner, confirmed with a note.
    page.goto(f"/synergien/?cycle={CYCLE}&region=05")
    suggestion = p.locator("li.omk-suggestion", has_text="Caritasverband für das Bistum Essen")
    assert suggestion.count() == 1
    page.clean("synergies-open")
    suggestion.get_by_label("Notiz").fill("Gemeinsamer Träger: Austausch anregen.")
    suggestion.get_by_role("button", name="Bestätigen").click()
    p.wait_for_load_state()
    assert "Vorschlag bestätigt." in p.content()
    confirmed = p.locator("li.omk-suggestion", has_text="Caritasverband für das Bistum Essen")
    assert "bestätigt" in confirmed.inner_text()
    # decided: no second "Bestätigen", but a way back
    assert confirmed.get_by_role("button", name="Bestätigen", exact=True).count() == 0
    assert confirmed.get_by_role("button", name="Entscheidung zurücknehmen").count() == 1
    assert "Austausch anregen" in confirmed.get_by_label("Notiz").input_value()
    network = p.locator("section", has_text="Lernnetz")
    assert network.locator("svg title").first.text_content() == "Lernnetz"
    assert "Quirliges Beratungscafé" in network.locator("table").inner_text()
    page.clean("synergies-confirmed")

    # 2. The practice, validated with the rubric (a first try without marks is refused).
    page.goto(f"/massnahmen/{ids['lotsen']}")
    p.get_by_role("link", name="Mit dem Bewertungsraster prüfen").click()
    p.wait_for_load_state()
    page.clean("validate-form")
    p.get_by_role("button", name="Bewertung speichern").click()
    p.wait_for_load_state()
    assert "Bitte eine Bewertung wählen." in p.content()
    for code in CRITERIA:
        p.locator(f"#mark-{code}-2").check()
        p.locator(f"#note-{code}").fill(f"Belegt ({code}).")
    p.locator("#mark-ergebnisse-3").check()
    p.get_by_label("Schriftliche Begründung").fill(
        "Messbare Vermittlungen, klar beschrieben und in anderen Kreisen übertragbar."
    )
    p.get_by_label("Als gute Praxis validieren").check()
    p.get_by_role("button", name="Bewertung speichern").click()
    p.wait_for_load_state()
    assert "Die Bewertung ist gespeichert." in p.content()
    assert "Als gute Praxis validiert" in p.content()
    assert "vorbildlich (3)" in p.content()
    page.clean("practice-validated")

    # 3. A peer review: Köln invited by name (a name the register does not know is refused,
    # and what was typed is kept).
    p.get_by_role("link", name="Peer Review eröffnen").click()
    p.wait_for_load_state()
    assert p.get_by_role("group", name="Vorgeschlagene Kommunen").count() == 1
    invited = p.get_by_label("Weitere Kommunen (Name oder Schlüssel)")
    invited.fill("Quirlhausen")
    p.get_by_role("button", name="Einladen und eröffnen").click()
    p.wait_for_load_state()
    assert "„Quirlhausen“ gibt es im Gemeindeverzeichnis nicht." in p.content()
    assert invited.input_value() == "Quirlhausen"
    page.clean("peer-review-unknown-name")
    invited.fill("Köln, Stadt")
    p.get_by_role("button", name="Einladen und eröffnen").click()
    p.wait_for_load_state()
    assert "Die Peer Review ist eröffnet" in p.content()
    review_url = p.url
    page.clean("peer-review-open")

    # 4. Köln's reporter answers the three questions.
    page.log_in(KOELN_REPORTER)
    p.goto(review_url)
    p.get_by_label("Ist die Maßnahme wirksam?").fill("Ja: 85 Vermittlungen sind viel.")
    p.get_by_label("Dient sie den Zielen der Berichtsrunde?").fill("Ja, B2 und B4.")
    p.get_by_label("Könnte sie zu uns übertragen werden").fill("Ja, mit der Handwerkskammer.")
    p.get_by_role("button", name="Antworten speichern").click()
    p.wait_for_load_state()
    assert "Ihre Antworten sind gespeichert." in p.content()
    page.clean("peer-review-answered")

    # 5. The reviewer writes the synthesis: published with the practice.
    page.log_in(REVIEWER)
    p.goto(review_url)
    p.get_by_label("Synthese", exact=True).fill(
        "Die Peers halten die Lotsen für wirksam und mit einer Kammer übertragbar."
    )
    p.get_by_role("button", name="Synthese veröffentlichen").click()
    p.wait_for_load_state()
    assert "Die Synthese ist veröffentlicht" in p.content()
    assert p.get_by_role("button", name="Antworten speichern").count() == 0
    page.clean("peer-review-published")

    page.goto(f"/massnahmen/{ids['lotsen']}")
    peer = p.locator("section", has_text="Peer Reviews")
    assert "mit einer Kammer übertragbar" in peer.inner_text()
    assert "mit der Handwerkskammer" in peer.inner_text()
    page.clean("practice-with-peer-review")

    page.goto("/synergien/kandidaten")
    assert "Quirlige Ausbildungslotsen" in p.content()
    page.clean("candidates")


@pytest.mark.browser
def test_reporter_picks_the_origin_of_an_adopted_practice_by_title(page: WatchedPage) -> None:
    aachen, cycle = "05334002", "SYN2-2025"
    with page.server.app.app_context():
        factories.make_cycle(cycle)
        password = page.server.password
        reviewer = accounts.create_user(
            None, "pruefung.herkunft@example.org", "reviewer", scope="05", password=password
        )
        reporter = accounts.create_user(
            None,
            "bericht.aachen@example.org",
            "reporter",
            municipality_key=aachen,
            password=password,
        )
        origin = factories.practice("Zauberhafte Fahrradwerkstatt")
        report, _ = reports.import_document(
            reporter, factories.document(aachen, cycle=cycle, practices=[origin])
        )
        reports.submit(reporter, report)
        reports.accept(reviewer, report)
        essen = accounts.find_user_by_email(page.server.reporter)
        mine = factories.practice("Unsere Fahrradwerkstatt")
        reports.import_document(essen, factories.document(ESSEN, cycle=cycle, practices=[mine]))
    p = page.page
    page.log_in(page.server.reporter)
    page.goto(f"/berichte/{cycle}/{ESSEN}/massnahmen/{mine['id']}")
    p.get_by_label("Maßnahme nach Titel suchen").fill("zauberhafte")
    p.get_by_role("button", name="Suchen", exact=True).click()
    p.wait_for_load_state()
    p.get_by_label("Zauberhafte Fahrradwerkstatt", exact=False).check()
    page.clean("practice-form-origin")
    p.get_by_role("button", name="Maßnahme speichern").last.click()
    p.wait_for_load_state()
    assert "gespeichert" in p.content()
    with page.server.app.app_context():
        doc = reports.working_document(reports.get_report(cycle, ESSEN))
        assert doc["practices"][0]["adopted_from"] == {
            "practice": origin["id"],
            "municipality": aachen,
        }


@pytest.mark.browser
def test_the_learning_network_on_a_phone(page: WatchedPage) -> None:
    """At 390 px the page does not scroll sideways: the drawing keeps its size in a box of its
    own that does, and labels its cycle."""
    cycle = "NET-2025"
    with page.server.app.app_context():
        factories.make_cycle(cycle)
        essen = accounts.find_user_by_email(page.server.reporter)
        admin = accounts.find_user_by_email(page.server.admin)
        koeln = accounts.create_user(
            None,
            "bericht.koeln.netz@example.org",
            "reporter",
            municipality_key=KOELN,
            password=page.server.password,
        )
        origin = factories.practice("Lotsen im Netz")
        adopted = factories.practice(
            "Lotsen nach Essener Vorbild",
            adopted_from={"practice": origin["id"], "municipality": ESSEN},
        )
        for user, ags, practice in ((essen, ESSEN, origin), (koeln, KOELN, adopted)):
            report, _ = reports.import_document(
                user, factories.document(ags, cycle=cycle, practices=[practice])
            )
            reports.submit(user, report)
            reports.accept(admin, report)
    p = page.page
    page.log_in(page.server.admin)
    p.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"/synergien/?cycle={cycle}&region=05")
    figure = p.locator(".omk-network__figure")
    assert f"Runde {cycle}" in figure.locator("svg").inner_html()
    measured = p.evaluate(
        """() => {
          const box = document.querySelector('.omk-network .omk-scroll');
          return {page: document.documentElement.scrollWidth, right:
            box.getBoundingClientRect().right, overflow: getComputedStyle(box).overflowX};
        }"""
    )
    assert measured["page"] <= 390 and measured["right"] <= 390
    assert measured["overflow"] == "auto"
    page.clean("synergies-network-390")
