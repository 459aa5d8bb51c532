"""The lexical signal: German TF-IDF vectors of practices and the terms two of them share."""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

import omk.search.analysis as analysis

from .candidates import rank_in_group
from .items import Item

# --- parameters (chosen on tests/synergies/eval/pairs.yaml) ---------------------------------
TITLE_WEIGHT = 3.0  # a title word counts as often as it would three times in the text
SUMMARY_WEIGHT = 1.5
DESCRIPTION_WEIGHT = 1.0
OUTCOMES_WEIGHT = 0.5
#: A compound's part counts this much of a word: sharing "Pflege" of "Grünpflege" and
#: "Altenpflege" is weaker evidence than sharing a whole word.
PART_WEIGHT = 0.75
#: Sublinear tf is 1 + this × ln(weighted count): how much repeating a word (or its standing
#: in the title, weighted up) adds beside sharing more distinct words. Session 5 tried 0.5 (look-
#: alikes often share one salient word repeated in title, summary and text): one look-alike
#: fewer on the tuning sets, but on the blind set the shown top 3 lost half its twins (8 → 4
#: of 27), so the usual 1.0 stays (README "Similar practices").
TF_LOG_WEIGHT = 1.0
MAX_DF = 0.4  # a term in more than this share of the practices carries no distinction
MIN_DF_DOCS = 3  # ... but only once there are enough practices to say so
TERMS_SHOWN = 4
#: A shared term is *shown* only when at most this share of the practices contains it. The
#: scores keep every term up to ``MAX_DF`` (many weak signals add up), but a reader takes a
#: shown term as the subject the pair has in common: a word in one practice of ten ("Stadt",
#: "Verwaltung", "Kreistag", "Maßnahmen") is common to the domain, not to the pair. Applied,
#: like ``MAX_DF``, only once there are ``MIN_DF_DOCS`` practices above the limit.
SHOWN_MAX_DF = 0.1
#: A shown term is not among the most frequent words of German (wordfreq's Zipf frequency in
#: the search lexicon, at least this): "Wer", "Stadt", "Hilfe", "Seiten", "Gemeinde" are
#: everyday words in any text, whatever the corpus; "Vermieter" (4.1), "Kreistag" (3.4) and
#: "Wohnraumakquise" (not listed) are not. 5.0 is about the 3,000 most frequent words.
SHOWN_MAX_ZIPF = 5.0


@dataclass
class LexicalModel:
    """TF-IDF vectors (rows L2-normalised, CSR) of the items, with readable terms."""

    vocabulary: list[str]
    idf: np.ndarray
    matrix: sp.csr_matrix
    surfaces: dict[str, str]  # term → its most frequent surface word
    dropped: frozenset[str] = field(default_factory=frozenset)  # over MAX_DF


def _weighted_terms(item: Item, words: Counter[tuple[str, str]]) -> dict[str, float]:
    counts: defaultdict[str, float] = defaultdict(float)
    place = set(analysis.terms(item.place)) if item.place else set()
    for text, weight in (
        (item.title, TITLE_WEIGHT),
        (item.summary, SUMMARY_WEIGHT),
        (item.description, DESCRIPTION_WEIGHT),
        (item.outcomes, OUTCOMES_WEIGHT),
    ):
        if not text:
            continue
        for token in analysis.analyze(text):
            if token.text in place:
                continue
            counts[token.text] += weight if token.kind == "word" else weight * PART_WEIGHT
            surface = text[token.startchar : token.endchar]
            # a part's own surface is best learned where it stands as a word; as a fallback
            # the compound it is part of (counted less)
            words[(token.text, surface)] += 2 if token.kind == "word" else 1
    return counts


def lexical_model(
    items: Sequence[Item], *, max_df: float | None = None, prune: int | None = None
) -> LexicalModel:
    """The German TF-IDF model of ``items`` (rows in the order of ``items``)."""
    words: Counter[tuple[str, str]] = Counter()
    counts = [_weighted_terms(item, words) for item in items]
    best: dict[str, tuple[int, str]] = {}
    for (term, surface), times in words.items():
        if term not in best or times > best[term][0]:
            best[term] = (times, surface)
    surfaces = {t: s for t, (_, s) in best.items()}
    return model_from_counts(counts, surfaces, max_df=max_df, prune=prune)


