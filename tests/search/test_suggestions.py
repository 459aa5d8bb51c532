"""Suggestions ("Meinten Sie …?") on both backends: the nearest indexed word within edit
distance 2 (the most frequent among equally near ones), kept up to date by every change,
never a word only removed documents had (no leak)."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask

from omk.search import service
from omk.search.suggestions import WordList, closest, document_words
from tests.search.test_backends import _eval_records, record

pytestmark = pytest.mark.search_backends


def test_the_most_frequent_close_word_is_suggested(app: Flask, search_backend: str) -> None:
    backend = service.engine()
    records = [
        record("d1", "Sprachcafé für Eltern", summary="Ein Treffpunkt im Stadtteil."),
        record("d2", "Sprachcafé am Markt", summary="Deutsch lernen beim Kaffee."),
        record("d3", "Sprachkaffee", summary="Ein anderer Name."),
    ]
    assert backend.apply([r.practice_id for r in records], records)
    assert backend.suggest("sprachcaffe") == "sprachcafe"  # in two documents, not one
    assert backend.suggest("treffpunkd") == "treffpunkt"
    assert backend.suggest("xyzxyzxyz") is None


def test_the_nearest_word_wins_over_a_more_frequent_one(app: Flask, search_backend: str) -> None:
    """ "Kindr" means "Kinder", however often "sind" (two edits away) occurs."""
    backend = service.engine()
    records = [
        record("d1", "Lernhilfe für Kinder", summary="Ein Treffpunkt."),
        record("d2", "Sprachcafé", summary="Alle sind willkommen."),
        record("d3", "Fahrradwerkstatt", summary="Räder sind gespendet."),
        record("d4", "Gartenprojekt", summary="Beete sind verteilt."),
    ]
    assert backend.apply([r.practice_id for r in records], records)
    assert backend.suggest("kindr") == "kinder"


def test_removed_words_are_never_suggested(app: Flask, search_backend: str) -> None:
    """A word counts the documents that hold it: replacing or removing a document subtracts
    its words, and a word of no document left is gone (an unpublished correction or a
    withdrawn report must not show up as a suggestion)."""
    backend = service.engine()
    first = record("d1", "Wohnraumakquise für Geflüchtete", summary="Vermieter gewinnen.")
    second = record("d2", "Wohnraumakquise im Landkreis", summary="Mietwohnungen finden.")
    assert backend.apply(["d1", "d2"], [first, second])
    assert backend.suggest("wohnraumakqise") == "wohnraumakquise"
    assert backend.suggest("vermiter") == "vermieter"
    # d1 replaced by a version without its words: they leave with it
    assert backend.apply(["d1"], [record("d1", "Patenschaften", summary="Begleitung.")])
    assert backend.suggest("vermiter") is None
    assert backend.suggest("wohnraumakqise") == "wohnraumakquise"  # still in d2
    assert backend.apply(["d2"], [])  # d2 removed (e.g. withdrawn)
    assert backend.suggest("wohnraumakqise") is None
    assert backend.suggest("patenschaftn") == "patenschaften"
    # applying the same change again changes nothing (the outbox may repeat an entry)
    assert backend.apply(["d2"], [])
    assert backend.suggest("patenschaftn") == "patenschaften"


def test_a_rebuild_counts_as_the_changes_did(app: Flask, search_backend: str) -> None:
    backend = service.engine()
    records = _eval_records()[:40]
    assert backend.apply([r.practice_id for r in records], records)
    words = sorted({w for r in records for w in document_words(r)})
    probes = [w[:-1] + "x" for w in words[::7]]
    before = [backend.suggest(p) for p in probes]
    assert backend.rebuild([records]) == len(records)
    assert [backend.suggest(p) for p in probes] == before
    assert any(before)


def test_the_whoosh_word_list_counts_documents(tmp_path: Path) -> None:
    words = WordList(tmp_path)
    bulk = words.fill()
    bulk.add([record("d1", "Sprachcafé Sprachcafé"), record("d2", "Sprachcafe und Kita")])
    bulk.finish()
    assert words.counts() == {"sprachcafe": 2, "kita": 1}
    conn = words.begin_replace(["d1"], [])
    conn.close()  # not committed: nothing changed
    assert words.counts() == {"sprachcafe": 2, "kita": 1}
    conn = words.begin_replace(["d1"], [])
    conn.execute("COMMIT")
    conn.close()
    assert words.counts() == {"sprachcafe": 1, "kita": 1}


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("kitta", "kita"),  # one edit
        ("kitaaa", "kita"),  # two edits
        ("kitaaaa", None),  # three
        ("sprachcafe", "sprachcafe"),
        ("sprachkafe", "sprachcafe"),  # one edit (k → c); "sprachkaffee" is two
    ],
)
def test_closest(word: str, expected: str | None) -> None:
    words = ["kita", "sprachcafe", "sprachkaffee"]
    assert closest(word, words, [3, 5, 2]) == expected


def test_a_suggestion_is_shown_with_umlauts() -> None:
    """The word list keeps folded words; "Meinten Sie …?" shows them as German writes them,
    a compound the lexicon lacks by its pieces, the capital of a noun kept."""
    corrections = {"Fluchtlnge": "fluchtlinge", "Wilkommensbehörde": "willkommensbehorde"}
    suggestion = service._suggestion("Fluchtlnge Wilkommensbehörde", corrections)
    assert suggestion == "Flüchtlinge Willkommensbehörde"
    assert service._suggestion("kindr", {"kindr": "kinder"}) == "kinder"
    assert service._suggestion("xqzt", {"xqzt": "xqztw"}) == "xqztw"  # no spelling known
