"""German text analysis, the same for indexing, querying and similarity.

One word goes through: Unicode NFKC and accent folding (é → e; umlauts and ß are kept for the
dictionary and folded at the end), stop words, lemmatising with simplemma's German dictionary
(case-insensitively, so a query in lower case meets a capitalised noun), compound splitting
over a frequency lexicon (content/search/lexicon-de.tsv.gz), Snowball stemming (PyStemmer) of
the lemma, and a last fold (ä → a, ß → ss). Stemming the lemma, not the inflected word, avoids
the Snowball trap (Integrationskurs → ``integrationskur`` but Integrationskurse →
``integrationskurs``). A compound keeps its whole term and adds its parts and its
sub-compounds at the same position. content/search/README.md explains the data and licences.

Pure Python: no Flask, no database. ``analyze`` gives tokens with positions (index),
``terms`` the terms of a text (similarity, TF-IDF), ``query_terms``/``expand_query`` the
alternatives of a query word with synonyms, ``GermanAnalyzer`` the same for Whoosh.

Modules by concern (this package re-exports what callers use): ``folding`` (tokenising,
folding), ``dictionary`` (data files, lemmas, stems), ``compounds`` (the splitter), ``words``
(words and texts to terms), ``expansion`` (synonyms, query alternatives), ``analyzer``
(Whoosh).
"""

from __future__ import annotations

from pathlib import Path

from .analyzer import GermanAnalyzer, whoosh_analyzer
from .compounds import (
    _is_word,
    _modifier,
    _nosplit_pattern,
    _segment,
    _spans,
    split_compound,
)
from .dictionary import (
    DEFAULT_DATA_DIR,
    LEXICON_FILE,
    NOSPLIT_FILE,
    STOPWORDS_FILE,
    SYNONYMS_FILE,
    Lexicon,
    _surfaces,
    data_dir,
    lemma,
    lexicon,
    nosplit,
    set_data_dir,
    stopwords,
    surface,
)
from .expansion import (
    Alternative,
    QueryPart,
    Synonyms,
    expand_query,
    matches,
    parse_synonyms,
    query_terms,
    synonyms,
    thesaurus,
)
from .folding import Kind, Mode, Token, fold, fold_accents, transliterate
from .words import (
    TSVECTOR_MAX_POSITION,
    WordTerms,
    _token_terms,
    _word_caches,
    analyze,
    analyze_word,
    terms,
    tsvector_literal,
)


def clear_word_caches() -> None:
    """Forget every analysed word (the data files stay loaded); benchmarks start cold."""
    for word_cache in _word_caches.values():
        word_cache.clear()
    for cached in (lemma, _modifier, _is_word, _segment, _spans, analyze_word, _token_terms):
        cached.cache_clear()


def use_data_dir(path: Path | None) -> None:
    """Read the data from another folder (a configured content/search/); None: the default.

    Clears every cache: call it at start-up, before analysing anything.
    """
    set_data_dir(path)
    for cached in (lexicon, stopwords, nosplit, synonyms, thesaurus, _surfaces, _nosplit_pattern):
        cached.cache_clear()
    clear_word_caches()


def warm_up() -> None:
    """Load the dictionary, lexicon, stop words, synonyms and related words now rather than on
    first use."""
    lemma.cache_clear()
    analyze("Integrationskurse für Geflüchtete")
    synonyms()
    thesaurus()
    _surfaces()  # the spellings of "Meinten Sie …?" (≈ 0.5 s CPU)


def zipf_of(word: str) -> float:
    """The lexicon's Zipf frequency of a word (0 if unknown); for diagnostics and tests."""
    return lexicon().get(transliterate(word))


__all__ = [
    "DEFAULT_DATA_DIR",
    "LEXICON_FILE",
    "NOSPLIT_FILE",
    "STOPWORDS_FILE",
    "SYNONYMS_FILE",
    "TSVECTOR_MAX_POSITION",
    "Alternative",
    "GermanAnalyzer",
    "Kind",
    "Lexicon",
    "Mode",
    "QueryPart",
    "Synonyms",
    "Token",
    "WordTerms",
    "analyze",
    "analyze_word",
    "clear_word_caches",
    "data_dir",
    "expand_query",
    "fold",
    "fold_accents",
    "lemma",
    "lexicon",
    "matches",
    "nosplit",
    "parse_synonyms",
    "query_terms",
    "split_compound",
    "stopwords",
    "surface",
    "synonyms",
    "terms",
    "transliterate",
    "tsvector_literal",
    "use_data_dir",
    "warm_up",
    "whoosh_analyzer",
    "zipf_of",
]