def model_from_counts(
    counts: Sequence[Mapping[str, float]],
    surfaces: Mapping[str, str],
    *,
    max_df: float | None = None,
    prune: int | None = None,
) -> LexicalModel:
    """The TF-IDF model of weighted term counts (one mapping per practice): sublinear tf
    (``TF_LOG_WEIGHT``),
    smoothed idf, terms over ``max_df`` dropped, each row pruned to its ``prune`` strongest
    terms, rows L2-normalised."""
    index: dict[str, int] = {}
    rows: list[int] = []
    cols: list[int] = []
    vals: list[float] = []
    for row, count in enumerate(counts):
        for term, value in count.items():
            rows.append(row)
            cols.append(index.setdefault(term, len(index)))
            vals.append(value)
    matrix = sp.csr_matrix(
        (np.array(vals, dtype=np.float64), (rows, cols)), shape=(len(counts), len(index))
    )
    return model_from_matrix(matrix, list(index), surfaces, max_df=max_df, prune=prune)


def model_from_matrix(
    counts: sp.spmatrix,
    terms: Sequence[str],
    surfaces: Mapping[str, str],
    *,
    max_df: float | None = None,
    prune: int | None = None,
) -> LexicalModel:
    """:func:`model_from_counts` of a (practices × ``terms``) matrix of weighted term counts,
    vectorised (the stored counts of 100,000 practices in seconds)."""
    max_df = MAX_DF if max_df is None else max_df
    matrix = sp.csr_matrix(counts)
    if not matrix.has_canonical_format:
        matrix.sum_duplicates()
    n = matrix.shape[0]
    df = np.zeros(len(terms), dtype=np.int64)
    for start in range(0, matrix.nnz, 4_000_000):  # in pieces: bincount copies to int64
        piece = slice(start, start + 4_000_000)
        df += np.bincount(matrix.indices[piece][matrix.data[piece] != 0], minlength=len(terms))
    limit = max_df * n if n >= MIN_DF_DOCS / max(max_df, 1e-9) else math.inf
    dropped = frozenset(terms[i] for i in np.nonzero(df > limit)[0].tolist())
    kept = np.nonzero((df > 0) & (df <= limit))[0].tolist()
    kept.sort(key=lambda i: terms[i])  # columns in the order of the sorted vocabulary
    vocabulary = [terms[i] for i in kept]
    column = np.full(len(terms), -1, dtype=np.int64)
    column[np.asarray(kept, dtype=np.int64)] = np.arange(len(kept))
    idf = np.log((1 + n) / (1 + df[np.asarray(kept, dtype=np.int64)].astype(np.float64))) + 1.0
    blocks = [
        _tfidf_rows(matrix[start : start + TFIDF_BLOCK], column, idf, prune)
        for start in range(0, n, TFIDF_BLOCK)
    ]
    result = (
        sp.csr_matrix(sp.vstack(blocks, format="csr"), dtype=np.float32)
        if blocks
        else sp.csr_matrix((0, len(vocabulary)), dtype=np.float32)
    )
    result.resize((n, len(vocabulary)))
    return LexicalModel(vocabulary, idf, result, dict(surfaces), dropped)


TFIDF_BLOCK = 4_000  # rows weighted at a time (memory)


def _tfidf_rows(
    block: sp.csr_matrix, column: np.ndarray, idf: np.ndarray, prune: int | None
) -> sp.csr_matrix:
    """Rows of weighted term counts as pruned, L2-normalised TF-IDF rows (kept columns)."""
    n = block.shape[0]
    row_of = np.repeat(np.arange(n), np.diff(block.indptr))
    cols = column[block.indices]
    raw = block.data.astype(np.float64)
    ok = (cols >= 0) & (raw != 0)
    row_of, cols, raw = row_of[ok], cols[ok], raw[ok]
    tf = np.where(raw >= 1, 1.0 + TF_LOG_WEIGHT * np.log(np.maximum(raw, 1e-12)), raw)
    vals = tf * idf[cols]
    if prune is not None and len(vals):
        order, rank = rank_in_group(row_of, vals)
        chosen = np.sort(order[rank < prune])
        row_of, cols, vals = row_of[chosen], cols[chosen], vals[chosen]
    norms = np.sqrt(np.bincount(row_of, vals * vals, minlength=n))
    norms[norms == 0] = 1.0
    return sp.csr_matrix(
        ((vals / norms[row_of]).astype(np.float32), (row_of, cols)),
        shape=(n, len(idf)),
        dtype=np.float32,
    )


