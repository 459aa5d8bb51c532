"""Facet values and per-document columns of a Whoosh index as numpy arrays.

Built from the postings of the facet keyword fields (never from stored fields), once per
segment, and combined once per searcher (a set of segments) into :class:`Columns`: the
latest-version, version, period-end and live-document columns over every document number,
each facet value's documents (for filters), and every (document, facet value) pair sorted by
document, with one number per value over all facets, so that all facet counts of a query
are one ``np.bincount`` over the pairs of its matched documents. Nothing here depends on a
query: these are the index's columns, cached until its segments change.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from whoosh.searching import Searcher

from omk.search.records import FACETS

#: Below this share of matched documents, counting gathers the matched documents' pairs;
#: above it, one pass over every pair is cheaper.
SPARSE_SHARE = 0.25


@dataclass
class _SegmentFacets:
    """For one segment: per facet, the documents of each value id; per-doc columns."""

    size: int
    docs: dict[str, dict[int, np.ndarray]] = field(default_factory=dict)
    period_end: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    latest: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    version: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))


@dataclass
class Columns:
    """The facet arrays of one searcher's segments, over its document numbers."""

    size: int
    latest: np.ndarray  # bool: the newest published version of its lineage
    version: np.ndarray  # int32: value id of the cycle ("version")
    period_end: np.ndarray  # int64: yyyymmdd
    alive: np.ndarray  # bool: not deleted
    docs: dict[str, dict[int, np.ndarray]]  # facet → value id → documents (ascending)
    pair_docs: np.ndarray  # int32: document of every (document, value) pair, ascending
    pair_values: np.ndarray  # int32: the pair's value, numbered over all facets
    pointers: np.ndarray  # int64: pairs of document d are pointers[d]:pointers[d + 1]
    ranges: dict[str, tuple[int, int]]  # facet → its values' numbers (start, count)

    def count(self, matched: np.ndarray) -> np.ndarray:
        """How many matched documents hold each value (numbered over all facets)."""
        total = sum(n for _, n in self.ranges.values())
        found = int(np.count_nonzero(matched))
        if found == 0:
            return np.zeros(total, dtype=np.int64)
        if found < SPARSE_SHARE * self.size:
            docs = np.flatnonzero(matched)
            starts = self.pointers[docs]
            lengths = self.pointers[docs + 1] - starts
            # the pairs of each matched document: its start repeated, plus 0, 1, …
            shift = np.repeat(starts - (np.cumsum(lengths) - lengths), lengths)
            values = self.pair_values[shift + np.arange(shift.size)]
        else:
            values = self.pair_values[matched[self.pair_docs]]
        return np.bincount(values, minlength=total)[:total]


