"""Document edits (omk.documents): pure functions that return a new document and never
change the one they are given."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from omk import documents
from tests import factories

CODES = ["sprache_bildung.kursplaetze_kommunal", "unterbringung.zuweisungen"]


@pytest.fixture
def doc() -> dict[str, Any]:
    a, b, c = (factories.practice(f"Maßnahme {n}") for n in "ABC")
    return factories.document("05113000", practices=[a, b, c])


def titles(doc: dict[str, Any]) -> list[str]:
    return [p["title"] for p in doc["practices"]]


def test_add_appends_and_links_only_what_it_explains(doc: dict[str, Any]) -> None:
    before = copy.deepcopy(doc)
    first = doc["practices"][0]["id"]
    new_practice = factories.practice("Neu")
    new = documents.add_practice(
        doc, new_practice, explains=["unterbringung.zuweisungen"], indicator_codes=CODES
    )
    assert doc == before  # untouched
    assert titles(new) == ["Maßnahme A", "Maßnahme B", "Maßnahme C", "Neu"]
    assert new["indicator_practices"] == {
        "sprache_bildung.kursplaetze_kommunal": [first],
        "unterbringung.zuweisungen": [new_practice["id"]],
    }
    new_practice["title"] = "geändert danach"
    assert titles(new)[-1] == "Neu"  # a copy, not the caller's dict


def test_update_keeps_the_position_and_relinks(doc: dict[str, Any]) -> None:
    before = copy.deepcopy(doc)
    first = copy.deepcopy(doc["practices"][0]) | {"title": "A neu"}
    new = documents.update_practice(doc, first, explains=[], indicator_codes=CODES)
    assert doc == before
    assert titles(new) == ["A neu", "Maßnahme B", "Maßnahme C"]
    assert new["indicator_practices"] == {}  # it no longer explains the indicator
    with pytest.raises(documents.PracticeNotFound):
        documents.update_practice(doc, factories.practice("fremd"), indicator_codes=CODES)


def test_links_to_indicators_outside_the_template_are_dropped(doc: dict[str, Any]) -> None:
    b = doc["practices"][1]
    new = documents.update_practice(
        doc, b, explains=["gibt.es.nicht", CODES[1]], indicator_codes=CODES
    )
    assert new["indicator_practices"][CODES[1]] == [b["id"]]
    assert "gibt.es.nicht" not in new["indicator_practices"]
    assert documents.explained_by(new, b["id"]) == [CODES[1]]


def test_remove_takes_the_links_along(doc: dict[str, Any]) -> None:
    before = copy.deepcopy(doc)
    first = doc["practices"][0]["id"]
    new = documents.remove_practice(doc, first)
    assert doc == before
    assert titles(new) == ["Maßnahme B", "Maßnahme C"]
    assert all(first not in refs for refs in new["indicator_practices"].values())
    with pytest.raises(documents.PracticeNotFound):
        documents.remove_practice(new, first)


def test_move_swaps_neighbours_and_stops_at_either_end(doc: dict[str, Any]) -> None:
    before = copy.deepcopy(doc)
    a, b, c = documents.practice_ids(doc)
    assert titles(documents.move_practice(doc, b, "up")) == [
        "Maßnahme B",
        "Maßnahme A",
        "Maßnahme C",
    ]
    assert titles(documents.move_practice(doc, b, "down"))[1:] == ["Maßnahme C", "Maßnahme B"]
    assert documents.move_practice(doc, a, "up") == doc
    assert documents.move_practice(doc, c, "down") == doc
    assert doc == before
    with pytest.raises(documents.PracticeNotFound):
        documents.move_practice(doc, "fehlt", "up")


def test_set_indicators_drops_links_to_unknown_or_no_practices(doc: dict[str, Any]) -> None:
    a = doc["practices"][0]["id"]
    new = documents.set_indicators(
        doc,
        {"unterbringung.zuweisungen": 12},
        {CODES[0]: [a, "fremd"], CODES[1]: ["fremd"]},
    )
    assert new["indicators"] == {"unterbringung.zuweisungen": 12}
    assert new["indicator_practices"] == {CODES[0]: [a]}
    assert doc["indicators"] != new["indicators"]


def test_continue_practices_keeps_ids_and_skips_present_ones(doc: dict[str, Any]) -> None:
    earlier = factories.document(
        "05113000", "2024", practices=[factories.practice("Alt 1"), factories.practice("Alt 2")]
    )
    old1, old2 = documents.practice_ids(earlier)
    new, added = documents.continue_practices(doc, earlier, [old1.upper(), "fremd"])
    assert added == 1 and documents.practice_ids(new)[-1] == old1
    again, added = documents.continue_practices(new, earlier, [old1, old2])
    assert added == 1 and documents.practice_ids(again)[-2:] == [old1, old2]
    assert len(doc["practices"]) == 3
