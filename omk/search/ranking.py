"""Hybrid ranking: the backend's lexical ranking fused with a ranking by meaning.

``service.search`` asks the search backend (Whoosh, or PostgreSQL) for its lexical ranking
of the matches — coordination tiers (every query word first, then most words), idf × ts_rank
within a tier (``omk.search.tsrank``) — and hands the head of that ranking to
:func:`rerank`, which reorders it:

1. **Candidates.** The first :data:`DEPTH` lexical results. The result set stays the
   lexical one (every practice matching at least one query word), so totals and facet counts
   are the backend's exact counts; only the order of the head changes. Results beyond the head
   keep their lexical order, so pages never overlap or skip.
2. **Dense ranking.** The query is embedded at search time (e5's "query: " side, cached for
   repeated queries); each candidate's stored vectors are compared by cosine, and the best
   one counts: the vector of title + summary of its published version (written once by the
   outbox consumer ``similarity``) and those of its full text's passages (description and
   outcomes in ~150 words each, written once by the consumer ``passages``:
   ``omk.search.passages``). A version without a vector of its own uses its lineage's
   newest vector; a candidate without any keeps its lexical rank as its dense rank
   (neutral).
3. **Fusion.** Reciprocal-rank fusion, ``1 / (k + lexical rank) + w / (k + dense rank)``
   with k = 60 and w = :data:`DENSE_WEIGHT` (:data:`DENSE_WEIGHT_PARTIAL` when no candidate
   matches every query word): ranks, never raw scores (e5 cosines bunch at
   0.80-0.95).
4. **Coordination kept.** The candidates that match every query word stay ahead of those
   that match only some (the fusion reorders within each of the two groups): a query never
   shows a practice with one of three words above one that has all three.

Without embeddings (``OMK_EMBEDDINGS=off``, no AVX2, the model fails to load, or no stored
vectors yet) :func:`rerank` returns the lexical order unchanged.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

import numpy as np
from sqlalchemy import func, select

from omk.extensions import db
from omk.models.similarity import PracticePassageVector, PracticeVector
from omk.search import embeddings

log = logging.getLogger("omk.search")

RRF_K = 60
#: The dense ranking's weight in the fusion (the lexical ranking's is 1). Measured on both
#: query sets (old and fresh), with the thesaurus: 2 beat 1 and 1.5 on each (by 0.003-0.009
#: nDCG@10: small, but the same sign on both).
DENSE_WEIGHT = 2.0
#: ... and when no candidate matches every query word (the lexical ranking then only orders
#: partial matches, weak evidence of what the query means). Measured on the four tuning sets
#: with passage vectors: 3 raised the mean by 0.002 (fresh and fresh2 +0.004/+0.005, dev and
#: heldout unchanged); 4-10 moved dev by -0.009.
DENSE_WEIGHT_PARTIAL = 3.0
#: Lexical results reordered by the fusion (the rest keep their lexical order).
DEPTH = 100
#: Stored vectors ranked exactly by their cosine with the query (the rest share one rank).
DENSE_RANKED = 1000
#: Practices found by meaning alone that join the results (unquoted queries whose lexical
#: matches are all in the head): the closest ones, at most this many ...
DENSE_TOP = 10
#: ... and only above this cosine with the query (multilingual-e5-small: real queries' best
#: practice scores 0.84-0.91 on the demo, nonsense such as "xyzzy" at most 0.81).
DENSE_MIN = 0.82
#: A passage of the full text lifts a practice's best cosine by about 0.005-0.01 for any query,
#: nonsense included ("Steuererklärung Einkommensteuer": 0.818 by title + summary, 0.824 by a
#: passage, on the demo): a practice found by a passage alone must clear this.
DENSE_MIN_PASSAGE = 0.83

Key = tuple[str, int]  # (practice id = lineage id, revision id)
T = TypeVar("T")


@dataclass
class DenseStore:
    """The stored passage vectors, as one matrix (rows L2-normalised)."""

    keys: list[Key]
    matrix: np.ndarray
    signature: tuple[int, str, int, str] = (0, "", 0, "")
    #: Passage vectors of the full texts (``omk.search.passages``), rows L2-normalised, and
    #: for each the row in ``matrix`` of its version's title + summary vector.
    passages: np.ndarray = field(default_factory=lambda: np.zeros((0, 1), dtype=np.float32))
    owners: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    index: dict[Key, int] = field(default_factory=dict)
    newest: dict[str, int] = field(default_factory=dict)  # lineage → row of its newest revision

    def __post_init__(self) -> None:
        self.index = {key: row for row, key in enumerate(self.keys)}
        best: dict[str, tuple[int, int]] = {}
        for row, (lineage, revision) in enumerate(self.keys):
            if lineage not in best or revision > best[lineage][0]:
                best[lineage] = (revision, row)
        self.newest = {lineage: row for lineage, (_, row) in best.items()}

    def __len__(self) -> int:
        return len(self.keys)

    def rows(self, keys: Sequence[Key]) -> np.ndarray:
        """The matrix row of each key (its lineage's newest vector when the version has
        none of its own), -1 without any."""
        return np.asarray(
            [self.index.get(key, self.newest.get(key[0], -1)) for key in keys], dtype=np.int64
        )

    def cosines(self, query: np.ndarray) -> np.ndarray:
        """Each row's cosine with the query: the best of its title + summary and its
        passages (a practice whose full text, not its summary, says what the query means)."""
        return self.best(self.matrix @ query, query)

    def best(self, own: np.ndarray, query: np.ndarray) -> np.ndarray:
        """The best cosines, given each row's title + summary cosines ``own``."""
        found = own.copy()
        if self.owners.size:
            np.maximum.at(found, self.owners, self.passages @ query)
        return found


