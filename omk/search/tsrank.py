"""PostgreSQL's ``ts_rank`` in Python, so that both search backends order a tier alike.

The PostgreSQL backend ranks the documents of a coordination tier by the sum over query parts
of idf × ``ts_rank(weights, terms, part, 1)`` (:mod:`omk.search.pg_backend`). The Whoosh
backend computes the same score here from the positions of the query's terms in its index, so
that the two backends differ only where their inputs do (Whoosh keeps field lengths to about
3 % and each field's positions from 0, so lengths and distances across fields are close, not
exact), not by formula (issue 10 item 8: nDCG@10 within 0.02 of each other).

This follows ``src/backend/utils/adt/tsrank.c`` (PostgreSQL 15): ``calc_rank_or`` for a
single term or alternatives, ``calc_rank_and`` when the query's top operator is ``&`` or
``<->`` (one alternative of several terms, a phrase), normalisation 1 (divide by
log2(1 + number of positions in the document)). A lexeme keeps at most 256 positions, each
the field weight of where it stands.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from omk.search.analysis.words import TSVECTOR_MAX_POSITION
from omk.search.backend import QueryPart

#: Weights of the fields as in ``pg_backend.WEIGHTS`` ({D, C, B, A}), in PostgreSQL's float4.
FIELD_WEIGHTS = {"title": 1.0, "summary": 0.5, "body": 0.3333, "actors": 0.3333}
FIELDS = ("title", "summary", "body", "actors")  # A, B, C, D: the order of their positions
MAX_POSITIONS = 256  # PostgreSQL keeps at most this many positions per lexeme
MAX_POSITION = TSVECTOR_MAX_POSITION  # PostgreSQL keeps positions up to this value
_PI2_6 = 1.64493406685

Positions = list[tuple[int, float]]  # (position, weight), ascending by position


@dataclass(frozen=True)
class RankQuery:
    """One query part as ``ts_rank`` sees it: unique operands, and whether the top operator
    is ``&``/``<->`` (then ``calc_rank_and``) rather than ``|`` or a single term."""

    operands: tuple[str, ...]
    conjunctive: bool


def rank_queries(part: QueryPart) -> tuple[RankQuery, RankQuery | None]:
    """The part's query for ``ts_rank`` and, for a phrase, the title phrase's (both ignore
    the weight restriction, as PostgreSQL's ``ts_rank`` does)."""
    if part.is_phrase:
        operands = tuple(dict.fromkeys(part.phrase))
        query = RankQuery(operands, len(operands) > 1)
        return query, query
    if part.phrase:
        return RankQuery((part.phrase[0],), False), None
    alternatives = [alt for alt in part.alternatives if alt]
    operands = tuple(dict.fromkeys(t for alt in alternatives for t in alt))
    conjunctive = len(alternatives) == 1 and len(alternatives[0]) > 1
    return RankQuery(operands, conjunctive), None


def _word_distance(distance: int) -> float:
    if distance > 100:
        return 1e-30
    return 1.0 / (1.005 + 0.05 * math.exp(distance / 1.5 - 2))


def _rank_or(query: RankQuery, doc: Mapping[str, Positions]) -> float:
    result = 0.0
    for operand in query.operands:
        positions = doc.get(operand)
        if not positions:
            continue
        partial, best, best_at = 0.0, -1.0, 0
        for j, (_, weight) in enumerate(positions):
            partial += weight / ((j + 1) * (j + 1))
            if weight > best:
                best, best_at = weight, j
        result += (best + partial - best / ((best_at + 1) * (best_at + 1))) / _PI2_6
    return result / len(query.operands) if query.operands else 0.0


def _rank_and(query: RankQuery, doc: Mapping[str, Positions]) -> float:
    if len(query.operands) < 2:
        return _rank_or(query, doc)
    present = [doc[o] for o in query.operands if doc.get(o)]
    result = -1.0
    for i, mine in enumerate(present):
        for other in present[:i]:
            for position, weight in mine:
                for position_other, weight_other in other:
                    distance = abs(position - position_other)
                    if not distance:
                        continue
                    current = math.sqrt(weight * weight_other * _word_distance(distance))
                    result = current if result < 0 else 1.0 - (1.0 - result) * (1.0 - current)
    return result


def ts_rank(query: RankQuery, doc: Mapping[str, Positions], length: int) -> float:
    """``ts_rank(weights, document, query, 1)``: ``doc`` maps each query term the document
    holds to its positions; ``length`` is the number of positions of the whole document."""
    result = _rank_and(query, doc) if query.conjunctive else _rank_or(query, doc)
    if result < 0:
        result = 1e-20
    if length > 0:
        result /= math.log(length + 1) / math.log(2.0)
    return result


def idf(documents: int, hits: int) -> float:
    """Whoosh's idf (``WeightingModel.idf``), as the PostgreSQL backend uses it per part."""
    return math.log(max(documents, 1) / (hits + 1)) + 1.0


def merge_fields(by_field: Mapping[str, Sequence[int]], offsets: Mapping[str, int]) -> Positions:
    """One lexeme's positions over the fields (each field's positions from 0, shifted by its
    offset), 1-based as PostgreSQL stores them, unique, at most :data:`MAX_POSITIONS`."""
    merged: dict[int, float] = {}
    for name in FIELDS:
        for position in by_field.get(name, ()):
            at = min(offsets[name] + position + 1, MAX_POSITION)
            weight = FIELD_WEIGHTS[name]
            if merged.get(at, -1.0) < weight:
                merged[at] = weight
    return sorted(merged.items())[:MAX_POSITIONS]


def field_offsets(lengths: Mapping[str, int]) -> dict[str, int]:
    """Where each field's positions start (a field follows the previous one two positions
    after its end, as ``pg_backend.document_terms`` lays them out; lengths stand in for the
    last position)."""
    offsets: dict[str, int] = {}
    start = 0
    for name in FIELDS:
        offsets[name] = start
        start += lengths.get(name, 0) + 1
    return offsets
