"""The Whoosh engine as a :class:`omk.search.backend.SearchBackend`: an index folder on this
server (``OMK_SEARCH_INDEX``), generations swapped by a symbolic link. The engine itself is
:mod:`omk.search.whoosh_index`; this adapter turns query parts into Whoosh queries and
document numbers into :class:`~omk.search.backend.HitRef`."""

from __future__ import annotations

import gc
import warnings
from collections.abc import Iterable, Sequence
from pathlib import Path

from whoosh import index
from whoosh import query as wq

from omk.search.backend import HitRef, Levels, Match, QueryPart
from omk.search.records import PracticeRecord
from omk.search.whoosh_index import (
    TEXT_FIELDS,
    Level,
    WhooshIndex,
    create_generation,
    ensure,
    make_current,
)

#: A phrase in the title counts most: a practice's exact title in quotes finds it first.
TITLE_PHRASE_BOOST = 10.0


def _any_field(term: str) -> wq.Query:
    return wq.Or([wq.Term(name, term) for name in TEXT_FIELDS])


def whoosh_query(part: QueryPart) -> wq.Query:
    """The Whoosh query of one query part."""
    if part.is_phrase:
        words = list(part.phrase)
        return wq.Or(
            [wq.Phrase(name, words) for name in TEXT_FIELDS]
            + [wq.Phrase("title", words, boost=TITLE_PHRASE_BOOST)]
        )
    if part.phrase:  # a quoted single word
        return _any_field(part.phrase[0])
    return wq.Or(
        [
            wq.And([_any_field(t) for t in alt]) if len(alt) > 1 else _any_field(alt[0])
            for alt in part.alternatives
            if alt
        ]
    )


def whoosh_levels(levels: Levels) -> list[Level]:
    """The levels ranked apart (:mod:`omk.search.levels`) as the index takes them: each
    level's Whoosh queries with its parts."""
    return [([whoosh_query(p) for p in level], level) for level in levels]


class WhooshBackend:
    """The Whoosh index under ``root`` (one instance per process, reused between requests)."""

    name = "whoosh"

    def __init__(self, root: Path, postings_cache_mb: int | None = None) -> None:
        self.root = root
        ensure(root)
        self.index = WhooshIndex(root, postings_cache_mb)

    def ensure(self) -> None:
        ensure(self.root)

    def where(self) -> str:
        return str(self.root)

    def problem(self) -> str | None:
        return open_problem(self.root)

    def apply(self, lineages: Iterable[str], records: Sequence[PracticeRecord]) -> bool:
        return self.index.apply(lineages, records)

    def rebuild(self, batches: Iterable[Sequence[PracticeRecord]]) -> int:
        generation = create_generation(self.root)
        count = self.index.bulk_load(generation, batches)
        make_current(self.root, generation)
        return count

    def stamps(self) -> dict[str, str]:
        return {key: str(stamp) for key, (stamp, _) in self.index.stamps().items()}

    def doc_count(self) -> int:
        return self.index.doc_count()

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
        found = self.index.match(
            [whoosh_query(p) for p in parts],
            filters=filters,
            version=version,
            sort=sort,
            offset=offset,
            limit=limit,
            ranking=parts,
            facets=facets,
            levels=whoosh_levels(levels),
        )
        page = []
        with self.index.searcher() as s:
            for docnum, score in found.page:
                stored = s.stored_fields(docnum)
                page.append(
                    HitRef(
                        str(stored["practice_id"]),
                        str(stored["version"]),
                        int(stored["revision_id"]),
                        score,
                    )
                )
        return Match(
            found.total,
            found.complete,
            found.parts,
            page,
            found.facets,
            found.part_hits,
            found.groups,
            found.first_complete,
        )

    def suggest(self, word: str) -> str | None:
        with self.index.searcher() as s:
            if "words" in s.schema:  # a generation of schema 2: its words field
                found = s.corrector("words").suggest(word, limit=1, maxdist=2)
                return str(found[0]) if found else None
        return self.index.suggest(word)

    def close(self) -> None:
        self.index.close()


def open_problem(root: Path) -> str | None:
    """None when the current index under ``root`` opens, otherwise a short reason."""
    path = str(root / "current")
    # Whoosh leaves a corrupt TOC's file open when reading it fails: let it be closed here,
    # quietly, rather than as a ResourceWarning at some later garbage collection. Only then:
    # a full collection costs about 0.1 s in a warmed-up worker, and /healthz runs this on
    # every call of a load balancer.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        problem = _open_problem(path)
        if problem is not None:
            gc.collect()
    return problem


def _open_problem(path: str) -> str | None:
    try:
        if not index.exists_in(path):
            return "unavailable: kein Index (omk search init)"
        ix = index.open_dir(path)
        ix.doc_count()
        ix.close()
    except Exception as exc:
        return f"unavailable: {type(exc).__name__}"
    return None
