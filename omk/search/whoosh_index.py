"""The embedded search engine: a Whoosh index in the instance folder.

Layout: ``<SEARCH_INDEX>/current`` is a symbolic link to a generation folder
(``gen-<timestamp>``); a full reindex builds a new generation beside the live one and swaps
the link atomically, so searches keep working during it. One writer at a time: a worker that
finds the index locked leaves its outbox entries to the writer holding the lock (or to
``omk search sync``), it never waits and never shows a user ``LockError``.

Matching and ranking (:meth:`WhooshIndex.match`): every query part (a word with its lemmas,
compound parts and synonyms, or a quoted phrase) gives the set of documents it matches; a
document's tier is the number of parts it matches, so documents with every word come first,
then those with most. Within a tier the documents are ranked as the PostgreSQL backend ranks
them (sum over parts of idf × ``ts_rank``, :mod:`omk.search.tsrank`) when the caller passes
the query parts, else by Whoosh's BM25F (title 3×, summary 1.5×). Facet
counts come from per-segment arrays built from the postings of the facet fields (never from
stored fields), cached until the segment changes.
"""

from __future__ import annotations

import itertools
import logging
import os
import shutil
import threading
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from whoosh import index, query
from whoosh.fields import ID, KEYWORD, NUMERIC, STORED, TEXT, Schema
from whoosh.index import LockError
from whoosh.searching import Searcher

from omk.search import (
    analysis,
    tsrank,
    whoosh_patches,
    whoosh_pool,
    whoosh_postings,
    whoosh_prefill,
    whoosh_prescore,
)
from omk.search.analysis import GermanAnalyzer
from omk.search.backend import PrefillResult, QueryPart
from omk.search.records import FACETS, PracticeRecord
from omk.search.suggestions import WordList
from omk.search.whoosh_facets import Columns, FacetCache
from omk.search.whoosh_facets import leaves as _leaves
from omk.search.whoosh_pool import GroupingPool

log = logging.getLogger("omk.search")
whoosh_patches.apply()
whoosh_pool.apply()


SCHEMA_VERSION = 3  # 3: the "Meinten Sie" words in a word list beside the index
#: Text fields searched, with their BM25F weight.
TEXT_FIELDS = {"title": 3.0, "summary": 1.5, "body": 1.0, "actors": 1.0}
#: Whoosh builds an Or over a segment of at most this many documents as an array matcher
#: (``whoosh.query.compound.Or._matcher``); :func:`_scores` is used only above it.
ARRAY_OR_MAX_DOCS = 5000
WRITER_TIMEOUT = 0.0  # never wait for another writer: its drain picks up our entries
#: A reindex of at least this many documents writes with WRITER_PROCS processes, each a
#: segment of its own. Each segment must stay well above ARRAY_OR_MAX_DOCS, or ranking takes
#: Whoosh's slower path (measured: 10,000 documents in two segments doubled query CPU).
PARALLEL_MIN_DOCS = 20_000
WRITER_PROCS = 2
WRITER_BATCH = 200  # documents handed to a writer process at a time
#: memory for postings per writer (process) of a reindex before it spills a run to disk:
#: 1 GB holds the 50,000 practices each of two writers gets in a 100,000-practice reindex
#: (spilling costs about 80 % more CPU); larger corpora spill instead of running out of memory
WRITER_LIMIT_MB: float = 1024


def schema() -> Schema:
    """The index schema: text fields (German analysis), facet keywords, what a hit needs."""
    german = GermanAnalyzer()
    fields: dict[str, Any] = {
        "key": ID(stored=True, unique=True),
        "practice_id": ID(stored=True),
        "version": ID(stored=True),  # the cycle of this version
        "latest": ID,  # "1" on the newest published version of a lineage
        "revision_id": STORED,
        "stamp": STORED,
        "period_end": NUMERIC(stored=True, sortable=True),  # yyyymmdd: sort by newest
    }
    for name, boost in TEXT_FIELDS.items():
        fields[name] = TEXT(analyzer=german, field_boost=boost, phrase=True)
    for name in FACETS:
        fields[f"f_{name}"] = KEYWORD(commas=True)
    return Schema(**fields)


