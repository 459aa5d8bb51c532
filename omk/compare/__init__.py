"""Pure functions over plain data for comparison, search, synergies and synthesis.

Nothing in this package touches the database, Flask or the request: callers pass numbers,
strings and small records and get numbers, strings and small records back, so every rule is
defined once and tested without an app. German texts are message ids, translated at the edge.
"""

from omk.compare.bases import (
    ALLOCATED,
    BASES,
    BASIS_LABELS,
    Basis,
    Normalised,
    allocated_of,
    normalise,
)

__all__ = [
    "ALLOCATED",
    "BASES",
    "BASIS_LABELS",
    "Basis",
    "Normalised",
    "allocated_of",
    "normalise",
]
