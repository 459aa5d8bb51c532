"""Synonyms and query expansion: the alternatives of each query word or phrase."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from .compounds import _split_spans
from .dictionary import SYNONYMS_FILE, THESAURUS_FILE, _data_lines
from .folding import _matches, fold_accents, transliterate
from .words import analyze_word, sub_compound_term, terms

Alternative = tuple[str, ...]  # terms that must all occur


@dataclass(frozen=True)
class Synonyms:
    """Synonym rules: each entry (a tuple of query terms) maps to its alternatives."""

    rules: dict[Alternative, tuple[Alternative, ...]]
    longest: int

    def alternatives(self, entry: Alternative) -> tuple[Alternative, ...]:
        return self.rules.get(entry, ())


def parse_synonyms(lines: Sequence[str]) -> Synonyms:
    """Parse the synonym format of content/search/synonyms.txt (see its header)."""
    rules: dict[Alternative, list[Alternative]] = {}

    def entries(side: str) -> list[Alternative]:
        result = []
        for phrase in side.split(","):
            analysed = tuple(terms(phrase, "query"))
            if analysed:
                result.append(analysed)
        return result

    for raw in lines:
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if "=>" in line:
            left, right = line.split("=>", 1)
            sources, targets = entries(left), entries(right)
        else:
            sources = targets = entries(line)
        for source in sources:
            known = rules.setdefault(source, [])
            for target in targets:
                if target != source and target not in known:
                    known.append(target)
    longest = max((len(entry) for entry in rules), default=1)
    return Synonyms({key: tuple(value) for key, value in rules.items()}, longest)


@lru_cache(maxsize=1)
def synonyms() -> Synonyms:
    """The synonym list of content/search/synonyms.txt."""
    return parse_synonyms(list(_data_lines(SYNONYMS_FILE)))


@lru_cache(maxsize=1)
def thesaurus() -> Synonyms:
    """Related words of content/search/thesaurus-de.txt (derived from OpenThesaurus; built by
    scripts/build_search_thesaurus.py): weaker than synonyms.txt, asked for with
    ``related=True``."""
    return parse_synonyms(list(_data_lines(THESAURUS_FILE)))


def _decompounded(word: str) -> list[Alternative]:
    """A compound's word as two halves, at each cut between its parts.

    Kindertagesstätte → (kind, tagesstatt), (kindertag, statt): each half is a term the
    index holds (a part or a sub-compound), so "Tagesstätte für Kinder" matches, but not
    every text with "Kinder", "Tag" and "statt" somewhere."""
    analysed = analyze_word(word)
    spans = _split_spans(fold_accents(word)) if analysed else ()
    if not spans:
        return []
    key = transliterate(fold_accents(word))
    last = len(spans) - 1
    halves = [
        (sub_compound_term(key, spans, 0, cut - 1), sub_compound_term(key, spans, cut, last))
        for cut in range(1, len(spans))
    ]
    return [tuple(dict.fromkeys(pair)) for pair in halves]


def query_terms(
    word: str, *, use_synonyms: bool = True, related: bool = False, halves: bool = True
) -> list[Alternative]:
    """Alternatives for one query word, the word's own term first.

    Each alternative is a tuple of terms that must all occur: the word's term, its synonyms
    (from synonyms.txt) and, for a compound, its two halves at each cut ("Sprachförderung" →
    ("sprachforder",), ("sprach", "forder")), so "Förderung der Sprache" can match too. With
    ``related``, a word that synonyms.txt does not list also gets its related words of the
    thesaurus (thesaurus-de.txt: "Ängste" → Sorge, Befürchtung …), after the others.
    Without ``halves``, a compound has no halves: the alternatives a text holds when it
    contains the word itself or a synonym (the search ranks those first).
    """
    own = tuple(terms(word, "query"))
    if not own:
        return []
    found: list[Alternative] = [own]
    curated: tuple[Alternative, ...] = ()
    if use_synonyms:
        curated = synonyms().alternatives(own)
        found += [alt for alt in curated if alt not in found]
    if halves and len(own) == 1:
        found += [alt for alt in _decompounded(word) if alt not in found]
    if use_synonyms and related and not curated:
        # the hand-written list, where it has the word, says it better
        found += [alt for alt in thesaurus().alternatives(own) if alt not in found]
    return found


@dataclass(frozen=True)
class QueryPart:
    """One word or synonym phrase of a query with its alternatives (own terms first)."""

    text: str
    alternatives: tuple[Alternative, ...]


def expand_query(
    text: str, *, use_synonyms: bool = True, related: bool = False, halves: bool = True
) -> list[QueryPart]:
    """Split a query into words and multi-word synonym phrases, each with its alternatives.

    "Agentur für Arbeit Kita" → [Agentur für Arbeit: (agentur, arbeit), (arbeitsagentur,) …;
    Kita: (kita,), (kindertagesstatt,) …]. A document matches a part when all terms of one
    alternative occur in it. ``related``: see :func:`query_terms`.
    """
    words = list(_matches(text))
    analysed = [(m, tuple(terms(m.group(), "query"))) for m in words]
    analysed = [(m, found) for m, found in analysed if found]
    rules = synonyms() if use_synonyms else Synonyms({}, 1)
    result: list[QueryPart] = []
    index = 0
    while index < len(analysed):
        for size in range(min(rules.longest, len(analysed) - index), 1, -1):
            window = analysed[index : index + size]
            entry = tuple(term for _, found in window for term in found)
            if rules.alternatives(entry):
                phrase = text[window[0][0].start() : window[-1][0].end()]
                result.append(QueryPart(phrase, (entry, *rules.alternatives(entry))))
                index += size
                break
        else:
            match = analysed[index][0]
            alternatives = query_terms(
                match.group(), use_synonyms=use_synonyms, related=related, halves=halves
            )
            result.append(QueryPart(match.group(), tuple(alternatives)))
            index += 1
    return result


def matches(query: str, document: str, *, use_synonyms: bool = False) -> bool:
    """True if a document has every query word (one of its alternatives with synonyms).

    Without synonyms: the query's terms are a subset of the document's terms.
    """
    document_terms = set(terms(document))
    if not use_synonyms:
        wanted = set(terms(query, "query"))
        return bool(wanted) and wanted <= document_terms
    parts = expand_query(query)
    return bool(parts) and all(
        any(set(alternative) <= document_terms for alternative in part.alternatives)
        for part in parts
    )