_lock = threading.Lock()
_stores: dict[str, DenseStore] = {}


def _signature() -> tuple[int, str, int, str]:
    """Count and newest row of each table's vectors: whether the loaded store is stale."""
    (vectors, newest_vector), (passages, newest_passage) = (
        db.session.execute(
            select(func.count(), func.max(table.created_at)).where(table.model == embeddings.MODEL)
        ).one()
        for table in (PracticeVector, PracticePassageVector)
    )
    return (
        int(vectors or 0),
        str(newest_vector or ""),
        int(passages or 0),
        str(newest_passage or ""),
    )


def store() -> DenseStore | None:
    """The stored vectors of the current model (reloaded when rows were added or replaced);
    None when there are none."""
    signature = _signature()
    url = str(db.engine.url)
    with _lock:
        cached = _stores.get(url)
        if cached is not None and cached.signature == signature:
            return cached if len(cached) else None
    keys: list[Key] = []
    vectors: list[np.ndarray] = []
    for practice_id, revision_id, data in db.session.execute(
        select(PracticeVector.practice_id, PracticeVector.revision_id, PracticeVector.vector)
        .where(PracticeVector.model == embeddings.MODEL)
        .order_by(PracticeVector.practice_id, PracticeVector.revision_id)
    ):
        keys.append((str(practice_id), int(revision_id)))
        vectors.append(embeddings.from_bytes(data))
    matrix = (
        np.vstack(vectors).astype(np.float32)
        if vectors
        else np.zeros((0, embeddings.DIMENSIONS), dtype=np.float32)
    )
    loaded = DenseStore(keys, matrix, signature)
    owners: list[int] = []
    chunks: list[np.ndarray] = []
    for practice_id, revision_id, data in db.session.execute(
        select(
            PracticePassageVector.practice_id,
            PracticePassageVector.revision_id,
            PracticePassageVector.vector,
        ).where(PracticePassageVector.model == embeddings.MODEL)
    ):
        row = loaded.index.get((str(practice_id), int(revision_id)))
        if row is not None:  # a passage counts with its version's title + summary vector
            owners.append(row)
            chunks.append(embeddings.from_bytes(data))
    if chunks:
        loaded.passages = np.vstack(chunks).astype(np.float32)
        loaded.owners = np.asarray(owners, dtype=np.int64)
    with _lock:
        _stores[url] = loaded
    return loaded if len(loaded) else None


def reset() -> None:
    """Forget the loaded vectors (tests)."""
    with _lock:
        _stores.clear()


# --- fusion ----------------------------------------------------------------------------------


def fuse(
    lexical_ranks: np.ndarray,
    dense_ranks: np.ndarray,
    groups: Sequence[int] = (),
    k: int = RRF_K,
    weight: float = 1.0,
) -> np.ndarray:
    """The fused order of candidates, as positions into the candidate list.

    Each candidate has a 1-based lexical rank (0: not matched lexically, no contribution) and
    a 1-based dense rank (0: no vector; its lexical rank stands in). The score is
    ``1 / (k + lexical rank) + weight / (k + dense rank)``. ``groups`` are the sizes of
    consecutive groups of candidates that keep their order among each other (all words
    first, then the rest); the fusion reorders within each group, ties by position."""
    n = lexical_ranks.size
    lexical = lexical_ranks.astype(np.float64)
    dense = np.where(dense_ranks > 0, dense_ranks, lexical_ranks).astype(np.float64)
    score = np.where(lexical > 0, 1.0 / (k + lexical), 0.0)
    score += np.where(dense > 0, weight / (k + dense), 0.0)
    group = np.zeros(n, dtype=np.int64)
    start = 0
    for number, size in enumerate(g for g in groups if g > 0):
        group[start + size :] = number + 1
        start += size
    return np.lexsort((np.arange(n), -score, group))


