"""Synergy pages and API answers: the list formats, the OpenAPI document, and picking the
origin of an adopted practice by title in the practice form."""

from __future__ import annotations

import html
import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from omk.models import User
from omk.services import accounts, reports
from omk.synergies import peer_review, validation
from tests import factories
from tests.conftest import login
from tests.regions import unclear_region
from tests.synergies.test_synergy_services import (
    ALHEIM,
    AWO_A,
    AWO_E,
    AWO_K,
    CARITAS_E,
    CARITAS_K,
    ESSEN,
    KOELN,
    MARKS,
    REASON,
    people,
    publish,
)

__all__ = ["people"]


def bearer(user: User) -> dict[str, str]:
    return {"Authorization": f"Bearer {accounts.create_token(None, user)}"}


def test_api_lists(client: FlaskClient, people: dict[str, Any]) -> None:
    lotsen = factories.practice("Lotsen", actors=[CARITAS_E])
    publish(people, ESSEN, lotsen)
    publish(people, KOELN, factories.practice("Café", actors=[CARITAS_K]))
    validation.validate(people["r05"], lotsen["id"], MARKS, REASON, "validated")  # type: ignore[arg-type]
    review = peer_review.open_review(people["r05"], lotsen["id"], [KOELN])
    peer_review.answer(people[KOELN], review.id, "Ja.", "Ja.", "Mit Kammer.")
    peer_review.publish_synthesis(people["r05"], review.id, "Wirksam und übertragbar, sagen alle.")
    staff = bearer(people["r06"])

    good = client.get("/api/v1/good-practices?region=05&cycle=2025", headers=staff).json
    assert good["total"] == 1 and good["page"] == 1 and good["per_page"] == 50
    item = good["items"][0]
    assert item["practice_id"] == lotsen["id"] and item["ags"] == ESSEN
    assert item["marks"]["ergebnisse"] == {"mark": 2, "note": "belegt"}
    assert client.get("/api/v1/good-practices?region=06", headers=staff).json["total"] == 0
    assert client.get("/api/v1/good-practices?region=x", headers=staff).status_code == 422

    peers = client.get(f"/api/v1/practices/{lotsen['id']}/peer-reviews", headers=staff).json
    assert peers["total"] == 1
    assert peers["items"][0]["status"] == "published"
    assert peers["items"][0]["comments"][0]["transfer"] == "Mit Kammer."
    assert peers["items"][0]["invited"] == [{"ags": KOELN, "name": "Köln, Stadt"}]

    found = client.get("/api/v1/synergies?kind=partner&region=05", headers=staff).json
    assert found["total"] == 1
    s = found["items"][0]
    assert s["kind"] == "partner" and s["status"] == "open"
    assert s["a"] == {"type": "municipality", "id": ESSEN, "label": "Essen, Stadt"}
    assert s["practice_id"] is None and s["terms"] and s["explanation"]
    assert client.get("/api/v1/synergies?kind=other", headers=staff).status_code == 422
    assert client.get("/api/v1/synergies").status_code == 401

    paths = client.get("/api/v1/openapi.json").json["paths"]
    for path in (
        "/api/v1/good-practices",
        "/api/v1/practices/{practice_id}/peer-reviews",
        "/api/v1/synergies",
    ):
        assert "get" in paths[path], path


def test_pages_render_for_readers(app: Flask, client: FlaskClient, people: dict[str, Any]) -> None:
    lotsen = factories.practice("Lotsen", actors=[CARITAS_E])
    publish(people, ESSEN, lotsen)
    publish(people, KOELN, factories.practice("Café", actors=[CARITAS_K]))
    login(client, people[KOELN])
    page = client.get("/synergien/?cycle=2025&region=")
    assert page.status_code == 200
    assert "Caritasverband für das Bistum Essen" in page.text
    assert "Bestätigen" not in page.text  # a reporter reads, never judges
    assert client.get("/synergien/?region=abc").status_code == 422
    assert client.get("/gute-praxis/").status_code == 200
    assert client.get("/gute-praxis/bewertungsraster").status_code == 200
    detail = client.get(f"/massnahmen/{lotsen['id']}")
    assert "noch nicht mit dem Bewertungsraster geprüft" in detail.text
    assert "Mit dem Bewertungsraster prüfen" not in detail.text


