"""What the reports themselves say about the need: criterion, recommendations and the other
classifications of the reporting format, as z added to a pair's score."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .items import Item

#: The reporting format's own classification of the need: a practice reported under another
#: criterion answers another need far more often than not (a look-alike sharing "Geflüchtete"
#: and "Stadt"), so a pair whose criteria differ loses this much z; a missing criterion is
#: neither agreement nor disagreement.
CRITERION_PENALTY = 1.0
#: z added times the Jaccard overlap of the recommendations both practices serve (the same
#: recommendation is the same need, however it is worded); 0 when either lists none.
RECOMMENDATION_WEIGHT = 1.0
#: The format's other classifications, the same way as the criterion: a pair whose practices
#: both name fields of action (or target groups, or actor types) and share none loses this
#: much z for each. Twins almost always share one of each (of the 60 judged similar pairs of
#: tests/synergies/eval one shares no target group, two no actor type, none no field); a
#: look-alike of the same criterion often does not (cycling courses for women and girls
#: beside a bicycle workshop for adults and families). Partial overlap is no evidence either
#: way, so only disjointness counts.
DISAGREEMENT_PENALTY = 1.0
#: The target group that includes every other: a practice for everyone shares a group with any.
ANY_TARGET_GROUP = "alle"


def _codes(values: Sequence[str]) -> np.ndarray:
    """Integer codes of ``values`` ('' → -1)."""
    seen: dict[str, int] = {}
    return np.array([seen.setdefault(v, len(seen)) if v else -1 for v in values], dtype=np.int64)


def _masks(sets: Sequence[Sequence[str]]) -> list[np.ndarray]:
    """Each row's values as bit masks, 63 values per int64 mask (so that millions of
    candidate pairs are compared in milliseconds); one Python integer per distinct set."""
    position = {v: i for i, v in enumerate(sorted({v for values in sets for v in values}))}
    whole: dict[tuple[str, ...], int] = {}
    for values in sets:
        key = tuple(values)
        if key not in whole:
            whole[key] = sum(1 << position[v] for v in set(values))
    bits = [whole[tuple(values)] for values in sets]
    low = (1 << 63) - 1
    return [
        np.fromiter(((m >> start) & low for m in bits), dtype=np.int64, count=len(bits))
        for start in range(0, len(position), 63)
    ]


def _jaccard(sets: Sequence[Sequence[str]], a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Jaccard overlap of ``sets[a]`` and ``sets[b]`` per pair (0 when either is empty)."""
    both = np.zeros(len(a))
    either = np.zeros(len(a))
    for masks in _masks(sets):
        both += np.bitwise_count(masks[a] & masks[b])
        either += np.bitwise_count(masks[a] | masks[b])
    out: np.ndarray = np.divide(both, either, out=np.zeros(len(a)), where=either > 0)
    return out


def _disjoint(
    sets: Sequence[Sequence[str]], a: np.ndarray, b: np.ndarray, anything: str = ""
) -> np.ndarray:
    """Whether ``sets[a]`` and ``sets[b]`` are both non-empty and share nothing (a set holding
    ``anything`` shares with every other)."""
    shared = np.zeros(len(a), dtype=bool)
    for masks in _masks(sets):
        shared |= (masks[a] & masks[b]) != 0
    empty = np.array([not values for values in sets], dtype=bool)
    if anything:
        empty |= np.array([anything in values for values in sets], dtype=bool)
    out: np.ndarray = ~shared & ~empty[a] & ~empty[b]
    return out


def structure(items: Sequence[Item], a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The z added to each pair for what the reports themselves say about the need:
    ``-CRITERION_PENALTY`` when both name a criterion and they differ,
    ``-DISAGREEMENT_PENALTY`` for each of fields of action, target groups and actor types that
    both name without sharing one, plus ``RECOMMENDATION_WEIGHT`` × the Jaccard overlap of
    their recommendations."""
    out = np.zeros(len(a))
    if CRITERION_PENALTY:
        codes = _codes([item.criterion for item in items])
        differ = (codes[a] >= 0) & (codes[b] >= 0) & (codes[a] != codes[b])
        out -= CRITERION_PENALTY * differ
    if RECOMMENDATION_WEIGHT:
        recommendations = [tuple(item.recommendations) for item in items]
        out += RECOMMENDATION_WEIGHT * _jaccard(recommendations, a, b)
    if DISAGREEMENT_PENALTY:
        for sets, anything in (
            ([item.fields for item in items], ""),
            ([item.target_groups for item in items], ANY_TARGET_GROUP),
            ([item.actor_types for item in items], ""),
        ):
            out -= DISAGREEMENT_PENALTY * _disjoint(sets, a, b, anything)
    return out