def _document(record: PracticeRecord) -> dict[str, Any]:
    body = "\n\n".join(
        t for t in (record.description, record.outcomes, record.transferability) if t
    )
    doc: dict[str, Any] = {
        "key": record.key,
        "practice_id": record.practice_id,
        "version": record.cycle,
        "latest": "1" if record.is_latest else "0",
        "revision_id": record.revision_id,
        "stamp": record.stamp,
        "period_end": int(record.period_end.replace("-", "")),
        "title": record.title,
        "summary": record.summary,
        "body": body,
        "actors": record.actors,
    }
    for name in FACETS:
        values = getattr(record, name)
        if values:
            doc[f"f_{name}"] = ",".join(values)
    return doc


# --- the folder and its generations ---------------------------------------------------------


def _current(root: Path) -> Path:
    return root / "current"


def _doc_count(path: Path) -> int:
    ix = index.open_dir(str(path))
    try:
        return int(ix.doc_count_all())
    finally:
        ix.close()


def exists(root: Path) -> bool:
    path = _current(root)
    return path.exists() and index.exists_in(str(path))


def create_generation(root: Path) -> Path:
    """A new, empty index folder beside the live one (not yet current)."""
    root.mkdir(parents=True, exist_ok=True)
    path = root / f"gen-{time.strftime('%Y%m%d%H%M%S')}-{uuid.uuid4().hex[:8]}"
    path.mkdir()
    index.create_in(str(path), schema())
    return path


def make_current(root: Path, generation: Path) -> None:
    """Point ``current`` at ``generation`` atomically and remove older generations."""
    link = _current(root)
    tmp = root / f".current-{os.getpid()}-{threading.get_ident()}"
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    tmp.symlink_to(generation.name)
    os.replace(tmp, link)
    for old in root.glob("gen-*"):
        if old.name != generation.name:
            # Open searchers keep their files (POSIX); new ones open the new generation.
            shutil.rmtree(old, ignore_errors=True)


def ensure(root: Path) -> None:
    """Create an empty current index if there is none (or it has an older schema)."""
    if exists(root):
        ix = index.open_dir(str(_current(root)))
        try:
            if "key" in ix.schema and "f_criterion" in ix.schema:
                missing = [f"f_{name}" for name in FACETS if f"f_{name}" not in ix.schema]
                if missing:  # a facet added since: add its field, keep the documents
                    writer = ix.writer()
                    for name in missing:
                        writer.add_field(name, KEYWORD(commas=True))
                    writer.commit()
                return
        finally:
            ix.close()
    make_current(root, create_generation(root))
    for legacy in root.glob("_MAIN_*"):  # an index of schema 1 lay directly in the folder
        legacy.unlink()
    for legacy in root.glob("*.seg"):
        legacy.unlink()


# --- the index ---------------------------------------------------------------------------------


@dataclass
class Match:
    """What a query matched: ranked docnums of one page, totals, tiers and facet counts."""

    total: int
    complete: int  # documents that match every query part
    parts: int  # number of query parts
    page: list[tuple[int, float]]  # (docnum, score) of the requested page, best first
    facets: dict[str, dict[str, int]]
    part_hits: list[int]  # per query part, how many documents it matches (0: "Meinten Sie")
    groups: list[int] = field(default_factory=list)  # as backend.Match's
    first_complete: int = 0


#: A level ranked apart (:mod:`omk.search.levels`): its Whoosh queries and its query parts
#: (for :mod:`omk.search.tsrank`; None: ranked by Whoosh's BM25F).
Level = tuple[Sequence[query.Query], Sequence[QueryPart] | None]


