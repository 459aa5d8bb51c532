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


#: Above this many members a term's frequencies are looked up in a dense per-segment array
#: rather than by binary search in its posting list.
_DENSE_FROM = 256


def _frequencies(
    reader: Any, fieldname: str, term: str, local: np.ndarray, cache: PostingsCache
) -> tuple[np.ndarray, np.ndarray | None]:
    """The term's frequency in the field of each of ``local`` (sorted segment docnums), and
    which of them may hold it twice at one position (None: none)."""
    try:
        found = cache.raw(reader, fieldname, term)  # deleted documents are never members
    except NotImplementedError:
        found = None
        ids, weights = cache.get(reader, fieldname, term)
        doubled = None  # positions unknown: every document holding the term is in doubt
    else:
        if found is None:
            return np.zeros(local.size, dtype=np.int64), None
        ids, weights, doubled = found.ids, found.weights, found.doubled
    out = np.zeros(local.size, dtype=np.int64)
    if not ids.size:
        return out, None
    counts = np.rint(weights / BOOSTS[fieldname]).astype(np.int32)
    if local.size >= _DENSE_FROM:
        dense = np.zeros(reader.doc_count_all(), dtype=np.int32)
        dense[ids] = counts
        out = dense[local].astype(np.int64)
    else:
        at = np.searchsorted(ids, local)
        inside = at < ids.size
        hit = np.zeros(local.size, dtype=bool)
        hit[inside] = ids[at[inside]] == local[inside]
        out[hit] = counts[at[hit]]
    if doubled is None:
        return out, out > 0
    return out, (np.isin(local, doubled) if doubled.size else None)


#: The largest table of frequency rows (product of each field's largest frequency + 1) that is
#: numbered densely when every operand rank of a tier is looked up; beyond it, np.unique.
LUT_MAX = 1 << 22