def item_words(item: Item) -> dict[str, tuple[str, ...]]:
    """The words of a practice's texts as term → its surfaces in the texts (in order): whole
    words and the pieces of hyphenated words ("Online" of "Online-Sprachkurse"), never a
    compound's hidden part, never a stop word (the analysis drops those)."""
    words: dict[str, dict[str, None]] = {}
    for text in (item.title, item.summary, item.description, item.outcomes):
        for token in analysis.analyze(text or ""):
            surface = text[token.startchar : token.endchar]
            if token.kind == "word":
                words.setdefault(token.text, {})[surface] = None
                continue
            for piece in _HYPHEN_PIECE.split(surface):
                found = analysis.analyze_word(piece) if piece.isalpha() else None
                if found is not None and found.term == token.text:
                    words.setdefault(token.text, {})[piece] = None
    return {term: tuple(surfaces) for term, surfaces in words.items()}


_HYPHEN_PIECE = re.compile(r"[-\u2010\u2011]")


def _shown_max_df(n: int) -> float:
    """The document frequency above which a shared term is not shown (inf: too few practices)."""
    limit = SHOWN_MAX_DF * n
    return limit if n >= MIN_DF_DOCS / SHOWN_MAX_DF else math.inf


def _is_everyday(word: str) -> bool:
    """Whether a word is among the most frequent of German (``SHOWN_MAX_ZIPF``)."""
    return analysis.zipf_of(analysis.fold_accents(word)) >= SHOWN_MAX_ZIPF


def _is_noun(word: str) -> bool:
    """Whether a word reads as a noun or name: capitalised, and not a word whose dictionary
    lemma is lower case (a sentence's first word: "Daneben", "Dezentrale", "Engagiert")."""
    if not word[:1].isupper():
        return False
    found = analysis.lemma(word) if word.isalpha() else None
    return found is None or not found[:1].islower()


def shared_terms(
    model: LexicalModel,
    i: int,
    j: int,
    limit: int = TERMS_SHOWN,
    words: tuple[Mapping[str, Sequence[str]], Mapping[str, Sequence[str]]] | None = None,
) -> tuple[str, ...]:
    """The distinctive terms rows ``i`` and ``j`` share, as words, most distinctive first.

    A term is shown only as a word both practices' texts contain (``words``: their
    :func:`item_words`; without them, the corpus's most frequent surface of the term), never
    a stop word, a term in more than ``SHOWN_MAX_DF`` of the practices or an everyday word
    (``SHOWN_MAX_ZIPF``); the rarest in the practices (highest idf) come first.
    """
    product = model.matrix[i].multiply(model.matrix[j]).tocoo()
    n = model.matrix.shape[0]
    idf = model.idf[product.col]
    df = (1 + n) / np.exp(idf - 1.0) - 1  # the smoothed idf's inverse
    order = np.lexsort((-product.data, -idf))  # rarest first, then the stronger product
    max_df = _shown_max_df(n)
    stop = analysis.stopwords()
    surfaces: list[str] = []
    for p in order.tolist():
        if df[p] > max_df + 1e-6:
            continue
        term = model.vocabulary[product.col[p]]
        if words is None:
            surface = model.surfaces.get(term, "")
        elif term in words[0] and term in words[1]:
            # the spelling both texts use if there is one, else the first one's
            both = [w for w in words[0][term] if w in words[1][term]]
            surface = (both or list(words[0][term]))[0]
        else:
            continue  # one side has the term only inside a compound: no word both contain
        if analysis.transliterate(surface.lower()) in stop or _is_everyday(surface):
            continue
        surfaces.append(surface)
    # what a reader recognises as a shared subject: nouns and names (capitalised in German,
    # ``_is_noun``), never a bare number; verbs and adjectives ("erarbeitet", "ländlichen")
    # only when the pair shares no noun.
    # a truncated compound ("Metall-" of "Metall- und Elektroberufe") is no word either
    shown_words = [w for w in surfaces if w and not w.isdigit() and not w.endswith("-")]
    nouns = [w for w in shown_words if _is_noun(w)]
    shown: list[str] = []
    seen: set[str] = set()
    for surface in nouns or shown_words:
        key = analysis.fold(surface)
        # a part and its compound may both match: show each word once, and not a part whose
        # word is shown already inside a longer one (Vermieter beside Vermieterinnen)
        if key in seen or any(key in other for other in seen):
            continue
        seen.add(key)
        shown.append(surface)
        if len(shown) == limit:
            break
    return tuple(shown)
