"""The data of content/search/ (lexicon, stop words, no-split list), lemmas and stems.

The data folder is the repository's by default; ``use_data_dir`` in the package points it at
a configured content folder and clears every cache.
"""

from __future__ import annotations

import gzip
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import Stemmer

from .folding import fold, fold_accents, transliterate

#: The repository's folder; the app points the module at its content folder (use_data_dir),
#: which for an installed package is the copy shipped inside it.
DEFAULT_DATA_DIR = Path(__file__).resolve().parents[3] / "content" / "search"
LEXICON_FILE = "lexicon-de.tsv.gz"
STOPWORDS_FILE = "stopwords-de.txt"
NOSPLIT_FILE = "nosplit-de.txt"
SYNONYMS_FILE = "synonyms.txt"
THESAURUS_FILE = "thesaurus-de.txt"
_data_dir = DEFAULT_DATA_DIR


@dataclass(frozen=True)
class Lexicon:
    """Word frequencies for splitting, keyed by transliterated word."""

    zipf: dict[str, float]
    spelling: dict[str, str]  # transliterated key → most frequent real spelling

    def get(self, key: str) -> float:
        return self.zipf.get(key, 0.0)


def data_dir() -> Path:
    """The folder of the lexicon, stop words, no-split list and synonyms."""
    return _data_dir


def set_data_dir(path: Path | None) -> None:
    """Read the data from another folder; None: the default (callers clear the caches)."""
    global _data_dir
    _data_dir = Path(path) if path is not None else DEFAULT_DATA_DIR


def _data_lines(name: str) -> Iterator[str]:
    path = _data_dir / name
    opener: Any = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        for raw in handle:
            line = raw.split("#", 1)[0].strip()
            if line:
                yield line


_loading = threading.RLock()  # load each data file once, even when threads start together


@lru_cache(maxsize=1)
def lexicon() -> Lexicon:
    """The splitter's lexicon (content/search/lexicon-de.tsv.gz)."""
    with _loading:
        return _load_lexicon()


def _load_lexicon() -> Lexicon:
    zipf: dict[str, float] = {}
    spelling: dict[str, str] = {}
    for line in _data_lines(LEXICON_FILE):
        word, value = line.split("\t")
        key = transliterate(word)
        score = int(value) / 10
        if score > zipf.get(key, -1.0):
            zipf[key] = score
            spelling[key] = fold_accents(word)
    return Lexicon(zipf, spelling)


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    """German stop words, transliterated (für and fuer are both stop words)."""
    return frozenset(transliterate(word) for word in _data_lines(STOPWORDS_FILE))


@lru_cache(maxsize=1)
def nosplit() -> frozenset[str]:
    """Words that are never split (Willkommen, Handwerk), transliterated."""
    return frozenset(transliterate(word) for word in _data_lines(NOSPLIT_FILE))


@lru_cache(maxsize=1)
def _dictionary() -> Mapping[str, str]:
    """simplemma's German form → lemma dictionary (loaded once, about 3 s and 120 MB)."""
    from simplemma.strategies.dictionaries.dictionary_factory import (
        DefaultDictionaryFactory,
    )

    with _loading:
        return DefaultDictionaryFactory().get_dictionary("de")


_stemmers = threading.local()


def _stem(word: str) -> str:
    """Snowball German stem (PyStemmer objects are not thread-safe: one per thread)."""
    stemmer = getattr(_stemmers, "german", None)
    if stemmer is None:
        stemmer = _stemmers.german = Stemmer.Stemmer("german")
    return str(stemmer.stemWord(word))


def _capitalised(word: str) -> str:
    return word[:1].upper() + word[1:].lower()


@lru_cache(maxsize=200_000)
def lemma(word: str) -> str | None:
    """The dictionary lemma of a word in any case and umlaut spelling, or None if unknown.

    The capitalised form is looked up first, so "lotsen" and "Lotsen" both give Lotse.
    """
    dictionary = _dictionary()
    candidates = [_capitalised(word), word.lower()]
    known = lexicon().spelling.get(transliterate(word))
    if known and known.lower() != word.lower():  # Fluechtlinge → Flüchtlinge
        candidates += [_capitalised(known), known.lower()]
    for candidate in candidates:
        found = dictionary.get(candidate)
        if found:
            return fold_accents(found)
    return None


def _feminine_base(word_lemma: str) -> str | None:
    """Lehrerin → Lehrer, Patin → Pate (only if the plural in -innen is a known form)."""
    if not word_lemma.lower().endswith("in") or len(word_lemma) < 5:
        return None
    dictionary = _dictionary()
    if dictionary.get(_capitalised(word_lemma) + "nen") != _capitalised(word_lemma):
        return None
    base = word_lemma[:-2]
    for candidate in (_capitalised(base), _capitalised(base) + "e"):
        if dictionary.get(candidate) == candidate:
            return candidate
    return None


def _term(word_lemma: str) -> str:
    return fold(_stem(word_lemma.lower()))


@lru_cache(maxsize=1)
def _surfaces() -> dict[str, str]:
    """Folded word → its most frequent spelling in the lexicon (umlauts and ß kept)."""
    found: dict[str, tuple[float, str]] = {}
    lex = lexicon()
    for key, spelt in lex.spelling.items():
        folded = fold(spelt)
        score = lex.zipf[key]
        if folded not in found or score > found[folded][0]:
            found[folded] = (score, spelt)
    return {folded: spelt for folded, (_, spelt) in found.items()}


def surface(folded: str) -> str:
    """A folded word (as the index and "Meinten Sie …?" keep it) as German writes it:
    "fluchtlinge" → "flüchtlinge", "willkommensbehorde" → "willkommensbehörde" (a word the
    lexicon lacks, by the fewest known pieces of at least three letters). Unchanged when no
    spelling is known; only letters that folding changes (umlauts, ß) can differ."""
    table = _surfaces()
    if folded in table:
        return table[folded]
    size = len(folded)
    best: list[tuple[int, str] | None] = [(0, "")] + [None] * size
    for end in range(3, size + 1):
        for start in range(0, end - 2):
            before, piece = best[start], table.get(folded[start:end])
            if before is not None and piece is not None:
                candidate = (before[0] + 1, before[1] + piece)
                current = best[end]
                if current is None or candidate[0] < current[0]:
                    best[end] = candidate
    last = best[size]
    return last[1] if last is not None and fold(last[1]) == folded else folded