def _item(page: str, text: str) -> str:
    """The list item of the suggestion that names ``text``."""
    items = re.findall(
        r'<li class="omk-suggestion.*?</li>\s*(?=<li class="omk-suggestion|</ol>)', page, re.S
    )
    return next(item for item in items if text in item)


def test_a_decided_suggestion_offers_to_take_the_decision_back(
    app: Flask, people: dict[str, Any]
) -> None:
    publish(people, ESSEN, factories.practice("Lotsen", actors=[CARITAS_E]))
    publish(people, KOELN, factories.practice("Café", actors=[CARITAS_K]))
    client = app.test_client()
    login(client, people["r05"])
    page = client.get("/synergien/?cycle=2025&region=05").text
    item = _item(page, "Caritasverband für das Bistum Essen")
    assert ">Bestätigen<" in item and ">Verwerfen<" in item
    assert "Entscheidung zurücknehmen" not in item

    def decide(status: str) -> str:
        form = dict(re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)"', item))
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
        if token:
            form["csrf_token"] = token.group(1)
        answer = client.post(
            "/synergien/urteil", data={**form, "status": status, "note": ""}, follow_redirects=True
        )
        assert answer.status_code == 200
        return html.unescape(answer.text)

    confirmed = decide("confirmed")
    item = _item(confirmed, "Caritasverband für das Bistum Essen")
    assert ">Bestätigen<" not in item
    assert "diesen Vorschlag bestätigt" in item and "Entscheidung zurücknehmen" in item
    assert "Doch verwerfen" in item
    dismissed = decide("dismissed")
    assert "Verworfene Vorschläge stehen am Ende ihrer Liste" in dismissed
    item = _item(dismissed, "Caritasverband für das Bistum Essen")
    assert "Doch bestätigen" in item and "Entscheidung zurücknehmen" in item
    reopened = decide("open")
    assert "Vorschlag wieder offen." in reopened
    item = _item(reopened, "Caritasverband für das Bistum Essen")
    assert ">Bestätigen<" in item and ">Verwerfen<" in item


def test_the_origin_is_picked_by_title(client: FlaskClient, people: dict[str, Any]) -> None:
    origin = factories.practice("Ausbildungslotsen für Geflüchtete")
    publish(people, ESSEN, origin)
    mine = factories.practice("Unsere Lotsen")
    reports.import_document(people[KOELN], factories.document(KOELN, practices=[mine]))
    login(client, people[KOELN])
    url = f"/berichte/2025/{KOELN}/massnahmen/{mine['id']}"
    form = client.get(url)
    assert form.status_code == 200 and "Maßnahme nach Titel suchen" in form.text
    fields = {
        "title": mine["title"],
        "criterion": mine["criterion"],
        "summary": mine["summary"],
        "description": mine["description"],
        "edit_version": str(reports.get_report("2025", KOELN).edit_version),
        "origin_query": "lotsen geflüchtete",
        "action": "find_origin",
    }
    found = client.post(url, data=fields)
    assert found.status_code == 200
    assert f'value="{origin["id"]}|{ESSEN}"' in found.text
    assert "Unsere Lotsen" not in found.text.split("Treffer")[1]  # never one's own
    saved = client.post(
        url, data={**fields, "action": "save", "origin_pick": f"{origin['id']}|{ESSEN}"}
    )
    assert saved.status_code == 302, saved.text
    report = reports.get_report("2025", KOELN)
    doc = reports.working_document(report)
    assert doc["practices"][0]["adopted_from"] == {"practice": origin["id"], "municipality": ESSEN}
    again = client.get(url)
    assert "Ausbildungslotsen für Geflüchtete" in again.text  # shown by title, not id


