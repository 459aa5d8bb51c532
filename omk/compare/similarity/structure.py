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
