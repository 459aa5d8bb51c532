"""Rank only what must be ranked: the exact ``ts_rank`` top of a tier from a vectorised bound.

Scoring a tier member exactly (:class:`omk.search.whoosh_index._TsScorer`) reads the
positions of every query term in every field with Whoosh's matchers, one document at a time
in Python: a tier of tens of thousands of members at 100,000 documents costs seconds. For a
query whose parts are words (alternatives of single terms, no phrase and no ``&``), the score
needs less: ``ts_rank``'s ``calc_rank_or`` depends on a term's positions only through the
weights of its positions in position order, and the fields follow one another (title A,
summary B, body C, actors D, each after the previous one's length; Whoosh rounds lengths up,
so fields never interleave), so it is a function of the term's frequency in each field. This
module computes that function for every member at once from the posting blocks' weights
(frequency × field boost) and the field length columns, with the same Python arithmetic per
distinct frequency tuple and the same operations in the same order per document, so it
equals the exact score bit for bit, except where a term stands twice at one position or
beyond PostgreSQL's position limit: there the exact score is lower (fewer positions never
raise ``calc_rank_or``). So it is an upper bound, and :func:`exact_top` scores exactly only
the members in bound order until no other can reach the page: the same page, scores and
order as scoring every member.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from omk.search import tsrank, whoosh_patches
from omk.search.whoosh_postings import PostingsCache

#: Whoosh's field boosts (whoosh_index.TEXT_FIELDS): a posting's weight is frequency × boost.
BOOSTS = {"title": 3.0, "summary": 1.5, "body": 1.0, "actors": 1.0}
_operand_ranks: dict[tuple[int, ...], float] = {}
_log2: dict[int, float] = {}


def operand_rank(frequencies: tuple[int, ...]) -> float:
    """``calc_rank_or``'s sum for one operand with these frequencies per field (cached)."""
    found = _operand_ranks.get(frequencies)
    if found is None:
        positions: tsrank.Positions = []
        for name, count in zip(tsrank.FIELDS, frequencies, strict=True):
            weight = tsrank.FIELD_WEIGHTS[name]
            positions.extend((len(positions) + j, weight) for j in range(count))
        query = tsrank.RankQuery(("t",), False)
        found = tsrank.ts_rank(query, {"t": positions[: tsrank.MAX_POSITIONS]}, 0)
        _operand_ranks[frequencies] = found
    return found


def _divisor(length: int) -> float:
    found = _log2.get(length)
    if found is None:
        found = _log2[length] = math.log(length + 1) / math.log(2.0)
    return found


def term_postings(
    reader: Any, fieldname: str, text: str, cache: PostingsCache | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Document numbers (int32, ascending) and weights (float32) of one term in one segment,
    deleted documents left out; from ``cache`` (the index's decoded postings) if given."""
    return (cache or PostingsCache()).get(reader, fieldname, text)


def _frequencies(
    reader: Any, fieldname: str, term: str, local: np.ndarray, cache: PostingsCache | None
) -> np.ndarray:
    ids, weights = term_postings(reader, fieldname, term, cache)
    out = np.zeros(local.size, dtype=np.int64)
    if ids.size:
        at = np.searchsorted(ids, local)
        inside = at < ids.size
        hit = np.zeros(local.size, dtype=bool)
        hit[inside] = ids[at[inside]] == local[inside]
        out[hit] = np.rint(weights[at[hit]] / BOOSTS[fieldname]).astype(np.int64)
    return out


def bounds(
    leaves: Sequence[tuple[Any, int]],
    queries: Sequence[tuple[tsrank.RankQuery, Any]],
    idfs: Sequence[float],
    members: np.ndarray,
    cache: PostingsCache | None = None,
) -> np.ndarray:
    """For word-only queries: each member's score, or a bound above it (see the module)."""
    terms = sorted({t for query, _ in queries for t in query.operands})
    n = members.size
    frequencies = {t: np.zeros((n, len(tsrank.FIELDS)), dtype=np.int64) for t in terms}
    length = np.zeros(n, dtype=np.int64)
    for leaf, offset in leaves:
        lo, hi = np.searchsorted(members, [offset, offset + leaf.doc_count_all()])
        if lo == hi:
            continue
        local = members[lo:hi] - offset
        for f, name in enumerate(tsrank.FIELDS):
            length[lo:hi] += whoosh_patches.field_lengths(leaf, name)[local]
            for t in terms:
                frequencies[t][lo:hi, f] = _frequencies(leaf, name, t, local, cache)
    ranks: dict[str, np.ndarray] = {}
    for t, table in frequencies.items():
        rows, inverse = np.unique(table, axis=0, return_inverse=True)
        values = np.asarray([operand_rank(tuple(int(v) for v in row)) for row in rows])
        ranks[t] = values[inverse.reshape(-1)]
        ranks[t][~table.any(axis=1)] = 0.0
    lengths, where = np.unique(length, return_inverse=True)
    divisors = np.asarray([_divisor(int(v)) if v > 0 else 1.0 for v in lengths])[where]
    total = np.zeros(n, dtype=np.float64)
    for (query, _), weight in zip(queries, idfs, strict=True):
        result = np.zeros(n, dtype=np.float64)
        for operand in query.operands:
            result = result + ranks[operand]
        if query.operands:
            result = result / len(query.operands)
        total = total + weight * (result / divisors)
    return total


def exact_top(
    members: np.ndarray,
    need: int,
    bound: np.ndarray,
    exact: Callable[[np.ndarray], np.ndarray],
) -> list[tuple[int, float]]:
    """The ``need`` best members by exact score (then document number), scoring exactly
    only members in the order of their bound until none left can enter the page."""
    order = np.lexsort((members, -bound))
    scored_docs: list[np.ndarray] = []
    scored: list[np.ndarray] = []
    start, chunk = 0, need + 16  # the bound is almost always the score: few more needed
    best: list[tuple[float, int]] = []
    while start < order.size:
        picked = np.sort(order[start : start + chunk])
        start += chunk
        chunk *= 2
        scored_docs.append(members[picked])
        scored.append(exact(members[picked]))
        docs = np.concatenate(scored_docs)
        scores = np.concatenate(scored)
        top = np.lexsort((docs, -scores))[:need]
        best = [(float(scores[i]), int(docs[i])) for i in top]
        if len(best) < need or start >= order.size:
            continue
        last_score, last_doc = best[-1]
        following = order[start]
        if (-bound[following], members[following]) > (-last_score, last_doc):
            break
    return [(doc, score) for score, doc in best]
