"""A faster posting pool for a full reindex (``bulk_load``): the same segment files.

Whoosh's ``PostingPool`` keeps every posting as a tuple ``(field, term, docnum, weight,
value)``, pickles them to sorted runs on disk whenever ``limitmb`` is reached, merges the runs
at commit and hands the merged stream, one posting at a time, to the field writer, which
looks up each posting's field length and appends it to a block. cProfile of ``bulk_load``
showed that path (pool, runs, merge, per-posting writer) at about half of its CPU.

:class:`GroupingPool` keeps the postings grouped per field and term instead, in typed arrays
(document numbers, weights) and a list of value strings, so nothing is pickled, sorted per
posting or merged; at commit :func:`_add_grouped_postings` sorts the fields and terms and
fills Whoosh's own posting writer a whole block (up to its block limit) at a time, then calls
Whoosh's own ``_write_block`` / ``finish_term``: the postings, block boundaries, block
statistics and term infos are the ones Whoosh writes (``tests/search/test_whoosh_patches.py``
compares the segment files byte for byte).

For a fresh segment (``bulk_load``). The postings stay in memory (one value string shared by
every posting with the same single position: see ``whoosh_patches``) up to the writer's
``limitmb``, estimated from the postings and terms held (``POSTING_BYTES``, ``TERM_BYTES``);
beyond it the pool writes what it holds as one sorted run in the format of Whoosh's own pool
(it is a ``PostingPool``) and starts over, and at commit Whoosh merges the runs and writes
the segment from the merged stream as it does for its own pool (the same files). A writer
gets it with ``ix.writer(poolclass=GroupingPool)`` (Whoosh accepts
``poolclass`` but ignores it; :func:`apply` makes ``SegmentWriter`` honour it, also in the
processes of a ``procs=N`` writer, which receive the writer's keyword arguments).
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterator
from typing import Any

from whoosh.codec.base import FieldWriter
from whoosh.codec.whoosh3 import W3FieldWriter
from whoosh.writing import PostingPool, SegmentWriter

from omk.search.whoosh_patches import (
    _LENGTHS,
    _SINGLE_POSITIONS,
    encoded_positions,
    german_positions,
)

#: one term's postings: document numbers, weights, value strings (in document order)
Postings = tuple["array[int]", "array[float]", list[bytes | None]]

#: the pool's memory per posting and per term, for its ``limitmb`` (``sys.getsizeof`` of the
#: arrays, lists, keys and unshared value strings held after 2,000 and 8,000 synthetic
#: practices, fitted: 31 bytes a posting, 345 a term; rounded up)
POSTING_BYTES = 32
TERM_BYTES = 360
#: most runs merged at once (Whoosh's ``SortingPool.items`` default)
MAX_RUNS = 128


class GroupedPostings:
    """The pool's postings, grouped: field → term → postings. Iterating gives the sorted
    ``(field, term, docnum, weight, value)`` stream Whoosh's own pool gives."""

    def __init__(self, fields: dict[str, dict[bytes, Postings]]) -> None:
        self.fields = fields

    def __iter__(self) -> Iterator[tuple[str, bytes, int, float, bytes | None]]:
        for fieldname in sorted(self.fields):
            terms = self.fields[fieldname]
            for btext in sorted(terms):
                ids, weights, values = terms[btext]
                for docnum, weight, value in zip(ids, weights, values, strict=True):
                    yield fieldname, btext, docnum, weight, value

    def sort_postings(self) -> None:
        """Sort each term's postings (added out of document order), one term at a time."""
        for terms in self.fields.values():
            for btext, (ids, weights, values) in terms.items():
                ordered = sorted(zip(ids, weights, values, strict=True))
                terms[btext] = (
                    array("I", [p[0] for p in ordered]),
                    array("d", [p[1] for p in ordered]),
                    [p[2] for p in ordered],
                )


