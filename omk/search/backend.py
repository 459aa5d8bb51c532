"""The search backend interface: what :mod:`omk.search.service` needs from an engine.

Two engines implement it: :class:`omk.search.whoosh_backend.WhooshBackend` (an index folder,
the default) and :class:`omk.search.pg_backend.PostgresBackend` (a table with a GIN index, for
several application servers sharing one search). ``service`` picks one per app from
``SEARCH_BACKEND`` (``OMK_SEARCH_BACKEND``) and knows nothing else about it: parsing,
the database re-check of hits, snippets, "Meinten Sie …?" wording and fusion stay in
``service``, the same for both.

Both match the same way: a query is a list of :class:`QueryPart` (a word with its
alternatives, or a quoted phrase); a document's tier is the number of parts it matches, so
documents with every part come first, then those with most (coordination); facet counts are
exact over every match; one version per lineage (the newest, or the one of ``version``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol, TypedDict

from omk.search.records import PracticeRecord

Alternative = tuple[str, ...]  # terms that must all occur (in any text field)


@dataclass(frozen=True)
class QueryPart:
    """One unit of a query, in analysed terms.

    A word part matches a document when all terms of one of its ``alternatives`` occur in
    it; a phrase part (``phrase`` set) when its terms occur one after another in one text
    field (a one-word phrase is a word part with one alternative)."""

    text: str
    alternatives: tuple[Alternative, ...] = ()
    phrase: Alternative = ()

    @property
    def is_phrase(self) -> bool:
        return len(self.phrase) > 1

    @property
    def terms(self) -> set[str]:
        """Every term of the part (for highlighting)."""
        return {t for alt in self.alternatives for t in alt} | set(self.phrase)


@dataclass(frozen=True)
class HitRef:
    """A ranked document: which version of which lineage, with the engine's score."""

    practice_id: str
    version: str
    revision_id: int
    score: float


@dataclass
class Match:
    """What a query matched: one page of ranked hits, totals and facet counts."""

    total: int
    complete: int  # documents that match every query part
    parts: int  # number of query parts
    page: list[HitRef]  # the requested page, best first
    facets: dict[str, dict[str, int]]
    part_hits: list[int]  # per query part, how many documents it matches (0: "Meinten Sie")
    #: with ``levels``: per level, how many of the page's documents (from the first on)
    #: came from it, ranked apart (0 for a level not reached)
    groups: list[int] = field(default_factory=list)
    #: with ``levels``: how many documents match every part of the first level
    first_complete: int = 0


#: Narrower versions of a query's parts ranked apart, strongest first (see
#: :func:`omk.search.levels.by_matches`): each has as many parts as the query, each part
#: with a subset of the query part's alternatives.
Levels = Sequence[Sequence[QueryPart]]


class PrefillResult(TypedDict):
    """What one prefill of a backend's postings cache loaded (before the first queries
    need it: ``omk.search.warm``)."""

    lists: int
    bytes: int  # bytes added to the cache
    wall: float  # seconds
    cpu: float  # CPU seconds of the prefilling thread (the application server's)
    stopped: bool  # stopped before the end (generation replaced, index closed)


class SearchBackend(Protocol):
    """A search engine holding one document per published version of a practice."""

    name: str

    def ensure(self) -> None:
        """Create an empty index if there is none (``omk search init``)."""

    def problem(self) -> str | None:
        """None when the index can be searched, otherwise a short reason (/healthz)."""

    def where(self) -> str:
        """Where the index lives, for messages."""

    def apply(self, lineages: Iterable[str], records: Sequence[PracticeRecord]) -> bool:
        """Replace every document of these lineages by ``records``. False when another
        writer is busy (nothing written: the caller leaves its outbox entries pending)."""

    def rebuild(self, batches: Iterable[Sequence[PracticeRecord]]) -> int:
        """Build a complete new index from ``batches`` beside the live one and swap it in
        atomically (searches keep working meanwhile); returns the number of documents."""

    def stamps(self) -> dict[str, str]:
        """key → stamp of every document (for verify)."""

    def doc_count(self) -> int:
        """How many documents (versions) the index holds."""

    def match(
        self,
        parts: Sequence[QueryPart],
        *,
        filters: dict[str, list[str]],
        version: str | None,
        sort: str,
        offset: int,
        limit: int,
        facets: bool = True,
        levels: Levels = (),
    ) -> Match:
        """Match, filter, count facets and rank one page (see the module's docstring).
        Without ``facets`` the facet counts may be left empty. With ``levels`` (relevance
        only) the documents matching every part of a level are ranked first, level by
        level, as :func:`omk.search.levels.by_matches` orders them."""

    def suggest(self, word: str) -> str | None:
        """The index's most frequent word within edit distance 2 of ``word`` (folded)."""

    def close(self) -> None:
        """Release open files or connections (the next use opens them again)."""