class WhooshIndex:
    """The current generation of the index under ``root``."""

    def __init__(self, root: Path, postings_cache_mb: int | str | None = None) -> None:
        self.root = root
        self.facets = FacetCache()
        self.postings = whoosh_postings.PostingsCache(
            whoosh_postings.cache_bytes(postings_cache_mb)
        )
        self._ix: Any = None
        self._ix_target: str | None = None
        self._searcher: Searcher | None = None
        self._lock = threading.Lock()
        #: prefill the postings cache in the background whenever segments are new to this
        #: process (its first searcher, a commit): set by the app's warm-up
        self.prefill_on_change = False
        self._prefilled: set[str | None] = set()  # segments prefilled to the end
        self.prefill_thread: threading.Thread | None = None

    # reading

    def _open(self) -> Any:
        target = os.readlink(_current(self.root)) if _current(self.root).is_symlink() else None
        if self._ix is None or target != self._ix_target:
            if self._searcher is not None:
                self._searcher.close()
                self._searcher = None
            if self._ix is not None:
                self._ix.close()
            self._ix = index.open_dir(str(_current(self.root)))
            self._ix_target = target
            self.facets = FacetCache()
            self.postings = whoosh_postings.PostingsCache(self.postings.max_bytes)
            self._prefilled = set()
        return self._ix

    @contextmanager
    def searcher(self) -> Iterator[Searcher]:
        """An up-to-date searcher (reused while the index has not changed)."""
        with self._lock:
            ix = self._open()
            if self._searcher is not None and not self._searcher.up_to_date():
                # A new searcher rather than refresh(): Whoosh 2.7's refresh fails on a
                # searcher of an empty index (EmptyReader has no segments).
                self._searcher.close()
                self._searcher = None
            if self._searcher is None:
                self._searcher = ix.searcher()
                segments = {whoosh_postings.segment_key(r) for r, _ in _leaves(self._searcher)}
                self.postings.keep_segments(segments)
                if self.prefill_on_change and segments - self._prefilled:
                    self._start_prefill(self._searcher, segments)
            searcher = self._searcher
        yield searcher

    def _start_prefill(self, searcher: Searcher, segments: set[str | None]) -> None:
        """Prefill the lists of ``segments`` not prefilled yet, in a thread (lock held)."""
        skip = {key for key in self._prefilled if key is not None}
        cache = self.postings

        def finished() -> None:  # only a prefill that ran to its end counts as done
            with self._lock:
                if self.postings is cache:
                    self._prefilled |= segments

        def stop() -> bool:  # the searcher replaced (a commit, a new generation) or closed
            return self._searcher is not searcher or self.postings is not cache

        target = self._ix_target
        folder = str(self.root / target) if target else str(_current(self.root))
        readers = [r for r, _ in _leaves(searcher)]
        self.prefill_thread = whoosh_prefill.start(
            folder, readers, cache, TEXT_FIELDS, stop, skip, finished
        )

    def prefill_postings(self) -> PrefillResult:
        """Decode the text fields' most frequent posting lists into the cache now, in this
        thread (:mod:`omk.search.whoosh_prefill`; the benchmark's "prefilled" queries)."""
        with self.searcher() as s:
            readers = [r for r, _ in _leaves(s)]
            room = whoosh_prefill.budget(self.postings)
            return whoosh_prefill.prefill(readers, self.postings, TEXT_FIELDS, room)

    def clear_postings(self) -> None:
        """Empty the decoded postings cache (the benchmark's cold queries)."""
        self.postings.clear()

    def close(self) -> None:
        with self._lock:
            if self._searcher is not None:
                self._searcher.close()
            if self._ix is not None:
                self._ix.close()
            self._searcher = self._ix = None

    def suggest(self, word: str) -> str | None:
        """The most frequent indexed word within edit distance 2 (``suggestions``)."""
        return WordList(_current(self.root)).suggest(word)

    def doc_count(self) -> int:
        with self.searcher() as s:
            return int(s.doc_count())

    def stamps(self) -> dict[str, tuple[str, int]]:
        """key → (stamp, revision id) of every document (for verify)."""
        with self.searcher() as s:
            return {f["key"]: (f["stamp"], f["revision_id"]) for f in s.all_stored_fields()}

    def stored(self, docnum: int) -> dict[str, Any]:
        with self.searcher() as s:
            return dict(s.stored_fields(docnum))

    # writing

    def apply(
        self,
        lineages: Iterable[str],
        records: Sequence[PracticeRecord],
        *,
        path: Path | None = None,
    ) -> bool:
        """Replace every document of these lineages by ``records``. False when another
        writer holds the lock (nothing written: the caller leaves its entries pending)."""
        folder = path or _current(self.root)
        ix = index.open_dir(str(folder))
        try:
            writer = ix.writer(timeout=WRITER_TIMEOUT)
        except LockError:
            ix.close()
            return False
        lineages = list(lineages)
        words = None
        try:
            if "words" not in ix.schema:  # schema 2 kept its words in a field
                words = WordList(folder).begin_replace(lineages, records)
            for practice_id in lineages:
                writer.delete_by_term("practice_id", practice_id)
            for record in records:
                writer.add_document(**_document(record))
            writer.commit()
            if words is not None:
                words.execute("COMMIT")
        except BaseException:
            writer.cancel()
            raise
        finally:
            if words is not None:
                words.close()  # without COMMIT: rolled back
            ix.close()
        return True

    def bulk_load(
        self,
        path: Path,
        batches: Iterable[Sequence[PracticeRecord]],
        procs: int = WRITER_PROCS,
    ) -> int:
        """Fill a fresh generation (reindex). From ``PARALLEL_MIN_DOCS`` documents on,
        ``procs`` processes each write a segment of their own (Whoosh's ``MpWriter`` with
        ``multisegment``: no merge at the end); the parent only reads and hands out batches.
        Every writer keeps its postings grouped in memory (:class:`GroupingPool`: the same
        segment files as Whoosh's own pool, written a block at a time) up to
        ``WRITER_LIMIT_MB``, beyond which it spills sorted runs to disk as Whoosh's pool does.
        Raises if the new generation does not hold every document (it is then not made
        current)."""
        stream = iter(batches)
        head: list[Sequence[PracticeRecord]] = []
        seen = 0
        for batch in stream:
            head.append(batch)
            seen += len(batch)
            if seen >= PARALLEL_MIN_DOCS:
                break
        parallel = procs > 1 and seen >= PARALLEL_MIN_DOCS
        ix = index.open_dir(str(path))
        count = 0
        if parallel:
            # Load the dictionaries before the writer forks, so its processes share them.
            analysis.warm_up()
            writer = ix.writer(
                procs=procs,
                multisegment=True,
                batchsize=WRITER_BATCH,
                poolclass=GroupingPool,
                limitmb=WRITER_LIMIT_MB,
            )
        else:
            writer = ix.writer(poolclass=GroupingPool, limitmb=WRITER_LIMIT_MB)
        words = WordList(path).fill()
        try:
            for batch in itertools.chain(head, stream):
                for record in batch:
                    writer.add_document(**_document(record))
                words.add(batch)
                count += len(batch)
            words.finish()
            writer.commit(optimize=not parallel)
        except BaseException:
            writer.cancel()
            words.abandon()
            raise
        finally:
            ix.close()
        written = _doc_count(path)
        if written != count:  # a writer process failed: never swap in a partial index
            raise RuntimeError(f"reindex wrote {written} of {count} documents")
        return count

    # matching

    def match(
        self,
        parts: Sequence[query.Query],
        *,
        filters: dict[str, list[str]],
        version: str | None,
        sort: str,
        offset: int,
        limit: int,
        ranking: Sequence[QueryPart] | None = None,
        facets: bool = True,
        levels: Sequence[Level] = (),
    ) -> Match:
        """Match, filter, count and rank (see the module's docstring); with ``ranking`` (the
        query parts of ``parts``, in order) a tier is ordered by :mod:`omk.search.tsrank`;
        without ``facets`` no facet is counted. ``levels`` (relevance only): narrower
        versions of ``parts`` whose complete documents are ranked first, level by level
        (:mod:`omk.search.levels`), each by its own parts."""
        with self.searcher() as s:
            columns = self.facets.columns(s)
            size = columns.size
            base = self._base_mask(columns, filters, version)
            tiers = np.zeros(size, dtype=np.int16)
            part_hits: list[int] = []
            part_masks: list[np.ndarray] = []
            for q in parts:
                hits = _mask(s, q, size, self.postings)
                part_masks.append(hits)
                part_hits.append(int(np.count_nonzero(base & hits)))
                np.add(tiers, hits, out=tiers, casting="unsafe")
            matched = base & (tiers > 0) if parts else base & columns.alive
            counted = self._count(columns, matched) if facets else {}
            total = int(np.count_nonzero(matched))
            complete = int(np.count_nonzero(matched & (tiers == len(parts)))) if parts else total
            found = Match(total, complete, len(parts), [], counted, part_hits)
            if levels and parts and sort != "newest":
                found.groups = [0] * len(levels)
                if complete:
                    wide = list(zip(parts, part_masks, strict=True))
                    matched = self._rank_levels(
                        s, columns, base, matched, tiers, levels, wide, found, offset + limit
                    )

            def scorer() -> _TsScorer | None:
                if ranking is None or not parts:
                    return None
                return self._scorer(s, columns, ranking, part_hits)

            if not found.page:  # the tiers before the page need no order
                found.page = self._rank(
                    s, parts, matched, tiers, columns, sort, offset, limit, scorer()
                )
            else:  # the rest after the levels' documents, if they left room
                need = offset + limit - len(found.page)
                if need > 0:
                    found.page += self._rank(
                        s, parts, matched, tiers, columns, sort, 0, need, scorer()
                    )
                found.page = found.page[offset : offset + limit]
        return found

    def _scorer(
        self, s: Searcher, columns: Columns, parts: Sequence[QueryPart], part_hits: list[int]
    ) -> _TsScorer:
        # as PostgreSQL's backend counts: latest versions, or all rows when large
        documents = int(np.count_nonzero(columns.latest & columns.alive))
        if columns.size >= 10_000:
            documents = s.doc_count()
        scorer = _TsScorer(s, parts, max([documents, *part_hits]), part_hits)
        scorer.postings = self.postings
        return scorer

    def _rank_levels(
        self,
        s: Searcher,
        columns: Columns,
        base: np.ndarray,
        matched: np.ndarray,
        tiers: np.ndarray,
        levels: Sequence[Level],
        wide: Sequence[tuple[query.Query, np.ndarray]],
        found: Match,
        wanted: int,
    ) -> np.ndarray:
        """Rank the documents of ``levels`` into ``found.page`` (up to ``wanted``), setting
        ``found.groups`` and ``found.first_complete``; returns ``matched`` without them
        (what is left to rank). ``wide``: the query's parts with their masks, reused for a
        level's part that is the same (a word without halves or related words)."""
        left = matched.copy()
        for n, (queries, ranking) in enumerate(levels):
            room = wanted - len(found.page)
            if n and room <= 0:  # the levels before filled the page
                break
            inside = base.copy()
            level_hits: list[int] = []
            for q, (wide_q, wide_hits) in zip(queries, wide, strict=True):
                hits = wide_hits if q == wide_q else _mask(s, q, columns.size, self.postings)
                level_hits.append(int(np.count_nonzero(base & hits)))
                inside &= hits
            if n == 0:
                found.first_complete = int(np.count_nonzero(inside))
            scorer = self._scorer(s, columns, ranking, level_hits) if ranking else None
            group = self._rank(
                s, queries, inside & left, tiers, columns, "relevance", 0, room, scorer
            )
            found.page += group
            found.groups[n] = len(group)
            left &= ~inside
        return left

    def _base_mask(
        self, columns: Columns, filters: dict[str, list[str]], version: str | None
    ) -> np.ndarray:
        if version is None:
            mask = columns.latest.copy()
        else:
            vid = self.facets.lookup("version", version)
            mask = columns.version == vid if vid is not None else np.zeros(columns.size, bool)
        for facet, wanted in filters.items():
            if not wanted:
                continue
            allowed = np.zeros(columns.size, dtype=bool)
            by_value = columns.docs.get(facet, {})
            for value in wanted:
                vid = self.facets.lookup(facet, value)
                if vid is not None and vid in by_value:
                    allowed[by_value[vid]] = True
            mask &= allowed  # values of one facet are alternatives; facets combine
        return mask

    def _count(self, columns: Columns, matched: np.ndarray) -> dict[str, dict[str, int]]:
        counts = columns.count(matched)
        out: dict[str, dict[str, int]] = {}
        for facet, (start, number) in columns.ranges.items():
            values = self.facets.values[facet]
            mine = counts[start : start + number]
            out[facet] = {values[i]: int(mine[i]) for i in np.flatnonzero(mine).tolist()}
        return out

    def _rank(
        self,
        s: Searcher,
        parts: Sequence[query.Query],
        matched: np.ndarray,
        tiers: np.ndarray,
        columns: Columns,
        sort: str,
        offset: int,
        limit: int,
        scorer: _TsScorer | None = None,
    ) -> list[tuple[int, float]]:
        wanted = offset + limit
        if not parts or sort == "newest":
            period = columns.period_end
            docs = np.nonzero(matched)[0]
            keys = (-period[docs], -tiers[docs]) if parts else (-period[docs],)
            order = docs[np.lexsort(keys[::-1])] if docs.size else docs
            return [(int(d), 0.0) for d in order[offset:wanted]]
        union = query.Or(list(parts))
        page: list[tuple[int, float]] = []
        for tier in range(len(parts), 0, -1):
            members = np.nonzero(matched & (tiers == tier))[0]
            if not members.size:
                continue
            if len(page) + members.size <= offset:
                page.extend((int(d), 0.0) for d in members)  # before the page: order irrelevant
                continue
            need = wanted - len(page)
            if scorer is not None:
                page.extend(scorer.top(members, need))
            elif any(leaf.doc_count_all() <= ARRAY_OR_MAX_DOCS for leaf, _ in s.leaf_searchers()):
                # Whoosh preloads an Or over a small segment (its array matcher), whose
                # skip_to does not keep every score: rank as Whoosh does.
                results = s.search(union, limit=need, filter=set(members.tolist()))
                page.extend((hit.docnum, float(hit.score or 0.0)) for hit in results)
            else:
                scores = _scores(s, union, members)
                # Whoosh's order: score descending, then document number ascending.
                best = np.lexsort((members, -scores))[:need]
                page.extend((int(members[i]), float(scores[i])) for i in best)
            if len(page) >= wanted:
                break
        return page[offset:wanted]