def dense_ranking(
    query_text: str, vectors: DenseStore | None = None
) -> tuple[DenseStore, np.ndarray, np.ndarray] | None:
    """The stored vectors (``vectors``: given ones instead, for the benchmark), each one's best
    cosine with the embedded query (title + summary or a passage) and its title + summary's
    alone, or None when embeddings are unavailable or nothing is stored."""
    if not embeddings.embeddings_available():
        return None
    vectors = store() if vectors is None else vectors
    if vectors is None or not len(vectors):
        return None
    q = embeddings.query(_PHRASE_QUOTES.sub(" ", query_text))
    if q is None:
        return None
    own: np.ndarray = vectors.matrix @ q
    return vectors, vectors.best(own, q), own


_PHRASE_QUOTES = re.compile(r'["“”„]')


@dataclass
class Fused(Generic[T]):
    """The fused head of a ranking: the items in order, and the dense-only additions."""

    items: list[T]
    added: list[Key]  # versions found by meaning only (not matched lexically)
    applied: bool


def rerank(
    query_text: str,
    items: Sequence[T],
    keys: Sequence[Key],
    complete: int | Sequence[int],
    *,
    add: Callable[[list[Key]], list[tuple[Key, T]]] | None = None,
    vectors: DenseStore | None = None,
) -> Fused[T]:
    """``items`` (the lexical head, best first, with their ``keys``; the first ``complete``
    match every query word; a sequence: the sizes of consecutive groups kept in order, e.g.
    every word as typed, then every word or a related word) in fused order. With ``add``, up
    to ``5 × DENSE_TOP`` of the practices closest in meaning (cosine at least
    :data:`DENSE_MIN`) that are not among ``items`` are offered to ``add``, best first; it
    returns those it accepts (published, and passing the filters) as (key, item), in the
    order offered, and the first
    :data:`DENSE_TOP` of them join the ranking. ``vectors``: see :func:`dense_ranking`."""
    ranked = dense_ranking(query_text, vectors)
    if ranked is None:
        return Fused(list(items), [], False)
    vectors, cosines, own = ranked
    # Only the best DENSE_RANKED need exact ranks (a full sort of 100,000 cosines costs
    # about 8 ms); the others share the next rank, worth almost nothing in the fusion.
    if cosines.size > DENSE_RANKED:
        best = np.argpartition(-cosines, DENSE_RANKED)[:DENSE_RANKED]
        order = best[np.lexsort((best, -cosines[best]))]
    else:
        order = np.lexsort((np.arange(cosines.size), -cosines))
    position = np.full(cosines.size, order.size + 1, dtype=np.int64)
    position[order] = np.arange(1, order.size + 1)
    rows = vectors.rows(keys)
    dense = np.where(rows >= 0, position[np.maximum(rows, 0)], 0)
    lexical = np.arange(1, len(items) + 1)
    pool = list(items)
    added: list[Key] = []
    if add is not None:
        present = {key[0] for key in keys}
        offered: list[Key] = []
        for row in order[: DENSE_TOP * 5].tolist():
            if cosines[row] < DENSE_MIN:
                break
            if own[row] < DENSE_MIN and cosines[row] < DENSE_MIN_PASSAGE:
                continue
            key = vectors.keys[row]
            if key[0] not in present:
                offered.append(key)
                present.add(key[0])
        accepted = add(offered)[:DENSE_TOP] if offered else []
        if accepted:
            added = [key for key, _ in accepted]
            pool += [item for _, item in accepted]
            lexical = np.concatenate([lexical, np.zeros(len(accepted), dtype=np.int64)])
            dense = np.concatenate([dense, position[vectors.rows(added)]])
    groups = [complete] if isinstance(complete, int) else complete
    weight = DENSE_WEIGHT if any(size > 0 for size in groups) else DENSE_WEIGHT_PARTIAL
    fused = fuse(lexical, dense, groups, weight=weight)
    return Fused([pool[i] for i in fused.tolist()], added, True)
