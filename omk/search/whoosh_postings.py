"""Posting lists as numpy arrays: read straight from Whoosh 2.7's files, cached per index.

Whoosh's matcher reads a posting list one block of 128 postings at a time, in Python: per
block it unpickles the block header, decompresses and unpickles the data (ids, weights and
every posting's positions) and delta-decodes the ids into a tuple; skipping to a document
visits every block header on the way. :func:`read` decodes a term's whole list in one pass
over its bytes (one read, ids delta-decoded by numpy per block) and keeps a table of its
blocks, so that :func:`positions` can later decode only the blocks holding the documents
to be scored exactly. The files and their format are Whoosh's own (``whoosh.codec.whoosh3``,
nothing is written differently); anything this module does not recognise is read through
Whoosh's matcher instead.

:class:`PostingsCache` keeps decoded lists per segment, bounded by memory and evicting the
least recently used list: an index-structure cache like the facet arrays (a segment's
postings never change; deletions are applied when a list is handed out), not a cache of
results. It belongs to one index generation and is dropped with it.
"""

from __future__ import annotations

import io
import pickle
import struct
import threading
import zlib
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC, W3TermsReader
from whoosh.formats import Positions

_INT = struct.Struct("!i")
#: Default memory bound of a :class:`PostingsCache` (``OMK_SEARCH_POSTINGS_CACHE_MB``).
DEFAULT_CACHE_MB = 256
EMPTY_IDS = np.zeros(0, dtype=np.int32)
EMPTY_WEIGHTS = np.zeros(0, dtype=np.float32)


@dataclass
class Postings:
    """One term's postings in one segment (deleted documents included).

    ``starts[k]`` is the index in ``ids`` of block ``k``'s first posting; ``blocks[k]`` is
    where its data lie in the postings file (offset, length, compressed) or, for postings
    inlined in the term info, None (``inline`` holds their values)."""

    ids: np.ndarray  # int32, ascending
    weights: np.ndarray  # float32
    starts: np.ndarray  # int64, one per block
    blocks: list[tuple[int, int, bool]]
    postfile: Any = None
    inline: tuple[bytes, ...] | None = None
    #: Documents (ascending) where the term may stand twice at one position (None: unknown,
    #: the field's format is not Whoosh's ``Positions``).
    doubled: np.ndarray | None = None

    @property
    def nbytes(self) -> int:
        doubled = self.doubled.nbytes if self.doubled is not None else 0
        arrays = self.ids.nbytes + self.weights.nbytes + self.starts.nbytes + doubled
        return int(arrays) + 64 * len(self.blocks)


#: A position delta of 0 after a list's first element: ``Positions.encode`` stores a
#: posting as a 4-byte count and a protocol-2 pickle of the deltas, where a delta below 256
#: is ``K`` and one byte; from byte 12 on (after the count, the list's opening and its first
#: element) ``K\x00`` can only be a 0 delta, i.e. a position repeated.
_REPEAT = b"K\x00"
_AFTER_FIRST = 12


def doubled_positions(values: Sequence[bytes]) -> list[int]:
    """Indexes of the ``Positions`` values (encoded postings) that repeat a position."""
    return [k for k, v in enumerate(values) if v.find(_REPEAT, _AFTER_FIRST) >= 0]


def _terms_reader(reader: Any) -> W3TermsReader | None:
    terms = getattr(reader, "_terms", None)
    return terms if type(terms) is W3TermsReader else None


def _values(data: bytes, compressed: bool) -> tuple[Any, Any, Any]:
    raw = zlib.decompress(data) if compressed else data
    found: tuple[Any, Any, Any] = pickle.loads(raw)  # noqa: S301 - Whoosh's own file
    return found


#: Where a block's values start when they are ``bytes`` (pickled, protocol 2, as
#: ``_codecs.encode(str, "latin1")``): the ids and weights before it are unpickled alone.
_VALUES = b"(c_codecs\nencode\n"
_ZERO = b"K\x00"