def _term_docs(
    reader: Any, fieldname: str, text: str, cache: whoosh_postings.PostingsCache | None = None
) -> np.ndarray:
    """The documents of one term in one segment (ascending)."""
    return whoosh_prescore.term_postings(reader, fieldname, text, cache)[0]


def _mask(
    s: Searcher, q: query.Query, size: int, cache: whoosh_postings.PostingsCache | None = None
) -> np.ndarray:
    """The documents a query matches (as ``docs_for_query``), as a mask over docnums.

    Terms, and Or/And over them (what a query word becomes), are read straight from the
    posting lists (decoded, cached) and combined as masks; phrases and anything else go
    through Whoosh."""
    if isinstance(q, query.Term):
        mask = np.zeros(size, dtype=bool)
        for r, off in _leaves(s):
            ids = _term_docs(r, q.fieldname, q.text, cache)
            if ids.size:
                mask[ids.astype(np.int64) + off if off else ids] = True
        return mask
    if type(q) in (query.Or, query.And) and q.subqueries:
        combined = _mask(s, q.subqueries[0], size, cache)
        for sub in q.subqueries[1:]:
            if isinstance(q, query.Or):
                combined |= _mask(s, sub, size, cache)
            else:
                combined &= _mask(s, sub, size, cache)
        return combined
    mask = np.zeros(size, dtype=bool)
    mask[np.fromiter(s.docs_for_query(q), dtype=np.int64)] = True
    return mask


