"""The Whoosh analyzer: exactly the terms of ``analyze`` with positions and offsets."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from whoosh.analysis import Composable
from whoosh.analysis import Token as WhooshToken

from .folding import Mode
from .words import _words


class GermanAnalyzer(Composable):  # type: ignore[misc]  # Whoosh has no type hints
    """Whoosh analyzer yielding exactly the terms of ``analyze`` with positions and offsets.

    Index with ``TEXT(analyzer=GermanAnalyzer())``; Whoosh's query parser calls it with
    ``mode="query"`` and gets only the words' own terms. Module-level, as Whoosh pickles the
    schema with its analyzers.
    """

    # Whoosh pickles the schema: keep the class's path what it was before the package split
    # (omk.search.analysis.GermanAnalyzer), so existing and new indexes open alike.
    __module__ = "omk.search.analysis"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, GermanAnalyzer)

    def __hash__(self) -> int:
        return hash(GermanAnalyzer)

    def __call__(
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        mode: str = "",
        **kwargs: Any,
    ) -> Iterator[Any]:
        analysis_mode: Mode = "query" if mode == "query" else "index"
        # One token object, changed and yielded again, as Whoosh's own tokenizers do.
        out = WhooshToken(positions, chars, removestops=removestops, mode=mode, **kwargs)
        out.boost = 1.0
        out.stopped = False
        for pos, (start, end, found) in enumerate(_words(value, analysis_mode), start_pos):
            if keeporiginal:
                out.original = value[start:end]
            if positions:
                out.pos = pos
            if chars:
                out.startchar = start_char + start
                out.endchar = start_char + end
            for term, _ in found:
                out.text = term
                yield out


def whoosh_analyzer() -> GermanAnalyzer:
    """The Whoosh analyzer of this module (see ``GermanAnalyzer``)."""
    return GermanAnalyzer()
