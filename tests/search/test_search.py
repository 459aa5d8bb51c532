"""Search of published practices: what is found, what never is, and an index that follows
the database through the outbox only."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from omk.models import User
from omk.search import service
from omk.search.analysis import expansion
from omk.services import outbox, reports
from tests import factories
from tests.conftest import login

pytestmark = pytest.mark.search_backends

ESSEN, KOELN, AACHEN = "05113000", "05315000", "05334002"


@pytest.fixture
def people(make_user: Callable[..., User]) -> dict[str, Any]:
    factories.make_cycle("2025")
    return {
        "essen": make_user("reporter", municipality=ESSEN),
        "koeln": make_user("reporter", municipality=KOELN),
        "aachen": make_user("reporter", municipality=AACHEN),
        "reviewer": make_user("reviewer", scope="05"),
        "staff": make_user("staff"),
        "admin": make_user("admin"),
    }


def publish(people: dict[str, Any], ags: str, *practices: dict[str, Any]) -> None:
    owner = {ESSEN: "essen", KOELN: "koeln", AACHEN: "aachen"}[ags]
    report, _ = reports.import_document(
        people[owner], factories.document(ags, practices=list(practices))
    )
    reports.submit(people[owner], report)
    reports.accept(people["reviewer"], report)


def titles(results: service.Results) -> list[str]:
    return [h.title for h in results.hits]


def test_german_words_find_their_forms(people: dict[str, Any]) -> None:
    publish(
        people,
        ESSEN,
        factories.practice(
            "Sprachcafé für Geflüchtete",
            summary="Wöchentliches Treffen in Gemeinschaftsunterkünften.",
            description="Ehrenamtliche Sprachförderung mit Integrationskursen der VHS.",
        ),
    )
    publish(
        people,
        KOELN,
        factories.practice(
            "Ausbildungslotsen", summary="Lotsen begleiten junge Menschen in Ausbildung."
        ),
    )
    for query, expected in [
        ("Sprachcafe", ["Sprachcafé für Geflüchtete"]),
        ("Unterkunft", ["Sprachcafé für Geflüchtete"]),
        ("Förderung", ["Sprachcafé für Geflüchtete"]),
        ("Integrationskurs", ["Sprachcafé für Geflüchtete"]),
        ("Lotse", ["Ausbildungslotsen"]),
        ("Fluechtlinge", ["Sprachcafé für Geflüchtete"]),
    ]:
        assert titles(service.search(query)) == expected, query


def test_all_words_first_then_most(people: dict[str, Any]) -> None:
    publish(
        people,
        ESSEN,
        factories.practice("Sprachcafé", summary="Deutsch lernen im Café.", description="Café."),
    )
    publish(
        people,
        KOELN,
        factories.practice(
            "Sprachcafé für Mütter", summary="Mütter lernen Deutsch.", description="Kinder."
        ),
    )
    results = service.search("Sprachcafé Mütter Kinderbetreuung")
    assert results.total == 2 and results.partial
    assert titles(results)[0] == "Sprachcafé für Mütter"
    assert results.complete == 0 and results.unmatched == ["Kinderbetreuung"]


def test_a_misspelled_word_is_corrected(people: dict[str, Any]) -> None:
    publish(
        people,
        ESSEN,
        factories.practice(
            "Kommunales Integrationsmanagement", summary="Case Management in den Gemeinden."
        ),
    )
    publish(
        people,
        KOELN,
        factories.practice("Kommunales Kino", summary="Filme für alle Generationen."),
    )
    # the typo matches nothing, the other word matches both: the correction's results
    results = service.search("Kommunales Integrationsmanagment")
    assert results.corrected_from == "Kommunales Integrationsmanagment"
    assert results.corrected_partial and results.query == "Kommunales Integrationsmanagement"
    assert results.complete == 1 and titles(results)[0] == "Kommunales Integrationsmanagement"
    # a misspelled compound with no near word as a whole: its part is corrected
    assert service.search("Integrationsmanagment").corrected_from == "Integrationsmanagment"
    # a German word that no practice has is left alone (no "Meinten Sie" results)
    results = service.search("Kommunales Kinos")
    assert results.corrected_from is None and len(results.hits) == 2


def test_a_query_of_common_words_only_finds_nothing_and_says_why(
    client: FlaskClient, people: dict[str, Any]
) -> None:
    publish(people, ESSEN, factories.practice("Sprachcafé für Mütter"))
    assert service.search("").total == 1  # no words: every practice, to browse
    results = service.search("die der und")
    assert results.only_common_words and results.total == 0 and not results.hits
    login(client, people["staff"])
    page = client.get("/suche?q=die+der+und")
    assert "0 Maßnahmen gefunden" in page.text
    assert "nur sehr häufige Wörter" in page.text and "Sprachcafé für Mütter" not in page.text
    assert "Suche speichern" not in page.text  # nothing to follow


def test_only_published_versions_are_found(people: dict[str, Any]) -> None:
    draft = factories.practice("Geheimes Entwurfsprojekt Zq7")
    reports.import_document(people["essen"], factories.document(ESSEN, practices=[draft]))
    submitted = factories.practice("Eingereichtes Projekt Zq7")
    report, _ = reports.import_document(
        people["koeln"], factories.document(KOELN, practices=[submitted])
    )
    reports.submit(people["koeln"], report)
    assert service.search("Zq7").total == 0
    reports.accept(people["reviewer"], report)
    assert titles(service.search("Zq7")) == ["Eingereichtes Projekt Zq7"]


def test_a_correction_shows_only_once_accepted(people: dict[str, Any]) -> None:
    p = factories.practice("Wohnraumakquise durch Mietgarantien")
    publish(people, ESSEN, p)
    report = reports.get_report("2025", ESSEN)
    reports.reopen(people["reviewer"], report, "Titel schärfen")
    doc = reports.working_document(report)
    doc["practices"][0]["title"] = "Wohnraumakquise mit Vermieterberatung"
    reports.save_document(people["essen"], report, doc, edit_version=None)
    reports.submit(people["essen"], report)
    assert titles(service.search("Vermieterberatung")) == []
    assert titles(service.search("Mietgarantien")) == ["Wohnraumakquise durch Mietgarantien"]
    reports.accept(people["reviewer"], report)
    assert titles(service.search("Vermieterberatung")) == ["Wohnraumakquise mit Vermieterberatung"]
    assert titles(service.search("Mietgarantien")) == []


def test_facets_count_exactly_and_filter(people: dict[str, Any]) -> None:
    publish(people, ESSEN, factories.practice("Sprachcafé A", criterion="sprache_bildung"))
    publish(people, KOELN, factories.practice("Sprachcafé B", criterion="zivilgesellschaft"))
    publish(people, AACHEN, factories.practice("Sprachcafé C", criterion="sprache_bildung"))
    results = service.search("Sprachcafé")
    assert results.facets["criterion"] == {"sprache_bildung": 2, "zivilgesellschaft": 1}
    assert results.facets["land"] == {"05": 3}
    filtered = service.search("Sprachcafé", filters={"criterion": ["zivilgesellschaft"]})
    assert titles(filtered) == ["Sprachcafé B"] and filtered.facets["criterion"] == {
        "zivilgesellschaft": 1
    }


@pytest.fixture
def plain_words(monkeypatch: pytest.MonkeyPatch) -> None:
    """No synonyms and no related words: a compound is matched as itself or by its halves
    (the mechanism, not the shipped lists' data)."""
    monkeypatch.setattr(expansion, "synonyms", lambda: expansion.Synonyms({}, 1))
    monkeypatch.setattr(expansion, "thesaurus", lambda: expansion.Synonyms({}, 1))


def test_a_compound_as_typed_ranks_above_its_halves(
    client: FlaskClient, people: dict[str, Any], plain_words: None
) -> None:
    # "Erzählcafé" and "Sprache" in title and summary outweigh one "Sprachcafé" in the
    # description by ts_rank; the practice with the word itself still comes first
    publish(
        people,
        ESSEN,
        factories.practice(
            "Erzählcafé für Sprache und Begegnung",
            summary="Im Erzählcafé geht es um Sprache: Sprache lernen bei Kaffee im Café.",
            description="Sprache und Café, jede Woche.",
        ),
    )
    publish(
        people,
        KOELN,
        factories.practice(
            "Treffpunkt im Quartier",
            summary="Nachbarn treffen sich jede Woche.",
            description="Im Sprachcafé üben Geflüchtete Deutsch.",
        ),
    )
    results = service.search("Sprachcafé")
    assert titles(results) == ["Treffpunkt im Quartier", "Erzählcafé für Sprache und Begegnung"]
    assert (results.complete_as_typed, results.complete, results.total) == (1, 2, 2)
    # "newest first" lists the same practices
    assert sorted(titles(service.search("Sprachcafé", sort="newest"))) == sorted(titles(results))
    # the page does not claim that both contain the word as typed
    login(client, people["staff"])
    page = " ".join(client.get("/suche?q=Sprachcafé").text.split())
    assert "1 Maßnahme enthält alle Suchbegriffe wie eingegeben. Danach folgen:" in page
    assert (
        "1 Maßnahme, die alle Suchbegriffe enthält, mindestens einen davon aber nur in "
        "Wortteilen (etwa „Sprache“ und „Café“ statt „Sprachcafé“) oder als verwandtes Wort"
    ) in page
    assert "2 Maßnahmen enthalten alle Suchbegriffe" not in page


def test_newest_first_says_what_it_shows(client: FlaskClient, people: dict[str, Any]) -> None:
    publish(people, ESSEN, factories.practice("Sprachcafé im Stadtteil"))
    login(client, people["staff"])
    page = client.get("/suche?q=Sprachcafé&sort=newest").text
    assert "Sortiert nach Datum, die neueste Berichtsrunde zuerst" in page
    assert "zeigt nur die Sortierung nach Relevanz" in page
    assert 'href="/suche?q=Sprachcaf%C3%A9">Nach Relevanz sortieren</a>' in page
    assert "Sortiert nach Datum" not in client.get("/suche?q=Sprachcafé").text


def test_active_filters_are_listed_above_the_results_and_removable(
    client: FlaskClient, people: dict[str, Any]
) -> None:
    publish(people, ESSEN, factories.practice("Sprachcafé A", criterion="sprache_bildung"))
    publish(people, KOELN, factories.practice("Sprachcafé B", criterion="zivilgesellschaft"))
    login(client, people["staff"])
    page = client.get("/suche?q=Sprachcafé&land=05&criterion=zivilgesellschaft&page=1").text
    assert "1 Maßnahme gefunden" in page
    active = page[page.index("Aktive Filter") : page.index('id="search-filters"')]
    # each filter with a link to the same search without it (and from its first page)
    assert "Land: Nordrhein-Westfalen" in active
    assert 'href="/suche?q=Sprachcaf%C3%A9&amp;criterion=zivilgesellschaft">entfernen' in active
    assert "Kriterium: Soziale Einbindung in die Zivilgesellschaft" in active
    assert 'href="/suche?q=Sprachcaf%C3%A9&amp;land=05">entfernen' in active
    assert "Alle Filter entfernen" in active
    # the results come before the filters: on a phone a link near the top jumps to them
    assert '<a href="#search-filters">Filter (2 aktiv)</a>' in page
    assert page.index("Filter (2 aktiv)") < page.index("Sprachcafé B</a>")
    # without JavaScript the filter form is applied with its button
    assert "Filter anwenden" in page
    removed = client.get("/suche?q=Sprachcafé&land=05").text
    assert "2 Maßnahmen gefunden" in removed and "Land: Nordrhein-Westfalen" in removed
    assert "Aktive Filter" not in client.get("/suche?q=Sprachcafé").text


def test_a_quoted_title_finds_that_practice_first(people: dict[str, Any]) -> None:
    publish(people, ESSEN, factories.practice("Deutsch lernen im Park"))
    publish(
        people,
        KOELN,
        factories.practice("Park der Begegnung", summary="Deutsch lernen und im Park spielen."),
    )
    assert titles(service.search('"Deutsch lernen im Park"'))[0] == "Deutsch lernen im Park"


def test_verify_finds_drift_and_reindex_repairs_it(app: Flask, people: dict[str, Any]) -> None:
    publish(people, ESSEN, factories.practice("Sprachcafé"))
    assert service.verify().clean
    service.engine().apply([], [])  # nothing
    # Make the index drift: drop the lineage behind the outbox's back.
    pid = reports.published_document(reports.get_report("2025", ESSEN))["practices"][0]["id"]
    service.engine().apply([pid], [])
    drift = service.verify()
    assert drift.missing == [f"{pid}@2025"] and not drift.clean
    assert service.reindex() == 1
    assert service.verify().clean
    assert titles(service.search("Sprachcafé")) == ["Sprachcafé"]


def test_verify_names_the_command_that_repairs_the_drift(
    app: Flask, people: dict[str, Any]
) -> None:
    publish(people, ESSEN, factories.practice("Sprachcafé"))
    pid = reports.published_document(reports.get_report("2025", ESSEN))["practices"][0]["id"]
    runner = app.test_cli_runner()
    # changed behind the outbox's back: sync has nothing to apply, only a rebuild helps
    service.engine().apply([pid], [])
    result = runner.invoke(args=["search", "verify"])
    assert result.exit_code == 1
    assert "`omk search reindex` behebt sie" in result.output
    assert "omk search sync" not in result.output
    # entries still waiting in the outbox: sync applies them
    outbox.reset(service.CONSUMER, 0)
    result = runner.invoke(args=["search", "verify"])
    assert result.exit_code == 1
    assert "`omk search sync` übernimmt sie" in result.output
    assert service.sync() > 0
    assert runner.invoke(args=["search", "verify"]).exit_code == 0


def test_the_search_page_for_logged_in_users(client: FlaskClient, people: dict[str, Any]) -> None:
    publish(people, ESSEN, factories.practice("Sprachcafé im Stadtteil"))
    assert client.get("/suche?q=Sprachcafe").status_code in (302, 401)
    login(client, people["staff"])
    page = client.get("/suche?q=Sprachcafe")
    assert page.status_code == 200
    assert "Sprachcafé im Stadtteil" in page.text and "1 Maßnahme gefunden" in page.text
    assert "<mark>" in page.text
    # a typo beside a word that matches: the corrected query's results, and the page says so
    page = client.get("/suche?q=Sprachcafe Stadtteill")
    assert "Keine Maßnahme enthält alle Wörter von „Sprachcafe Stadtteill“" in page.text
    pid = reports.published_document(reports.get_report("2025", ESSEN))["practices"][0]["id"]
    detail = client.get(f"/massnahmen/{pid}")
    assert detail.status_code == 200 and "Sprachcafé im Stadtteil" in detail.text
    # without a word: a way in by criterion, which lists that criterion's practices
    empty = client.get("/suche").text
    assert "nach Kriterium durchsehen" in empty
    browse = re.search(r'href="(/suche\?criterion=sprache_bildung[^"]*)"', empty)
    assert browse is not None
    listed = client.get(browse.group(1).replace("&amp;", "&")).text
    assert "Sprachcafé im Stadtteil" in listed and "1 Maßnahme gefunden" in listed


def test_practice_api_and_similar_practices(app: Flask, people: dict[str, Any]) -> None:
    from omk.services import accounts

    housing = dict(
        summary="Die Stadt mietet Wohnungen bei privaten Vermietern an und vermittelt sie an "
        "anerkannte Geflüchtete; Mietgarantie und Ansprechpartner für Vermieter.",
        description="Wohnraumakquise: Vermieter erhalten eine Mietgarantie der Stadt, "
        "Geflüchtete ziehen aus der Gemeinschaftsunterkunft in eigene Wohnungen.",
        criterion="unterbringung",
    )
    # A corpus of unrelated practices, so that "similar" stands out from the usual.
    topics = [
        ("Fußball für alle", "Ein Sportverein öffnet sein Training für junge Geflüchtete."),
        ("Sprachcafé", "Ehrenamtliche üben jeden Mittwoch Deutsch im Stadtteilzentrum."),
        ("Ausbildungslotsen", "Lotsen begleiten Jugendliche in eine Ausbildung im Handwerk."),
        ("Kita-Einstieg", "Eltern lernen die Kita kennen, bevor ihr Kind aufgenommen wird."),
        ("Gesundheitslotsen", "Mehrsprachige Lotsen erklären Arztpraxen und Krankenkassen."),
        ("Fahrradwerkstatt", "In einer Werkstatt reparieren Geflüchtete gespendete Räder."),
        ("Integrationsrat", "Ein gewählter Rat berät den Stadtrat zu Fragen der Migration."),
        ("Patenschaften", "Paten begleiten Familien bei Behördengängen im ersten Jahr."),
        ("Jobmesse", "Betriebe stellen sich vor und führen Gespräche mit Bewerbern."),
        ("Schulbegleitung", "Lehrkräfte unterstützen Seiteneinsteiger in Willkommensklassen."),
    ]
    filler = [factories.practice(t, summary=s, description=s) for t, s in topics]
    publish(
        people,
        ESSEN,
        factories.practice("Wohnraumakquise mit Mietgarantie", **housing),
        *filler[:5],
    )
    publish(people, KOELN, factories.practice("Mietgarantie für Vermieter", **housing), *filler[5:])
    pid = reports.published_document(reports.get_report("2025", ESSEN))["practices"][0]["id"]
    client = app.test_client()
    headers = {"Authorization": f"Bearer {accounts.create_token(None, people['staff'])}"}
    practice = client.get(f"/api/v1/practices/{pid}", headers=headers)
    assert practice.status_code == 200
    assert practice.json["title"] == "Wohnraumakquise mit Mietgarantie"
    assert practice.json["cycles"] == ["2025"] and practice.json["ags"] == ESSEN
    similar = client.get(f"/api/v1/practices/{pid}/similar", headers=headers)
    assert similar.status_code == 200
    titles = [i["title"] for i in similar.json["items"]]
    assert titles == ["Mietgarantie für Vermieter"], "only what solves the same need"
    assert similar.json["items"][0]["terms"]
    login(client, people["staff"])
    page = client.get(f"/massnahmen/{pid}")
    assert "Ähnliche Maßnahmen in anderen Kommunen" in page.text
    assert "Mietgarantie für Vermieter" in page.text
    found = client.get("/api/v1/search?q=Mietgarantie&criterion=unterbringung", headers=headers)
    assert found.status_code == 200 and found.json["total"] == 2
    assert {f["value"] for f in found.json["facets"]["criterion"]} == {"unterbringung"}
    assert found.json["suggestion"] is None and found.json["corrected_from"] is None
    # results for a corrected query say so, as the page does
    typo = client.get("/api/v1/search?q=Mietgarantei", headers=headers)
    assert typo.status_code == 200 and typo.json["total"] == 2
    assert typo.json["suggestion"] == "Mietgarantie"
    assert typo.json["corrected_from"] == "Mietgarantei"


def test_validated_good_practice_is_a_facet_page_and_api(
    client: FlaskClient, people: dict[str, Any]
) -> None:
    from omk.synergies import validation

    lotsen, cafe = factories.practice("Sprachlotsen"), factories.practice("Sprachcafé")
    publish(people, ESSEN, lotsen)
    publish(people, KOELN, cafe)
    marks = {c: {"mark": "3", "note": "belegt"} for c in ("ergebnisse", "uebertragbarkeit")}
    marks |= {c: {"mark": "2", "note": "belegt"} for c in ("ziele", "evaluiert_innovativ")}
    marks |= {c: {"mark": "2", "note": "belegt"} for c in ("wirksamkeit", "zielbeitrag")}
    reason = "Wirksam, gut beschrieben und übertragbar."
    validation.validate(people["reviewer"], lotsen["id"], marks, reason, "validated")  # type: ignore[arg-type]
    validation.validate(people["reviewer"], cafe["id"], marks, reason, "not_validated")  # type: ignore[arg-type]
    assert service.search("Sprach").facets["validated"] == {"1": 1}
    assert titles(service.search("Sprach", filters={"validated": ["1"]})) == ["Sprachlotsen"]
    assert service.verify().clean
    login(client, people["staff"])
    page = client.get("/suche?q=Sprach&validated=1")
    assert "Sprachlotsen" in page.text and "1 Maßnahme gefunden" in page.text
    assert "Gute Praxis" in page.text and "als gute Praxis validiert" in page.text
    from omk.services import accounts

    bearer = accounts.create_token(None, people["staff"])
    answer = client.get(
        "/api/v1/search?q=Sprach&validated=1", headers={"Authorization": f"Bearer {bearer}"}
    )
    assert answer.status_code == 200, answer.text
    body = answer.get_json()
    assert [i["title"] for i in body["items"]] == ["Sprachlotsen"]
    assert body["facets"]["validated"] == [
        {"value": "1", "label": "als gute Praxis validiert", "count": 1}
    ]
    # a newer validation that withdraws it takes it out of the facet
    validation.validate(people["reviewer"], lotsen["id"], marks, reason, "not_validated")  # type: ignore[arg-type]
    assert (
        "validated" not in service.search("Sprach").facets
        or not service.search("Sprach").facets["validated"]
    )
