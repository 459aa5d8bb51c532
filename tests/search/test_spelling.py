"""Spelling correction of query words that match nothing (omk.search.spelling)."""

from __future__ import annotations

import pytest

from omk.search import spelling

#: A small index vocabulary (folded surface words) with document counts.
VOCABULARY = {
    "integrationskurs": 5,
    "koordination": 4,
    "ehrenamt": 6,
    "ordination": 1,
    "hausaufgabenhilfe": 1,
    "arbeitsmarktmentoren": 1,
    "fluchtlingshilfe": 3,
}


def suggest(word: str) -> str | None:
    """The most frequent vocabulary word within two edits, as a backend answers."""
    near = [w for w in VOCABULARY if spelling.distance(w, word) <= 2]
    return max(near, key=lambda w: (VOCABULARY[w], w)) if near else None


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("Integartionskurs", "integrationskurs"),  # a transposition is one edit
        ("Hausaufgabnhilfe", "hausaufgabenhilfe"),
        # no index word is near the whole compound: its misspelled part is corrected
        ("Ehrenamtskordination", "ehrenamtskoordination"),
        ("integrationskurs", None),  # the index has the word itself
        ("Kriegserlebnissen", None),  # nothing near
    ],
)
def test_correction(typed: str, expected: str | None) -> None:
    assert spelling.correction(typed, suggest) == expected


def test_distance_counts_a_transposition_once() -> None:
    assert spelling.distance("integartion", "integration") == 1
    assert spelling.distance("kordination", "koordination") == 1
    assert spelling.distance("helfer", "hilfe") == 2


@pytest.mark.parametrize(
    ("typed", "corrected", "confident"),
    [
        ("Integartionskurs", "integrationskurs", True),  # no German word
        ("Hausaufgabnhilfe", "hausaufgabenhilfe", True),  # splits, but one edit away
        ("Flüchtlingshelfer", "fluchtlingshilfe", False),  # a real compound, two edits
        ("Seelische", "seelsorge", False),  # a German word the practices may lack
    ],
)
def test_only_typos_are_corrected_unasked(typed: str, corrected: str, confident: bool) -> None:
    assert spelling.confident(typed, corrected) is confident
