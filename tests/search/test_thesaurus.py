"""The thesaurus' related words (content/search/thesaurus-de.txt) and the script that builds it."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import numpy as np

from omk.search import analysis
from omk.search.analysis import expansion
from omk.search.analysis.dictionary import THESAURUS_FILE

ROOT = Path(__file__).resolve().parents[2]


def _script() -> ModuleType:
    path = ROOT / "scripts" / "build_search_thesaurus.py"
    spec = importlib.util.spec_from_file_location("build_search_thesaurus", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _related(word: str) -> set[str]:
    own = tuple(analysis.terms(word, "query"))
    return {term for alternative in expansion.thesaurus().alternatives(own) for term in alternative}


def _term(word: str) -> str:
    return analysis.terms(word, "query")[0]


def test_the_list_is_one_line_per_word_in_the_one_way_format() -> None:
    lines = [
        line
        for line in (analysis.data_dir() / THESAURUS_FILE).read_text("utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert len(lines) > 1000
    left = [line.split("=>", 1)[0].strip() for line in lines]
    assert all("=>" in line for line in lines)
    assert all(" " not in word and "," not in word for word in left)
    assert len(set(left)) == len(left)


def test_related_words_far_in_meaning_are_dropped() -> None:
    # "Schule" is also a school of fish; e5 puts that sense's words far from it
    related = _related("Schule")
    assert {_term("Bildungseinrichtung"), _term("Ausbildung")} <= related
    assert not {_term("Schwarm"), _term("Herde"), _term("Rudel")} & related
    # "Rezept": a recipe or a prescription, no longer a pattern
    assert _term("Anleitung") in _related("Rezept")
    assert _term("Muster") not in _related("Rezept")
    # a word whose every cosine is low keeps its nearest related word ("Bleibe" shares its
    # term with "bleiben", whose related words come too)
    assert _term("Domizil") in _related("Bleibe")


def test_the_filter_keeps_a_word_s_related_words_near_it() -> None:
    script = _script()
    vectors = {
        "Rezept": np.array([1.0, 0.0]),
        "Anleitung": np.array([0.9, np.sqrt(1 - 0.81)]),
        "Muster": np.array([0.5, np.sqrt(1 - 0.25)]),
        "Schema": np.array([0.45, np.sqrt(1 - 0.45**2)]),
    }
    related = script.related_words([["Anleitung", "Muster", "Rezept", "Schema"]], vectors)
    # cosines: Rezept–Anleitung 0.90, Muster–Schema 1.00, Anleitung–Muster 0.83, the rest less
    assert related == {
        "Rezept": ["Anleitung"],
        "Anleitung": ["Rezept"],
        "Muster": ["Schema"],
        "Schema": ["Muster"],
    }
    # a word with no cosine above the threshold keeps its nearest related word only
    vectors["Anleitung"] = np.array([0.0, 1.0])
    related = script.related_words([["Anleitung", "Rezept", "Muster"]], vectors)
    assert related["Rezept"] == ["Muster"]
    assert related["Anleitung"] == ["Muster"]