def _docs(
    s: Searcher, q: query.Query, cache: whoosh_postings.PostingsCache | None = None
) -> np.ndarray:
    """The documents a query matches, sorted and unique (:func:`_mask`)."""
    return np.flatnonzero(_mask(s, q, s.doc_count_all(), cache))


def _scores(s: Searcher, q: query.Query, members: np.ndarray) -> np.ndarray:
    """BM25F scores of ``members`` (sorted docnums, all matched by ``q``) for ``q``: its
    matcher skips from member to member instead of visiting every document it matches.
    The same matcher and context as ``Searcher.search``, so the same scores."""
    scores = np.zeros(members.size, dtype=np.float64)
    context = s.context()
    for leaf, offset in s.leaf_searchers():
        lo, hi = np.searchsorted(members, [offset, offset + leaf.doc_count_all()])
        if lo == hi:
            continue
        m = q.matcher(leaf, context)
        for k in range(int(lo), int(hi)):
            if not m.is_active():
                break
            d = int(members[k]) - offset
            if m.id() < d:
                m.skip_to(d)
                if not m.is_active():
                    break
            if m.id() == d:
                scores[k] = m.score()
    return scores


class _TsScorer:
    """Scores of documents as the PostgreSQL backend computes them (:mod:`omk.search.tsrank`):
    the sum over parts of idf × ts_rank, a title phrase counting ten times more; positions
    come from the postings, field lengths from the index (Whoosh keeps them to about 3 %)."""

    TITLE_PHRASE_BOOST = 10.0

    def __init__(
        self, s: Searcher, parts: Sequence[QueryPart], documents: int, part_hits: Sequence[int]
    ) -> None:
        self.searcher = s
        self.postings = whoosh_postings.PostingsCache()
        self.queries = [tsrank.rank_queries(part) for part in parts]
        self.idfs = [tsrank.idf(documents, hits) for hits in part_hits]
        self.terms = sorted({t for query, _ in self.queries for t in query.operands})
        self.title_phrase = [
            set(_docs(s, query.Phrase("title", list(part.phrase))).tolist())
            if part.is_phrase
            else set()
            for part in parts
        ]

    def top(self, members: np.ndarray, need: int) -> list[tuple[int, float]]:
        """The ``need`` best of ``members`` (sorted docnums): score descending, then docnum.
        A query of words only scores exactly just the members that can reach the page
        (:mod:`omk.search.whoosh_prescore`); phrases and ``&`` alternatives score all."""
        if all(not q.conjunctive and title is None for q, title in self.queries):
            leaves = _leaves(self.searcher)
            bound, doubtful = whoosh_prescore.bounds_and_doubts(
                leaves, self.queries, self.idfs, members, self.postings
            )

            def exact(docs: np.ndarray) -> np.ndarray:
                # the bound is the exact score unless in doubt (then scored from positions)
                at = np.searchsorted(members, docs)
                scores = bound[at].copy()
                check = doubtful[at]
                if check.any():
                    scores[check] = self.scores(docs[check])
                return scores

            return whoosh_prescore.exact_top(members, need, bound, exact)
        scores = self.scores(members)
        best = np.lexsort((members, -scores))[:need]
        return [(int(members[i]), float(scores[i])) for i in best]

    def scores(self, members: np.ndarray) -> np.ndarray:
        """The score of each of ``members`` (sorted docnums)."""
        positions: list[dict[str, dict[str, list[int]]]] = [{} for _ in range(members.size)]
        lengths: list[dict[str, int]] = [{} for _ in range(members.size)]
        for leaf, offset in _leaves(self.searcher):
            lo, hi = np.searchsorted(members, [offset, offset + leaf.doc_count_all()])
            if lo == hi:
                continue
            local = (members[lo:hi] - offset).tolist()
            for name in tsrank.FIELDS:
                field_lengths = whoosh_patches.field_lengths(leaf, name)
                for k, d in enumerate(local):
                    lengths[int(lo) + k][name] = int(field_lengths[d])
                for term in self.terms:
                    found = whoosh_postings.term_positions(leaf, name, term, local, self.postings)
                    for k, d in enumerate(local):
                        if d in found:
                            positions[int(lo) + k].setdefault(term, {})[name] = found[d]
        out = np.zeros(members.size, dtype=np.float64)
        for k in range(members.size):
            offsets = tsrank.field_offsets(lengths[k])
            doc = {
                term: tsrank.merge_fields(by_field, offsets)
                for term, by_field in positions[k].items()
            }
            length = sum(lengths[k].values())
            docnum = int(members[k])
            total = 0.0
            for n, (query_, title) in enumerate(self.queries):
                rank = tsrank.ts_rank(query_, doc, length)
                total += self.idfs[n] * rank
                if title is not None and docnum in self.title_phrase[n]:
                    total += self.idfs[n] * self.TITLE_PHRASE_BOOST * rank
            out[k] = total
        return out
