"""Long lists in pieces: ``IN`` lists the database accepts, writes in batches.

PostgreSQL takes at most 65,535 bind parameters per statement and SQLite 32,766, and SQLAlchemy
sends every member of an ``IN`` list as a parameter of its own; a register import that touches
every municipality, or a consumer catching up on every lineage, easily passes that. Whoever
filters by a list that can grow with the data reads it in ``IN_LIMIT`` pieces.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from _typeshed import SupportsRichComparisonT as Comparable
else:
    Comparable = TypeVar("Comparable")

T = TypeVar("T")

#: Members of one ``IN`` list: far below both databases' limits, large enough that the
#: statements stay few.
IN_LIMIT = 5_000


def chunks(items: Sequence[T], size: int = IN_LIMIT) -> Iterator[Sequence[T]]:
    """``items`` in consecutive pieces of at most ``size`` (none for an empty sequence)."""
    if size < 1:
        raise ValueError("size must be at least 1")
    for start in range(0, len(items), size):
        yield items[start : start + size]


def sorted_chunks(items: Iterable[Comparable], size: int = IN_LIMIT) -> Iterator[list[Comparable]]:
    """The distinct ``items`` sorted, in pieces of at most ``size`` (for ``IN`` lists)."""
    distinct = sorted(set(items))
    for piece in chunks(distinct, size):
        yield list(piece)