class GroupingPool(PostingPool):  # type: ignore[misc]  # whoosh has no type hints
    """A drop-in for ``whoosh.writing.PostingPool`` in a writer that only adds documents."""

    def __init__(self, tempstore: Any, segment: Any, limitmb: float = 128, **kwargs: Any) -> None:
        super().__init__(tempstore, segment, limitmb=limitmb, **kwargs)
        self._fields: dict[str, dict[bytes, Postings]] = {}
        self._in_order = True
        self._held = 0  # estimated bytes held (POSTING_BYTES, TERM_BYTES)
        self.runs: list[str] = []  # names of the sorted runs in the writer's temp storage

    def add(self, item: tuple[str, bytes, int, float, bytes | None]) -> None:
        fieldname, btext, docnum, weight, value = item
        self._append(self._terms(fieldname), btext, docnum, weight, value)
        self._held += POSTING_BYTES
        if self._held > self.limit:
            self.save()

    def _terms(self, fieldname: str) -> dict[bytes, Postings]:
        terms = self._fields.get(fieldname)
        if terms is None:
            terms = self._fields[fieldname] = {}
            self.fieldnames.add(fieldname)
        return terms

    def _append(
        self, terms: dict[bytes, Postings], btext: bytes, docnum: int, weight: float, value: Any
    ) -> None:
        postings = terms.get(btext)
        if postings is None:
            postings = terms[btext] = (array("I"), array("d"), [])
            self._held += TERM_BYTES
        elif docnum <= postings[0][-1]:
            self._in_order = False
        postings[0].append(docnum)
        postings[1].append(weight)
        postings[2].append(value)

    def add_positions(
        self, fieldname: str, docnum: int, positions: dict[str, list[int]], fmt: Any, boost: float
    ) -> int:
        """The postings of one German text field of a document (``german_positions``), as
        ``add`` would receive them from ``SegmentWriter.add_document``; returns the length."""
        terms = self._terms(fieldname)
        append = self._append
        field_boost = fmt.field_boost
        single = _SINGLE_POSITIONS
        length = 0
        for term, at in positions.items():
            freq = len(at)
            length += freq
            weight = float(freq) * field_boost
            weight *= boost
            value = single.get(at[0]) if freq == 1 else None
            if value is None:
                value = encoded_positions(fmt, at)
            append(terms, term.encode("utf-8"), docnum, weight, value)
        self._held += POSTING_BYTES * len(positions)
        if self._held > self.limit:
            self.save()
        return length

    def _grouped(self) -> GroupedPostings:
        grouped = GroupedPostings(self._fields)
        if not self._in_order:
            grouped.sort_postings()
        return grouped

    def iter_postings(self) -> Iterator[tuple[str, bytes, int, float, bytes | None]]:
        if not self.runs:  # everything in memory: the grouped writer (unwrapped by it)
            return _GroupedIterator(self._grouped())
        self.save()  # the rest as a run too; Whoosh merges the runs
        if len(self.runs) > MAX_RUNS:
            self.reduce_to(MAX_RUNS, MAX_RUNS)
        runs, self.runs = self.runs, []
        merged: Iterator[tuple[str, bytes, int, float, bytes | None]] = self._merge_runs(runs)
        return merged

    def save(self) -> None:
        """Write the postings held as a sorted run (Whoosh's format) and start over."""
        if self._fields:
            path, f = self._new_run()
            self._write_run(f, self._grouped())
            self._add_run(path)
        self._fields = {}
        self._in_order = True
        self._held = 0

    def cleanup(self) -> None:
        self._fields = {}
        super().cleanup()


class _GroupedIterator:
    """``iter(GroupedPostings)`` that lets the field writer reach the groups."""

    def __init__(self, grouped: GroupedPostings) -> None:
        self.grouped = grouped
        self._it: Iterator[tuple[str, bytes, int, float, bytes | None]] | None = None

    def __iter__(self) -> _GroupedIterator:
        return self

    def __next__(self) -> tuple[str, bytes, int, float, bytes | None]:
        if self._it is None:
            self._it = GroupedPostings.__iter__(self.grouped)
        return next(self._it)


def _length_table(lengths: Any, fieldname: str, size: int) -> Callable[[int], int | None]:
    """docnum → the document's length of the field (falsy: none), as ``add_postings`` asks
    ``lengths.doc_field_length(docnum, fieldname)``."""
    if not lengths or not size:
        return lambda docnum: 0
    lengths.doc_field_length(0, fieldname, 0)  # the patched reader loads the column
    data = lengths.__dict__.get("_omk_lengths", {}).get(fieldname)
    if data is None:  # not the column whoosh_patches reads: Whoosh's own lookup
        return lambda docnum: lengths.doc_field_length(docnum, fieldname, 0)
    if not data:
        return lambda docnum: 0
    table = [_LENGTHS[b] for b in data]
    return table.__getitem__