def test_one_kind_is_paged_and_regions_are_named(
    client: FlaskClient, people: dict[str, Any], monkeypatch: Any
) -> None:
    """All of Germany can hold hundreds of suggestions per kind: the overview shows the best
    few of each kind with a link to that kind alone, which is paged; the region is chosen by
    name."""
    from omk.views import synergies as view

    monkeypatch.setattr(view, "OVERVIEW_SHOWN", 1)
    monkeypatch.setattr(view, "PER_PAGE", 1)
    publish(people, ESSEN, factories.practice("Lotsen", actors=[CARITAS_E, AWO_E]))
    publish(people, KOELN, factories.practice("Café", actors=[CARITAS_K, AWO_K]))
    publish(people, ALHEIM, factories.practice("Garten", actors=[AWO_A]))
    login(client, people["admin"])

    overview = client.get("/synergien/?cycle=2025&region=")
    assert overview.status_code == 200
    assert "Alle 2 Vorschläge dieser Art ansehen" in overview.text
    assert "kind=partner" in overview.text

    first = client.get("/synergien/?cycle=2025&region=&kind=partner")
    second = client.get("/synergien/?cycle=2025&region=&kind=partner&page=2")
    assert "Seite 1 von 2" in first.text and "Seite 2 von 2" in second.text
    assert ("Caritasverband" in first.text) != ("Caritasverband" in second.text)
    assert "Alle 2 Vorschläge" not in first.text

    named = client.get("/synergien/?cycle=2025&region=Nordrhein-Westfalen&kind=partner")
    assert named.status_code == 200
    assert 'value="Nordrhein-Westfalen"' in named.text
    assert "AWO Alheim" not in named.text  # Hessen is outside the region
    refused = client.get("/synergien/?cycle=2025&region=Atlantis")
    assert refused.status_code == 422 and "passt auf keine" in refused.text

    accounts_page = client.get("/konten/?region=Hessen")
    assert accounts_page.status_code == 200
    assert "alheim@example.org" in accounts_page.text
    assert "essen@example.org" not in accounts_page.text
    assert 'value="Hessen"' in accounts_page.text


def test_a_region_is_picked_by_its_common_name_and_an_unclear_one_keeps_the_form(
    client: FlaskClient, people: dict[str, Any]
) -> None:
    """The region fields of the synergy and good-practice pages take a Land by name, a
    Kreis as "Landkreis Ravensburg" or "Ravensburg, Kreis" and a kreisfreie Stadt by its
    place name ("Köln", not the Regierungsbezirk; "Essen", though "Hessen" contains it). A
    name of none or several regions gives the same page with a message at the field, the
    text typed kept, the other choices kept and the regions it may mean to choose from."""
    publish(people, ESSEN, factories.practice("Lotsen", actors=[CARITAS_E, AWO_E]))
    publish(people, KOELN, factories.practice("Café", actors=[CARITAS_K]))
    login(client, people["admin"])
    for typed, shown in (
        ("Köln", "Köln, Stadt"),
        ("Essen", "Essen, Stadt"),
        ("Stadt Essen", "Essen, Stadt"),
        ("Landkreis Ravensburg", "Ravensburg (Landkreis)"),
        ("Ravensburg, Kreis", "Ravensburg (Landkreis)"),
        ("Kreis Hersfeld-Rotenburg", "Hersfeld-Rotenburg"),
        ("hessen", "Hessen"),
    ):
        for url in ("/synergien/?cycle=2025&region=", "/gute-praxis/?region="):
            page = client.get(url + typed)
            assert page.status_code == 200, (url, typed)
            assert f'value="{shown}"' in html.unescape(page.text), (url, typed)
    essen = client.get("/synergien/?cycle=2025&kind=partner&region=Essen").text
    assert "Caritasverband" in essen

    page, _ = unclear_region(
        client, "/synergien/?cycle=2025&kind=partner&region=Atlantis", "Atlantis"
    )
    assert '<option value="partner" selected>' in page  # the other choices are kept
    assert "Synergien filtern" in page  # the page, not an error page

    several = client.get("/gute-praxis/?cycle=2025&region=Köln")
    assert several.status_code == 200  # "Köln" is the city
    _, offered = unclear_region(client, "/gute-praxis/?cycle=2025&region=Reg", "Reg", several=True)
    assert "Regierungsbezirk Köln" in offered and "Regierungsbezirk Düsseldorf" in offered
    link = offered["Regierungsbezirk Köln"]
    assert "region=053" in link and "cycle=2025" in link
    chosen = client.get(link)
    assert chosen.status_code == 200
    assert 'value="Regierungsbezirk Köln"' in html.unescape(chosen.text)