def _may_repeat(raw: bytes, start: int) -> bool:
    """Whether the pickled values from ``start`` on hold a ``K\\x00`` that is not a list's
    first element (after ``]q\\x00(``, or ``]q\\x00`` for a list of one): only such can be
    a repeated position (checked exactly in the unpickled values)."""
    zeros = raw.count(_ZERO, start)
    return zeros > raw.count(b"]q\x00(K\x00", start) + raw.count(b"]q\x00K\x00", start)


def _block(
    data: bytes, compressed: bool, count: int, positions: bool
) -> tuple[Any, Any, list[int]]:
    """A block's id deltas, weights and the indexes of postings that repeat a position
    (looked for only when ``positions``). The postings' values (their positions) are
    unpickled only if the block may hold a repeated position."""
    raw = zlib.decompress(data) if compressed else data
    cut = raw.find(_VALUES)
    if cut > 0 and (not positions or not _may_repeat(raw, cut)):
        try:  # the stack holds ids and weights there: a 2-tuple of them, and stop
            ids, weights = pickle.loads(raw[:cut] + b"\x86.")  # noqa: S301 - Whoosh's own file
            if len(ids) == count:
                return ids, weights, []
        except (pickle.UnpicklingError, EOFError, IndexError, TypeError, ValueError):
            pass  # not the layout expected: unpickle the whole block
    ids, weights, values = pickle.loads(raw)  # noqa: S301 - Whoosh's own file
    return ids, weights, doubled_positions(values) if positions else []


def _weights(weights: Any, count: int) -> np.ndarray:
    if weights is None:
        return np.ones(count, dtype=np.float32)
    if isinstance(weights, float):
        return np.full(count, weights, dtype=np.float32)
    return np.asarray(weights, dtype=np.float32)


def read(reader: Any, fieldname: str, text: str) -> Postings | None:
    """The postings of one term in one segment reader, or None if the segment lacks the
    term. Raises ``NotImplementedError`` for a reader or format this module cannot read."""
    terms = _terms_reader(reader)
    if terms is None:
        raise NotImplementedError("not a Whoosh 3 segment")
    tbytes = reader._text_to_bytes(fieldname, text)
    if (fieldname, tbytes) not in terms:
        return None
    info = terms.term_info(fieldname, tbytes)
    positions = type(reader.schema[fieldname].format) is Positions
    if info.is_inlined():
        ids, weights, values = info.inlined_postings()
        inline_ids = np.asarray(ids, dtype=np.int32)
        return Postings(
            inline_ids,
            np.asarray(weights, dtype=np.float32),
            np.zeros(1, dtype=np.int64),
            [(0, 0, False)],
            inline=tuple(values),
            doubled=inline_ids[doubled_positions(values)] if positions else None,
        )
    offset, length = info.extent()
    if isinstance(length, tuple):  # Whoosh 2.7 reads it as a 1-tuple (its matcher ignores it)
        length = length[0]
    postfile = terms._postfile
    raw = postfile.get(offset, length)
    if raw[:4] != WHOOSH3_HEADER_MAGIC:
        raise NotImplementedError("not a Whoosh 3 posting list")
    pos = 4
    deltas: list[int] = []
    weight_chunks: list[np.ndarray] = []
    counts: list[int] = []
    blocks: list[tuple[int, int, bool]] = []
    doubled: list[int] = []  # indexes into the whole list
    stream = io.BytesIO(raw)
    while True:
        (size,) = _INT.unpack_from(raw, pos)
        last = size < 0
        start = pos + 4
        end = start + abs(size)
        stream.seek(start)
        count, _maxid, _maxweight, compression, _mn, _mx = pickle.load(stream)  # noqa: S301
        at = stream.tell()
        ids, weights, repeats = _block(raw[at:end], bool(compression), count, positions)
        doubled.extend(len(deltas) + k for k in repeats)
        deltas.extend(ids)
        counts.append(len(ids))
        weight_chunks.append(_weights(weights, count))
        blocks.append((offset + at, end - at, bool(compression)))
        pos = end
        if last or pos >= len(raw):
            break
    # Each block's ids are deltas from 0: a running sum restarted at every block.
    flat = np.asarray(deltas, dtype=np.int64)
    sizes = np.asarray(counts, dtype=np.int64)
    starts = np.zeros(sizes.size, dtype=np.int64)
    np.cumsum(sizes[:-1], out=starts[1:])
    total = np.cumsum(flat)
    before = np.zeros(sizes.size, dtype=np.int64)
    before[1:] = total[starts[1:] - 1]
    ids_out = (total - np.repeat(before, sizes)).astype(np.int32)
    return Postings(
        ids_out,
        np.concatenate(weight_chunks),
        starts,
        blocks,
        postfile,
        doubled=ids_out[np.asarray(doubled, dtype=np.int64)] if positions else None,
    )


