"""The analysis of words and texts: terms with positions, for the index and for queries."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from .compounds import Segment, _split_spans
from .dictionary import (
    _capitalised,
    _dictionary,
    _feminine_base,
    _term,
    lemma,
    lexicon,
    stopwords,
)
from .folding import (
    _BINNEN_I,
    _GENDER,
    _HYPHEN,
    Kind,
    Mode,
    Token,
    _matches,
    fold,
    fold_accents,
    transliterate,
)


@dataclass(frozen=True, slots=True)
class WordTerms:
    """The terms of one word: its own term and the extra terms of its parts."""

    term: str
    parts: tuple[str, ...] = ()


def _is_abbreviation(word: str) -> bool:
    return (
        2 <= len(word) <= 5
        and word.isupper()
        and word.isalpha()
        and _dictionary().get(_capitalised(word)) is None
    )


def leaf_term(spans: Segment, index: int) -> str:
    """The term of one part of a split word (its lemma's stem)."""
    spelling = lexicon().spelling
    leaf = spelling.get(spans[index][2], spans[index][2])
    return _term(lemma(leaf) or leaf)


def sub_compound_term(key: str, spans: Segment, first: int, last: int) -> str:
    """The term of parts ``first`` to ``last`` of a split word (transliterated ``key``), as
    the index holds it: Flüchtlingssozialarbeit, parts 1-2 → ``sozialarbeit``."""
    if first == last:
        return leaf_term(spans, first)
    text = key[spans[first][0] : spans[last][0]] + (
        key[spans[last][0] :] if last == len(spans) - 1 else spans[last][2]
    )
    return _term(lemma(text) or text)


@lru_cache(maxsize=200_000)
def analyze_word(word: str) -> WordTerms | None:
    """Terms of one word (no hyphen): None for stop words and single characters."""
    word = fold_accents(word)
    key = transliterate(word)
    if len(key) < 2 or key in stopwords():
        return None
    if not word.isalpha() or _is_abbreviation(word):  # numbers, A1, VHS, BAMF
        return WordTerms(fold(word))
    parts: list[str] = []
    spans = _split_spans(word)
    known = lemma(word)
    if known is not None:
        whole = known
    elif spans:  # unknown compound: lemmatise its head (Ausbildungslotsen → …lotse)
        head_start = spans[-1][0]
        head = lexicon().spelling.get(spans[-1][2], key[head_start:])
        whole = key[:head_start] + transliterate(lemma(head) or head)
    else:
        whole = word
    if spans:
        lex = lexicon()
        leaves = [lemma(lex.spelling.get(p, p)) or lex.spelling.get(p, p) for _, _, p in spans]
        parts.extend(_term(leaf) for leaf in leaves)
        # sub-compounds of two or more parts: Flüchtlingssozialarbeit → Sozialarbeit
        count = len(spans)
        for first in range(count):
            for last in range(first + 1, count):
                if first == 0 and last == count - 1:
                    continue
                parts.append(sub_compound_term(key, spans, first, last))
    feminine = _feminine_base(whole)
    if feminine:
        parts.append(_term(feminine))
    term = _term(whole)
    return WordTerms(term, tuple(dict.fromkeys(p for p in parts if p != term)))


@lru_cache(maxsize=200_000)
def _token_terms(token: str, mode: Mode) -> tuple[tuple[str, Kind], ...]:
    """Terms of one tokenizer match (a word, a hyphenated compound or a gender form)."""
    unique: dict[str, Kind] = {}
    for term, kind in _token_terms_raw(token, mode):
        if term:
            unique.setdefault(term, kind)
    return tuple(unique.items())


def _token_terms_raw(token: str, mode: Mode) -> list[tuple[str, Kind]]:
    token = _HYPHEN.sub("-", token).rstrip("-")
    found: list[tuple[str, Kind]] = []
    gender = _GENDER.match(token) or _BINNEN_I.match(token)
    if gender:
        base = analyze_word(gender["base"])
        if base:
            found.append((base.term, "word"))
            if mode == "index":
                found += [(part, "part") for part in base.parts]
                plural = "nen" if gender["suffix"].endswith("nen") else ""
                feminine = analyze_word(gender["base"] + "in" + plural)
                if feminine:
                    found.append((feminine.term, "part"))
        return found
    pieces = [piece for piece in token.split("-") if piece]
    if len(pieces) == 1:
        analysed = analyze_word(pieces[0])
        if analysed is None:
            return []
        found.append((analysed.term, "word"))
        if mode == "index":
            found += [(part, "part") for part in analysed.parts]
        return found
    # Sprach-Café, Kita-Plätze: the joined word, then each piece
    joined_word = pieces[0] + "".join(piece.lower() for piece in pieces[1:])
    joined = analyze_word(joined_word)
    if joined:
        found.append((joined.term, "word"))
        if mode == "index":
            found += [(part, "part") for part in joined.parts]
    is_compound = joined is not None and (joined.parts or lemma(fold_accents(joined_word)))
    if mode == "query" and not is_compound:  # VHS-Kurse, Covid-19: each piece is a word
        found = []
        for piece in pieces:
            analysed = analyze_word(piece)
            if analysed:
                found.append((analysed.term, "word"))
    if mode == "index":
        for piece in pieces:
            analysed = analyze_word(piece)
            if analysed:
                found.append((analysed.term, "part"))
                found += [(part, "part") for part in analysed.parts]
    return found


Found = tuple[tuple[str, Kind], ...]  # the terms of one word position


_WORD_CACHE_SIZE = 500_000
_word_caches: dict[str, dict[str, Found]] = {"index": {}, "query": {}}


def _words(text: str, mode: Mode) -> list[tuple[int, int, Found]]:
    """Each word position of a text: its character span and its (cached) terms."""
    cache = _word_caches[mode]
    if len(cache) > _WORD_CACHE_SIZE:  # a plain dict is faster than lru_cache here
        cache.clear()
    matches = list(_matches(text))
    last = len(matches) - 2
    words: list[tuple[int, int, Found]] = []
    for index, match in enumerate(matches):
        word = match.group()
        found = cache.get(word)
        if found is None:
            if match.lastgroup == "number":  # 2.500 → 2500
                found = ((word.replace(".", ""), "word"),)
            elif word[-1] in "-\u2010\u2011":  # depends on the next words: not cached
                if index < last:
                    suspended = _suspended_terms(word, matches[index + 1], matches[index + 2], mode)
                    if suspended:
                        words.append((match.start(), match.end(), suspended))
                    continue
                found = _token_terms(word, mode)
            else:
                found = cache[word] = _token_terms(word, mode)
        if found:
            words.append((match.start(), match.end(), found))
    return words


def analyze(text: str, mode: Mode = "index", start_pos: int = 0) -> list[Token]:
    """Tokens of a text with word positions and character offsets into ``text``.

    ``index`` mode emits every word's term plus its compound parts at the same position;
    ``query`` mode only the words' own terms. URLs and e-mail addresses are dropped.
    """
    return [
        Token(term, pos, start, end, kind)
        for pos, (start, end, found) in enumerate(_words(text, mode), start_pos)
        for term, kind in found
    ]


_CONJUNCTIONS = frozenset({"und", "oder", "sowie", "bzw", "bis", "als", "statt"})


def _suspended_terms(
    token: str, conjunction: re.Match[str], following: re.Match[str], mode: Mode
) -> tuple[tuple[str, Kind], ...]:
    """A suspended compound: "Sprach- und Integrationskurse" → Sprachkurse (and Sprach)."""
    own = _token_terms(token, mode)
    if conjunction.group().lower() not in _CONJUNCTIONS:
        return own
    last = _HYPHEN.split(following.group())[-1]
    spans = _split_spans(last)
    if not spans:
        return own
    head = transliterate(last)[spans[-1][0] :]
    joined = _token_terms(_HYPHEN.sub("", token) + head, mode)
    if not joined:
        return own
    if mode == "query":
        return joined
    extra: tuple[tuple[str, Kind], ...] = tuple(
        (term, "part") for term, _ in own if term not in dict(joined)
    )
    return joined + extra


def terms(text: str, mode: Mode = "index") -> list[str]:
    """The terms of a text in order, with repetitions (for TF-IDF and similarity)."""
    return [term for _, _, found in _words(text, mode) for term, _ in found]


TSVECTOR_MAX_POSITION = 16383  # PostgreSQL keeps positions up to this value


def tsvector_literal(text: str, weight: str = "") -> str:
    """The terms of a text as a PostgreSQL tsvector literal with positions (1-based).

    Cast it with ``CAST(:value AS tsvector)``, not ``to_tsvector``, so PostgreSQL stores
    exactly these terms: "Sprachförderung" → ``'sprach':1 'sprachforder':1 'forder':1``.
    ``weight`` (A–D) is appended to every position for weighted ranking.
    """
    if weight not in ("", "A", "B", "C", "D"):
        raise ValueError(f"tsvector weight must be A, B, C or D, not {weight!r}")
    positions: dict[str, list[int]] = {}
    for token in analyze(text):
        where = positions.setdefault(token.text, [])
        position = min(token.pos + 1, TSVECTOR_MAX_POSITION)
        if not where or where[-1] != position:
            where.append(position)
    return " ".join(
        "'"
        + term.replace("\\", "\\\\").replace("'", "''")
        + "':"
        + ",".join(f"{position}{weight}" for position in where)
        for term, where in positions.items()
    )