def _distinct(keys: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """The distinct values of non-negative ``keys`` below ``size`` and, for each key, the
    index of its value among them (a presence table when small, else a sort)."""
    if size <= LUT_MAX:
        present = np.zeros(size, dtype=bool)
        present[keys] = True
        distinct = np.flatnonzero(present)
        where = np.zeros(size, dtype=np.int64)
        where[distinct] = np.arange(distinct.size)
        return distinct, where[keys]
    distinct, inverse = np.unique(keys, return_inverse=True)
    return distinct, inverse.reshape(-1)


def _ranks_of_rows(table: np.ndarray) -> np.ndarray:
    """``operand_rank`` of each row of frequencies per field (0 for a row of zeros),
    computed once per distinct row."""
    if not table.size:
        return np.zeros(table.shape[0], dtype=np.float64)
    bases = [int(v) + 1 for v in table.max(axis=0).tolist()]
    size = math.prod(bases)
    if size >= 1 << 62:  # cannot be numbered in int64: sort the rows
        unique, inverse = np.unique(table, axis=0, return_inverse=True)
        values = np.asarray([operand_rank(tuple(row)) for row in unique.tolist()])
        return np.asarray(values[inverse.reshape(-1)], dtype=np.float64)
    keys = np.zeros(table.shape[0], dtype=np.int64)
    for f in range(table.shape[1] - 1, -1, -1):
        keys = keys * bases[f] + table[:, f]
    distinct, where = _distinct(keys, size)
    rows = []
    for k in distinct.tolist():
        row = []
        for base in bases:
            k, rest = divmod(k, base)
            row.append(rest)
        rows.append(tuple(row))
    values = np.asarray([operand_rank(row) for row in rows], dtype=np.float64)
    return np.asarray(values[where], dtype=np.float64)


def bounds(
    leaves: Sequence[tuple[Any, int]],
    queries: Sequence[tuple[tsrank.RankQuery, Any]],
    idfs: Sequence[float],
    members: np.ndarray,
    cache: PostingsCache | None = None,
) -> np.ndarray:
    """For word-only queries: each member's score, or a bound above it (see the module)."""
    return bounds_and_doubts(leaves, queries, idfs, members, cache)[0]


def bounds_and_doubts(
    leaves: Sequence[tuple[Any, int]],
    queries: Sequence[tuple[tsrank.RankQuery, Any]],
    idfs: Sequence[float],
    members: np.ndarray,
    cache: PostingsCache | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`bounds`, and which members' bounds may lie above their exact score: a query
    term standing twice at one position in one of its fields, more than
    ``tsrank.MAX_POSITIONS`` positions of a term, or positions beyond
    ``tsrank.MAX_POSITION``. Every other member's bound is its exact score, bit for bit."""
    cache = cache or PostingsCache()
    terms = sorted({t for query, _ in queries for t in query.operands})
    n = members.size
    frequencies = {t: np.zeros((n, len(tsrank.FIELDS)), dtype=np.int64) for t in terms}
    length = np.zeros(n, dtype=np.int64)
    doubtful = np.zeros(n, dtype=bool)
    for leaf, offset in leaves:
        lo, hi = np.searchsorted(members, [offset, offset + leaf.doc_count_all()])
        if lo == hi:
            continue
        local = members[lo:hi] - offset
        for f, name in enumerate(tsrank.FIELDS):
            length[lo:hi] += whoosh_patches.field_lengths(leaf, name)[local]
            for t in terms:
                found, doubt = _frequencies(leaf, name, t, local, cache)
                frequencies[t][lo:hi, f] = found
                if doubt is not None:
                    doubtful[lo:hi] |= doubt
    ranks: dict[str, np.ndarray] = {}
    for t, table in frequencies.items():
        ranks[t] = _ranks_of_rows(table)
        if table.size and int(table.max()) * len(tsrank.FIELDS) > tsrank.MAX_POSITIONS:
            doubtful |= table.sum(axis=1) > tsrank.MAX_POSITIONS
    # A field starts one position after the previous one's length (tsrank.field_offsets).
    doubtful |= length + len(tsrank.FIELDS) >= tsrank.MAX_POSITION
    lengths, where = _distinct(length, int(length.max()) + 1 if n else 1)
    divisors = np.asarray([_divisor(int(v)) if v > 0 else 1.0 for v in lengths.tolist()])
    divisors = divisors[where] if n else np.zeros(0)
    total = np.zeros(n, dtype=np.float64)
    for (query, _), weight in zip(queries, idfs, strict=True):
        result = np.zeros(n, dtype=np.float64)
        for operand in query.operands:
            result = result + ranks[operand]
        if query.operands:
            result = result / len(query.operands)
        total = total + weight * (result / divisors)
    return total, doubtful


def _head(members: np.ndarray, bound: np.ndarray, count: int) -> np.ndarray:
    """Indexes of the members whose bound is at least the ``count``-th highest, best first
    (bound descending, then document number): the start of the order of every member."""
    if count >= members.size:
        return np.lexsort((members, -bound))
    floor = np.partition(bound, members.size - count)[members.size - count]
    head = np.flatnonzero(bound >= floor)
    return head[np.lexsort((members[head], -bound[head]))]


def exact_top(
    members: np.ndarray,
    need: int,
    bound: np.ndarray,
    exact: Callable[[np.ndarray], np.ndarray],
) -> list[tuple[int, float]]:
    """The ``need`` best members by exact score (then document number), scoring exactly
    only members in the order of their bound until none left can enter the page."""
    chunk = need + 16  # the bound is almost always the score: few more needed
    order = _head(members, bound, chunk)  # the whole order only if the head does not decide
    scored_docs: list[np.ndarray] = []
    scored: list[np.ndarray] = []
    start = 0
    best: list[tuple[float, int]] = []
    while start < members.size:
        if start + chunk > order.size > start or start >= order.size:
            order = np.lexsort((members, -bound))
        picked = np.sort(order[start : start + chunk])
        start += chunk
        chunk *= 2
        scored_docs.append(members[picked])
        scored.append(exact(members[picked]))
        docs = np.concatenate(scored_docs)
        scores = np.concatenate(scored)
        top = np.lexsort((docs, -scores))[:need]
        best = [(float(scores[i]), int(docs[i])) for i in top]
        if len(best) < need or start >= members.size:
            continue
        if start >= order.size:
            order = np.lexsort((members, -bound))
        last_score, last_doc = best[-1]
        following = order[start]
        if (-bound[following], members[following]) > (-last_score, last_doc):
            break
    return [(doc, score) for score, doc in best]