def read_with_matcher(reader: Any, fieldname: str, text: str) -> tuple[np.ndarray, np.ndarray]:
    """Documents and weights through Whoosh's matcher (any reader; deleted documents left
    out by the matcher)."""
    if (fieldname, text) not in reader:
        return EMPTY_IDS, EMPTY_WEIGHTS
    m = reader.postings(fieldname, text)
    ids: list[int] = []
    weights: list[float] = []
    while m.is_active():
        ids.append(m.id())
        weights.append(m.weight())
        m.next()
    return np.asarray(ids, dtype=np.int32), np.asarray(weights, dtype=np.float32)


def positions(
    found: Postings, docs: Iterable[int], decode: Callable[[bytes], list[int]]
) -> dict[int, list[int]]:
    """The positions of the postings of ``docs`` (segment-local numbers), decoding only the
    blocks that hold them; documents without the term are left out."""
    wanted = np.asarray(sorted(set(docs)), dtype=np.int64)
    at = np.searchsorted(found.ids, wanted)
    inside = at < found.ids.size
    hit = np.zeros(wanted.size, dtype=bool)
    hit[inside] = found.ids[at[inside]] == wanted[inside]
    out: dict[int, list[int]] = {}
    decoded: dict[int, Any] = {}
    for doc, index in zip(wanted[hit].tolist(), at[hit].tolist(), strict=True):
        block = int(np.searchsorted(found.starts, index, side="right")) - 1
        values = decoded.get(block)
        if values is None:
            if found.inline is not None:
                values = found.inline
            else:
                offset, length, compressed = found.blocks[block]
                values = _values(found.postfile.get(offset, length), compressed)[2]
            decoded[block] = values
        out[doc] = list(decode(values[index - int(found.starts[block])]))
    return out


def segment_key(reader: Any) -> str | None:
    """A segment reader's segment id (its files never change), or None."""
    segment = reader.segment() if hasattr(reader, "segment") else None
    return str(segment.segment_id()) if segment is not None else None


def cache_bytes(megabytes: int | str | None = None) -> int:
    """The cache's bound in bytes from a setting (``SEARCH_POSTINGS_CACHE_MB``; 0 turns the
    cache off: every list is decoded again for each query)."""
    if megabytes is None or megabytes == "":
        return DEFAULT_CACHE_MB << 20
    return max(int(megabytes), 0) << 20


