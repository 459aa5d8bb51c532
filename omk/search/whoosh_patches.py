"""Speed patches to Whoosh 2.7's per-document reader (applied once, on import).

Both keep Whoosh's results exactly; they only avoid repeated work that cProfile of
``bulk_load`` showed:

- ``_cached_reader``: Whoosh asks the storage whether a field's length column exists for
  every posting of a field that has none (the facet keywords) while a segment is written or
  merged; the answer is remembered per reader (a segment's files never change). About 9 % of
  ``bulk_load``'s CPU went to these ``file_exists`` calls.
- ``doc_field_length``: writing a segment looks up the length of the field in the document
  for every posting (about 470 per practice), each a seek and a read in the length column;
  searching does the same for every document it scores. The column (one byte per document)
  is read once per reader and field and looked up in memory. About 14 % of ``bulk_load``'s
  CPU before.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3FieldWriter, W3PerDocReader, _lenfield
from whoosh.fields import FieldType
from whoosh.formats import Positions
from whoosh.util.numeric import byte_to_length
from whoosh.writing import PostingPool

from omk.search.analysis import GermanAnalyzer
from omk.search.analysis.words import _words

#: byte → length, as Whoosh decodes it (0 stands for "no length").
_LENGTHS: tuple[int | None, ...] = (None, *(byte_to_length(b) for b in range(1, 256)))
_LENGTH_ARRAY = np.asarray([v or 0 for v in _LENGTHS], dtype=np.int64)
#: position → ``Positions.encode([position])`` (the same for every German text field)
_SINGLE_POSITIONS: dict[int, bytes] = {}


def _remember_missing_columns() -> None:
    original = W3PerDocReader._cached_reader
    if getattr(original, "omk_patched", False):
        return

    def cached_reader(self: Any, fieldname: str, column: Any) -> Any:
        missing: set[str] = self.__dict__.setdefault("_omk_missing_columns", set())
        if fieldname in missing:
            return None
        reader = original(self, fieldname, column)
        if reader is None:
            missing.add(fieldname)
        return reader

    cached_reader.omk_patched = True  # type: ignore[attr-defined]  # a marker on a function object
    W3PerDocReader._cached_reader = cached_reader


def _column_bytes(reader: Any) -> bytes | None:
    """The whole length column of one field (one byte per document), or None if it is not
    the plain one-byte column Whoosh 2.7 writes."""
    if getattr(reader, "_fixedlen", None) != 1 or not hasattr(reader, "_dbfile"):
        return None
    return bytes(reader._dbfile.get(reader._basepos, reader._count))


def _lengths_in_memory() -> None:
    original = W3PerDocReader.doc_field_length
    if getattr(original, "omk_patched", False):
        return

    def doc_field_length(self: Any, docnum: int, fieldname: str, default: int = 0) -> Any:
        columns: dict[str, bytes | None] = self.__dict__.setdefault("_omk_lengths", {})
        if fieldname not in columns:
            reader = self._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
            columns[fieldname] = b"" if reader is None else _column_bytes(reader)
        data = columns[fieldname]
        if data is None:  # not a column we know: Whoosh's own way
            return original(self, docnum, fieldname, default)
        if docnum > self._doccount:
            raise IndexError(f"Asked for docnum {docnum!r} of {self._doccount}")
        if not data:  # the field has no length column
            return default
        return _LENGTHS[data[docnum]] if docnum < len(data) else None

    doc_field_length.omk_patched = True  # type: ignore[attr-defined]  # a marker on a function object
    W3PerDocReader.doc_field_length = doc_field_length


def german_positions(field: Any, value: Any) -> dict[str, list[int]] | None:
    """The terms of a German text field's value with their word positions, in the order
    Whoosh's ``Positions.word_values`` groups them; None when ``field`` is not such a field
    (then Whoosh's own ``index`` applies)."""
    if (
        type(field.analyzer) is not GermanAnalyzer
        or type(field.format) is not Positions
        or not isinstance(value, str)
    ):
        return None
    positions: dict[str, list[int]] = {}
    for pos, (_, _, found) in enumerate(_words(value, "index")):
        for term, _ in found:
            at = positions.get(term)
            if at is None:
                positions[term] = [pos]
            else:
                at.append(pos)
    return positions


def encoded_positions(fmt: Positions, at: list[int]) -> bytes:
    """``fmt.encode(at)``; one bytes object per single position, shared (most postings)."""
    if len(at) == 1:
        value = _SINGLE_POSITIONS.get(at[0])
        if value is None:
            value = _SINGLE_POSITIONS[at[0]] = fmt.encode(at)
        return value
    return fmt.encode(at)  # type: ignore[no-any-return]


def _german_terms_directly() -> None:
    """``FieldType.index`` for the German text fields: the terms and positions of
    ``analysis`` grouped per term as ``Positions.word_values`` groups Whoosh's tokens (the
    same postings, in the same order), without a Whoosh token per term."""
    original = FieldType.index
    if getattr(original, "omk_patched", False):
        return

    def index(self: Any, value: Any, **kwargs: Any) -> Any:
        positions = (
            None
            if kwargs.get("mode", "index") != "index" or set(kwargs) - {"mode"}
            else german_positions(self, value)
        )
        if positions is None:
            return original(self, value, **kwargs)
        fmt = self.format
        boost = fmt.field_boost
        return [
            (term.encode("utf-8"), len(at), float(len(at)) * boost, encoded_positions(fmt, at))
            for term, at in positions.items()
        ]

    index.omk_patched = True  # type: ignore[attr-defined]  # a marker on a function object
    index.original = original  # type: ignore[attr-defined]  # for the test comparing both
    FieldType.index = index


def _lean_posting_writers() -> None:
    """The posting pool's and the segment writer's per-posting methods without their type
    asserts (the same state afterwards): about a tenth of ``bulk_load``'s CPU."""
    if getattr(PostingPool.add, "omk_patched", False):
        return

    def add(self: Any, item: tuple[str, bytes, int, float, bytes | None]) -> None:
        self.fieldnames.add(item[0])
        # Whoosh's estimate of the item's memory, as in PostingPool.add
        self.currentsize += 150 + len(item[0]) + 2 * len(item[1]) + len(item[4] or "")
        if self.currentsize > self.limit:
            self.save()
        self.current.append(item)

    def add_posting(self: Any, docnum: int, weight: float, vbytes: bytes, length: int) -> None:
        writer = self._postwriter
        if writer._byteids:  # term vectors: Whoosh's own checks
            writer.add_posting(docnum, weight, vbytes, length)
            return
        if len(writer._ids) >= writer._blocklimit:
            writer._write_block()
        writer._ids.append(docnum)
        writer._weights.append(weight)
        if weight > writer._maxweight:
            writer._maxweight = weight
        if vbytes:
            writer._values.append(vbytes)
        if length:
            if writer._minlength is None or length < writer._minlength:
                writer._minlength = length
            if length > writer._maxlength:
                writer._maxlength = length

    add.omk_patched = True  # type: ignore[attr-defined]  # a marker on a function object
    PostingPool.add = add
    W3FieldWriter.add = add_posting


def apply() -> None:
    """Apply the patches (idempotent)."""
    _remember_missing_columns()
    _lengths_in_memory()
    _german_terms_directly()
    _lean_posting_writers()


def field_lengths(reader: Any, fieldname: str) -> np.ndarray:
    """Every document's length of one field in one segment reader (0: none), cached."""
    perdoc = getattr(reader, "_perdoc", None)
    cache: dict[str, np.ndarray] = (
        perdoc.__dict__.setdefault("_omk_length_arrays", {}) if perdoc is not None else {}
    )
    found = cache.get(fieldname)
    if found is None:
        size = reader.doc_count_all()
        data = None
        if isinstance(perdoc, W3PerDocReader) and size:
            perdoc.doc_field_length(0, fieldname, 0)  # reads the column into _omk_lengths
            data = perdoc.__dict__.get("_omk_lengths", {}).get(fieldname)
        if data == b"":  # the field has no length column
            found = np.zeros(size, dtype=np.int64)
        elif data is not None and len(data) >= size:
            found = _LENGTH_ARRAY[np.frombuffer(data, dtype=np.uint8)[:size]]
        else:
            found = np.asarray(
                [int(reader.doc_field_length(d, fieldname, 0) or 0) for d in range(size)],
                dtype=np.int64,
            )
        cache[fieldname] = found
    return found