def _write_grouped(writer: Any, schema: Any, lengths: Any, grouped: GroupedPostings) -> None:
    """Whoosh's ``FieldWriter.add_postings`` for grouped postings, a block at a time."""
    size = lengths.doc_count_all() if lengths else 0
    for fieldname in sorted(grouped.fields):
        terms = grouped.fields[fieldname]
        writer.start_field(fieldname, schema[fieldname])
        length_of = _length_table(lengths, fieldname, size)
        postwriter = writer._postwriter
        limit = postwriter._blocklimit
        for btext in sorted(terms):
            ids, weights, values = terms[btext]
            writer.start_term(btext)
            count = len(ids)
            for start in range(0, count, limit):
                if start:
                    postwriter._write_block()
                if count > limit:
                    block_ids = ids[start : start + limit]
                    block_weights = weights[start : start + limit]
                    block_values = values[start : start + limit]
                else:
                    block_ids, block_weights, block_values = ids, weights, values
                postwriter._ids = array("I", block_ids)
                postwriter._weights = array("f", block_weights)
                postwriter._maxweight = max(0, max(block_weights))
                postwriter._values = [v for v in block_values if v]
                found = [n for n in map(length_of, block_ids) if n]
                postwriter._minlength = min(found) if found else None
                postwriter._maxlength = max(found) if found else 0
            writer.finish_term()
        writer.finish_field()


def _grouped_add_postings() -> None:
    original = FieldWriter.add_postings
    if getattr(original, "omk_patched", False):
        return

    def add_postings(self: Any, schema: Any, lengths: Any, items: Any) -> None:
        if isinstance(items, _GroupedIterator) and isinstance(self, W3FieldWriter):
            _write_grouped(self, schema, lengths, items.grouped)
        else:
            original(self, schema, lengths, items)

    add_postings.omk_patched = True  # type: ignore[attr-defined]  # a marker on a function object
    FieldWriter.add_postings = add_postings


def _add_document_grouped(self: Any, fields: dict[str, Any]) -> None:
    """``SegmentWriter.add_document`` (Whoosh 2.7.5) for a writer with a ``GroupingPool``:
    the German text fields hand their terms and positions to the pool directly (no tuple
    per posting); everything else as Whoosh does it."""
    self._check_state()
    perdocwriter = self.perdocwriter
    schema = self.schema
    docnum = self.docnum
    pool = self.pool
    add_post = pool.add

    docboost = self._doc_boost(fields)
    fieldnames = sorted([name for name in fields if not name.startswith("_")])
    self._check_fields(schema, fieldnames)

    perdocwriter.start_doc(docnum)
    try:
        for fieldname in fieldnames:
            value = fields.get(fieldname)
            if value is None:
                continue
            field = schema[fieldname]

            length = 0
            if field.indexed:
                fieldboost = self._field_boost(fields, fieldname, docboost)
                positions = german_positions(field, value)
                if positions is not None:
                    found = pool.add_positions(
                        fieldname, docnum, positions, field.format, fieldboost
                    )
                    length = found if field.scorable else 0
                else:
                    scorable = field.scorable
                    for tbytes, freq, weight, vbytes in field.index(value):
                        weight *= fieldboost
                        if scorable:
                            length += freq
                        add_post((fieldname, tbytes, docnum, weight, vbytes))

            if field.separate_spelling():  # the OMK schema has none
                raise NotImplementedError("GroupingPool: no separate spelling fields")

            vformat = field.vector
            if vformat:
                vitems = vformat.word_values(value, field.analyzer, mode="index")
                vitems = sorted((text, weight, vbytes) for text, _, weight, vbytes in vitems)
                perdocwriter.add_vector_items(fieldname, field, vitems)

            customval = fields.get(f"_stored_{fieldname}", value)
            sv = customval if field.stored else None
            perdocwriter.add_field(fieldname, field, sv, length)

            column = field.column_type
            if column and customval is not None:
                perdocwriter.add_column_value(fieldname, column, field.to_column_value(customval))
    except Exception:
        perdocwriter.cancel_doc()
        raise

    perdocwriter.finish_doc()
    self._added = True
    self.docnum += 1


def _honour_poolclass() -> None:
    original = SegmentWriter.__init__
    if getattr(original, "omk_patched", False):
        return

    def init(self: Any, ix: Any, poolclass: Any = None, **kwargs: Any) -> None:
        original(self, ix, **kwargs)
        if poolclass is not None:
            self.pool = poolclass(
                self._tempstorage, self.newsegment, limitmb=kwargs.get("limitmb", 128)
            )

    init.omk_patched = True  # type: ignore[attr-defined]  # a marker on a function object
    SegmentWriter.__init__ = init

    original_add = SegmentWriter.add_document

    def add_document(self: Any, **fields: Any) -> None:
        if type(getattr(self, "pool", None)) is GroupingPool:
            _add_document_grouped(self, fields)
        else:
            original_add(self, **fields)

    add_document.omk_patched = True  # type: ignore[attr-defined]  # a marker on a function object
    SegmentWriter.add_document = add_document


def apply() -> None:
    """Apply the patches (idempotent)."""
    _grouped_add_postings()
    _honour_poolclass()