class PostingsCache:
    """Decoded posting lists of one index generation, least recently used out first once
    they hold more than ``max_bytes``; and each segment's live-document mask."""

    def __init__(self, max_bytes: int = DEFAULT_CACHE_MB << 20) -> None:
        self.max_bytes = max_bytes
        self.bytes = 0
        self._lock = threading.Lock()
        self._lists: OrderedDict[tuple[str, str, str], Postings | None] = OrderedDict()
        self._alive: dict[tuple[str, int], np.ndarray] = {}

    def keep_segments(self, segments: Iterable[str | None]) -> None:
        """Forget the lists of segments no longer in the index (merged away)."""
        keep = set(segments)
        with self._lock:
            for key in [k for k in self._lists if k[0] not in keep]:
                old = self._lists.pop(key)
                self.bytes -= old.nbytes if old is not None else 64
            self._alive = {k: v for k, v in self._alive.items() if k[0] in keep}

    def clear(self) -> None:
        with self._lock:
            self._lists.clear()
            self._alive.clear()
            self.bytes = 0

    def raw(self, reader: Any, fieldname: str, text: str) -> Postings | None:
        """The term's decoded postings in this segment (deleted documents included), or
        None if it has none. Raises ``NotImplementedError`` as :func:`read` does."""
        segment = segment_key(reader)
        if segment is None:
            raise NotImplementedError("not a segment reader")
        key = (segment, fieldname, text)
        with self._lock:
            if key in self._lists:
                self._lists.move_to_end(key)
                held = self._lists[key]
                if held is not None and held.postfile is None and held.inline is None:
                    terms = _terms_reader(reader)  # prefilled: this reader's postings file
                    held.postfile = terms._postfile if terms is not None else None
                return held
        found = read(reader, fieldname, text)
        size = found.nbytes if found is not None else 64
        with self._lock:
            if key not in self._lists and size <= self.max_bytes:
                self._lists[key] = found
                self.bytes += size
                while self.bytes > self.max_bytes:
                    _, old = self._lists.popitem(last=False)
                    self.bytes -= old.nbytes if old is not None else 64
        return found

    def holds(self, segment: str, fieldname: str, text: str) -> bool:
        with self._lock:
            return (segment, fieldname, text) in self._lists

    def put(self, segment: str, fieldname: str, text: str, found: Postings) -> bool:
        """Add a list decoded elsewhere (:mod:`omk.search.whoosh_prefill`) unless that would
        pass the bound (nothing is evicted for it); False when it did not fit."""
        key = (segment, fieldname, text)
        with self._lock:
            if key in self._lists:
                return True
            if self.bytes + found.nbytes > self.max_bytes:
                return False
            self._lists[key] = found
            self.bytes += found.nbytes
        return True

    def touch(self, keys: Iterable[tuple[str, str, str]]) -> None:
        """Mark these lists as just used, in this order (the last is evicted last)."""
        with self._lock:
            for key in keys:
                if key in self._lists:
                    self._lists.move_to_end(key)

    def _alive_mask(self, reader: Any) -> np.ndarray | None:
        """False for the segment's deleted documents (None: it has none)."""
        if not reader.has_deletions():
            return None
        segment = segment_key(reader) or f"r{id(reader)}"
        deleted = reader.deleted_docs_set
        key = (segment, len(deleted))
        with self._lock:
            mask = self._alive.get(key)
        if mask is None:
            mask = np.ones(reader.doc_count_all(), dtype=bool)
            mask[np.fromiter(deleted, dtype=np.int64, count=len(deleted))] = False
            with self._lock:
                self._alive = {k: v for k, v in self._alive.items() if k[0] != segment}
                self._alive[key] = mask
        return mask

    def get(self, reader: Any, fieldname: str, text: str) -> tuple[np.ndarray, np.ndarray]:
        """Documents (int32, ascending) and weights (float32) of the term in this segment,
        deleted documents left out."""
        try:
            found = self.raw(reader, fieldname, text)
        except NotImplementedError:
            return read_with_matcher(reader, fieldname, text)
        if found is None:
            return EMPTY_IDS, EMPTY_WEIGHTS
        alive = self._alive_mask(reader)
        if alive is None:
            return found.ids, found.weights
        keep = alive[found.ids]
        return found.ids[keep], found.weights[keep]


def term_positions(
    reader: Any, fieldname: str, text: str, docs: list[int], cache: PostingsCache
) -> dict[int, list[int]]:
    """The positions of one term in each of ``docs`` (segment-local, ascending) that holds
    it, as Whoosh's ``value_as("positions")`` gives them."""
    decode = reader.schema[fieldname].format.decoder("positions")
    try:
        found = cache.raw(reader, fieldname, text)
    except NotImplementedError:
        found = None
        if (fieldname, text) in reader:  # Whoosh's matcher, skipping from doc to doc
            out: dict[int, list[int]] = {}
            m = reader.postings(fieldname, text)
            for d in docs:
                if not m.is_active():
                    break
                if m.id() < d:
                    m.skip_to(d)
                    if not m.is_active():
                        break
                if m.id() == d:
                    out[d] = list(m.value_as("positions"))
            return out
    if found is None:
        return {}
    return positions(found, docs, decode)