class FacetCache:
    """Facet values of every document as arrays, per segment, with one vocabulary per facet."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._segments: dict[tuple[str, int], _SegmentFacets] = {}
        self._columns: tuple[tuple[Any, ...], Columns] | None = None
        self.values: dict[str, list[str]] = {name: [] for name in (*FACETS, "version")}
        self._ids: dict[str, dict[str, int]] = {name: {} for name in (*FACETS, "version")}

    def value_id(self, facet: str, value: str) -> int:
        ids = self._ids[facet]
        if value not in ids:
            ids[value] = len(self.values[facet])
            self.values[facet].append(value)
        return ids[value]

    def lookup(self, facet: str, value: str) -> int | None:
        return self._ids[facet].get(value)

    def _postings(self, reader: Any, field: str) -> Iterator[tuple[str, np.ndarray]]:
        if field not in reader.schema:
            return
        for raw in reader.lexicon(field):
            value = raw.decode("utf-8") if isinstance(raw, bytes) else str(raw)
            ids = np.fromiter(reader.postings(field, raw).all_ids(), dtype=np.int64)
            yield value, ids

    def _build(self, reader: Any) -> _SegmentFacets:
        size = reader.doc_count_all()
        seg = _SegmentFacets(size=size)
        for name in FACETS:
            seg.docs[name] = {
                self.value_id(name, value): ids
                for value, ids in self._postings(reader, f"f_{name}")
            }
        seg.latest = np.zeros(size, dtype=bool)
        for value, ids in self._postings(reader, "latest"):
            if value == "1":
                seg.latest[ids] = True
        seg.version = np.full(size, -1, dtype=np.int32)
        for value, ids in self._postings(reader, "version"):
            seg.version[ids] = self.value_id("version", value)
        seg.period_end = np.zeros(size, dtype=np.int64)
        column = reader.column_reader("period_end") if reader.has_column("period_end") else None
        if column is not None:
            seg.period_end = np.asarray([column[i] for i in range(size)], dtype=np.int64)
        return seg

    def segments(self, searcher: Searcher) -> list[tuple[int, _SegmentFacets]]:
        """(offset, arrays) of every segment of the searcher's reader."""
        return self._segments_and_key(searcher)[0]

    def _segments_and_key(
        self, searcher: Searcher
    ) -> tuple[list[tuple[int, _SegmentFacets]], tuple[Any, ...]]:
        out: list[tuple[int, _SegmentFacets]] = []
        keys: list[tuple[Any, ...]] = []
        with self._lock:
            keep: dict[tuple[str, int], _SegmentFacets] = {}
            for reader, offset in leaves(searcher):
                segment = reader.segment() if hasattr(reader, "segment") else None
                key = (
                    (segment.segment_id(), segment.deleted_count())
                    if segment is not None
                    else (f"r{id(reader)}", reader.doc_count())
                )
                seg = self._segments.get(key) or self._build(reader)
                keep[key] = seg
                out.append((offset, seg))
                keys.append((offset, *key))
            self._segments = keep
        return out, tuple(keys)

    def columns(self, searcher: Searcher) -> Columns:
        """The searcher's :class:`Columns`, built once for its set of segments."""
        segments, key = self._segments_and_key(searcher)
        with self._lock:
            if self._columns is not None and self._columns[0] == key:
                return self._columns[1]
            columns = self._combine(searcher, segments)
            self._columns = (key, columns)
        return columns

    def _combine(self, searcher: Searcher, segments: list[tuple[int, _SegmentFacets]]) -> Columns:
        size = int(searcher.doc_count_all())
        latest = np.zeros(size, dtype=bool)
        version = np.full(size, -1, dtype=np.int32)
        period_end = np.zeros(size, dtype=np.int64)
        for offset, seg in segments:
            latest[offset : offset + seg.size] = seg.latest
            version[offset : offset + seg.size] = seg.version
            period_end[offset : offset + seg.size] = seg.period_end
        ranges: dict[str, tuple[int, int]] = {}
        docs: dict[str, dict[int, np.ndarray]] = {}
        all_docs: list[np.ndarray] = []
        all_values: list[np.ndarray] = []
        start = 0
        for name in FACETS:
            ranges[name] = (start, len(self.values[name]))
            by_value: dict[int, list[np.ndarray]] = {}
            for offset, seg in segments:
                for vid, ids in seg.docs.get(name, {}).items():
                    by_value.setdefault(vid, []).append(ids + offset)
            docs[name] = {}
            for vid, parts in by_value.items():
                found = np.concatenate(parts).astype(np.int32)
                docs[name][vid] = found
                all_docs.append(found)
                all_values.append(np.full(found.size, start + vid, dtype=np.int32))
            start += len(self.values[name])
        pair_docs = np.concatenate(all_docs) if all_docs else np.zeros(0, dtype=np.int32)
        pair_values = np.concatenate(all_values) if all_values else np.zeros(0, dtype=np.int32)
        order = np.argsort(pair_docs, kind="stable")
        pair_docs, pair_values = pair_docs[order], pair_values[order]
        pointers = np.zeros(size + 1, dtype=np.int64)
        np.cumsum(np.bincount(pair_docs, minlength=size)[:size], out=pointers[1:])
        return Columns(
            size,
            latest,
            version,
            period_end,
            alive(searcher, size),
            docs,
            pair_docs,
            pair_values,
            pointers,
            ranges,
        )


def leaves(searcher: Searcher) -> list[tuple[Any, int]]:
    """(segment reader, offset of its first document) of every segment."""
    reader = searcher.reader()
    if reader.is_atomic():
        return [(reader, 0)]
    return list(reader.leaf_readers())


def alive(s: Searcher, size: int) -> np.ndarray:
    """False for deleted documents."""
    out = np.ones(size, dtype=bool)
    for reader, offset in leaves(s):
        if not reader.has_deletions():
            continue
        deleted = getattr(reader, "deleted_docs_set", None)
        if deleted is None:  # not a segment reader: ask per document
            count = reader.doc_count_all()
            deleted = [d for d in range(count) if reader.is_deleted(d)]
        out[np.fromiter(deleted, dtype=np.int64, count=len(deleted)) + offset] = False
    return out