def test_the_accounts_filter_keeps_the_form_for_an_unclear_region(
    client: FlaskClient, people: dict[str, Any]
) -> None:
    """The accounts list's region field answers an unclear name like the synergy pages: the
    list's page with a message at the field and the regions the name may mean."""
    login(client, people["admin"])
    page, _ = unclear_region(client, "/konten/?region=Atlantis&rolle=reporter", "Atlantis")
    assert '<option value="reporter" selected>' in page  # the other choices are kept
    assert "Konten suchen" in page  # the page, not an error page

    _, offered = unclear_region(client, "/konten/?region=Reg", "Reg", several=True)
    assert "Regierungsbezirk Kassel" in offered and "Regierungsbezirk Köln" in offered
    chosen = client.get(offered["Regierungsbezirk Kassel"])
    assert chosen.status_code == 200
    assert "alheim@example.org" in chosen.text and "essen@example.org" not in chosen.text


def test_the_rubric_form_names_the_criterion_of_each_error(
    client: FlaskClient, people: dict[str, Any]
) -> None:
    lotsen = factories.practice("„Lotsen“: Ausbildung begleiten")
    publish(people, ESSEN, lotsen)
    login(client, people["r05"])
    url = f"/massnahmen/{lotsen['id']}/validierung"
    form = client.get(url)
    # the title keeps its own quotation marks, without a second pair around it
    assert "Maßnahme „Lotsen“: Ausbildung begleiten von" in html.unescape(form.text)
    marks = {"mark-ziele": "2", "note-ziele": "klar"}
    page = client.post(url, data=marks)
    assert page.status_code == 422
    summary = page.text.split('role="alert"')[1].split("</ul>")[0]
    items = [
        html.unescape(re.sub(r"<[^>]+>", "", i)) for i in re.findall(r"<li>(.*?)</li>", summary)
    ]
    assert items[:2] == [
        "Messbare Ergebnisse: Bitte eine Bewertung wählen.",
        "Messbare Ergebnisse: Bitte die Bewertung kurz begründen.",
    ]
    assert "Klare Ziele: Bitte eine Bewertung wählen." not in items  # marked and noted
    assert len(items) == len(set(items)) == 5 * 2 + 2  # five criteria, justification, verdict
    client.post("/sprache", data={"lang": "en", "next": "/"})
    english = client.post(url, data=marks)
    assert "Measurable results: Please choose a mark." in html.unescape(english.text)


def test_the_rubric_names_its_sources_in_the_pages_language(client: FlaskClient) -> None:
    german = html.unescape(client.get("/gute-praxis/bewertungsraster").text)
    assert "Übertragbarkeit (transferability)" in german
    assert "Wirksamkeit (effectiveness)" in german
    assert "Evidence of success" not in german
    client.post("/sprache", data={"lang": "en", "next": "/"})
    english = html.unescape(client.get("/gute-praxis/bewertungsraster").text)
    assert "EU peer reviews: transferability" in english
    assert "Übertragbarkeit (transferability)" not in english


def test_too_many_municipalities_for_the_learning_network_leave_only_the_table(
    client: FlaskClient, people: dict[str, Any], monkeypatch: Any
) -> None:
    """Up to ``learning.MAX_LANES`` municipalities the network is drawn beside its table;
    above that the page says why there is no drawing, and the table still lists every
    transfer (the threshold itself: tests/synergies/test_synergy_services.py)."""
    from omk.synergies import learning

    origin = factories.practice("Ausbildungslotsen")
    publish(people, ESSEN, origin)
    adopted = {"practice": origin["id"], "municipality": ESSEN}
    publish(people, KOELN, factories.practice("Lotsen in Köln", adopted_from=adopted))
    publish(people, ALHEIM, factories.practice("Lotsen in Alheim", adopted_from=adopted))
    login(client, people["admin"])

    def network() -> tuple[bool, str, list[str]]:
        """Whether the section draws, its text, and the adopting practice of each table row."""
        page = client.get("/synergien/?cycle=2025&region=").text
        section = page.split('id="learning-h"')[1].split("</section>")[0]
        text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", section)).split())
        body = section.split('<tbody class="kern-table__body">')[1].split("</tbody>")[0]
        rows = [
            " ".join(html.unescape(re.sub(r"<[^>]+>", " ", row)).split())
            for row in re.findall(r"<tr.*?</tr>", body, re.S)
        ]
        adopters = [next(t for t in ("Köln", "Alheim") if f"Lotsen in {t}" in r) for r in rows]
        return "<svg" in section, text, adopters

    monkeypatch.setattr(learning, "MAX_LANES", 3)  # Essen, Köln, Alheim: drawn
    drawn, text, adopters = network()
    assert drawn and "Zu viele Kommunen" not in text
    assert sorted(adopters) == ["Alheim", "Köln"]

    monkeypatch.setattr(learning, "MAX_LANES", 2)
    drawn, text, adopters = network()
    assert not drawn
    assert (
        "Zu viele Kommunen für eine Zeichnung: 3 Kommunen; die Tabelle zeigt alle Übernahmen."
        in text
    )
    assert sorted(adopters) == ["Alheim", "Köln"]  # every transfer, still

    client.post("/sprache", data={"lang": "en", "next": "/"})
    drawn, text, _adopters = network()
    assert not drawn
    assert (
        "Too many municipalities for a drawing: 3 municipalities; the table lists every adoption."
        in text
    )


def test_a_published_peer_review_has_one_heading_synthesis(
    client: FlaskClient, people: dict[str, Any]
) -> None:
    """The page read "Antworten und Synthese" and right under it "Synthese" (walk
    2026-12-07): the section is the result, with the synthesis and the answers below it."""
    lotsen = factories.practice("Lotsen", actors=[CARITAS_E])
    publish(people, ESSEN, lotsen)
    review = peer_review.open_review(people["r05"], lotsen["id"], [KOELN])
    peer_review.answer(people[KOELN], review.id, "Ja.", "Ja.", "Mit Kammer.")
    login(client, people["r05"])
    page = client.get(f"/peer-reviews/{review.id}").text
    headings = [html.unescape(h) for h in re.findall(r"<h[23][^>]*>([^<]+)</h[23]>", page)]
    assert "Antworten" in headings and "Synthese" not in headings
    peer_review.publish_synthesis(people["r05"], review.id, "Wirksam und übertragbar, sagen alle.")
    page = client.get(f"/peer-reviews/{review.id}").text
    headings = [html.unescape(h) for h in re.findall(r"<h[23][^>]*>([^<]+)</h[23]>", page)]
    assert headings.count("Synthese") == 1
    assert "Antworten und Synthese" not in headings
    assert headings.index("Ergebnis der Peer Review") < headings.index("Synthese")
    assert headings.index("Synthese") < headings.index("Antworten der eingeladenen Kommunen")
