"""Fill the decoded postings cache before the first queries need it (cold start).

After a process starts or a commit adds a segment, the :class:`~omk.search.whoosh_postings.
PostingsCache` holds nothing for the new segments: the first queries read and decode every
posting list they touch (zlib and pickle per block of 128 postings), which at 100,000
practices made query p95 about nine times the warm figure. :func:`prefill` decodes the text
fields' most frequent terms ahead of time, the most frequent first, until a share of the
cache's bound is used (``PREFILL_SHARE`` of ``OMK_SEARCH_POSTINGS_CACHE_MB``): those are the
lists that cost most to decode and that most queries touch (a query word meets them through
its lemma, its compound parts and its synonyms).

It runs in a thread of its own, reading through the searcher's segment readers when their
files are memory-mapped (Whoosh's compound segments: every read is a slice) and else
through a reader of its own (a real file's read is a seek and a read: not shared between
threads); a segment's files never change, so its lists are the ones the searcher would
decode. Lists enter the cache without a file handle and get the searcher's when first
handed out (:meth:`PostingsCache.raw`). Nothing else changes: the
same lists a query would decode, so results are identical with or without it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Collection, Sequence
from typing import Any

from whoosh import index
from whoosh.filedb.structfile import BufferFile

from omk.search.backend import PrefillResult
from omk.search.whoosh_postings import PostingsCache, _terms_reader, read, segment_key

log = logging.getLogger("omk.search")

#: share of the cache's bound the prefill may fill (the rest stays for what queries read)
PREFILL_SHARE = 0.5
#: estimated decoded bytes per posting (int32 id, float32 weight, the block table)
_BYTES_PER_POSTING = 9
_BYTES_PER_LIST = 64


Candidate = tuple[int, int, str, bytes]  # doc frequency, leaf number, field, term bytes


def candidates(
    readers: Sequence[Any], fields: Collection[str], skip: Collection[str] = ()
) -> list[Candidate]:
    """Every term of ``fields`` in each segment reader (bar the segments in ``skip``), with
    its document frequency, most frequent first."""
    found: list[Candidate] = []
    for number, reader in enumerate(readers):
        terms = _terms_reader(reader)
        if terms is None or segment_key(reader) in skip:
            continue
        for fieldname in sorted(fields):
            if fieldname not in terms.indexed_field_names():
                continue
            for (name, tbytes), info in terms.items_from(fieldname, b""):
                if name != fieldname:
                    break
                found.append((int(info.doc_frequency()), number, fieldname, tbytes))
    found.sort(key=lambda c: (-c[0], c[1], c[2], c[3]))
    return found


def prefill(
    readers: Sequence[Any],
    cache: PostingsCache,
    fields: Collection[str],
    budget: int,
    stop: Callable[[], bool] = lambda: False,
    skip: Collection[str] = (),
) -> PrefillResult:
    """Decode the most frequent terms' lists of ``fields`` into ``cache`` until ``budget``
    bytes (estimated before, counted after) are added or ``stop()`` says so."""
    started, cpu_started = time.perf_counter(), time.thread_time()
    result = PrefillResult(lists=0, bytes=0, wall=0.0, cpu=0.0, stopped=False)
    chosen: list[Candidate] = []
    planned = 0
    for candidate in candidates(readers, fields, skip):
        size = candidate[0] * _BYTES_PER_POSTING + _BYTES_PER_LIST
        if planned + size > budget:
            continue  # a smaller list may still fit
        planned += size
        chosen.append(candidate)
    for _, number, fieldname, tbytes in chosen:
        if stop():
            result["stopped"] = True
            break
        reader = readers[number]
        key = segment_key(reader)
        text = tbytes.decode("utf-8")
        if key is None or cache.holds(key, fieldname, text):
            continue
        found = read(reader, fieldname, text)
        if found is None:
            continue
        found.postfile = None  # this thread's file handle: the searcher's is set on use
        if not cache.put(key, fieldname, text, found):
            break  # the cache is full
        result["lists"] += 1
        result["bytes"] += found.nbytes
    # most frequent most recently used: the last to be evicted
    cache.touch(
        (segment_key(readers[n]) or "", f, t.decode("utf-8")) for _, n, f, t in reversed(chosen)
    )
    result["wall"] = round(time.perf_counter() - started, 3)
    result["cpu"] = round(time.thread_time() - cpu_started, 3)
    return result


def shareable(readers: Sequence[Any]) -> bool:
    """Whether another thread may read these segment readers' terms and postings: their
    files are slices of a memory map (Whoosh's compound segments), read by position only
    (a real file's ``get`` is a seek and a read, not safe from two threads)."""
    for reader in readers:
        terms = _terms_reader(reader)
        if terms is None:
            return False
        if not all(isinstance(f, BufferFile) for f in (terms._postfile, terms._dbfile)):
            return False
    return True


def budget(cache: PostingsCache, share: float = PREFILL_SHARE) -> int:
    """What a prefill may add: ``share`` of the cache's bound less what it already holds."""
    return max(int(cache.max_bytes * share) - cache.bytes, 0)


def prefill_folder(
    folder: str,
    cache: PostingsCache,
    fields: Collection[str],
    share: float = PREFILL_SHARE,
    stop: Callable[[], bool] = lambda: False,
    skip: Collection[str] = (),
) -> PrefillResult:
    """:func:`prefill` through a reader of its own of the index in ``folder``, up to
    ``share`` of the cache's bound (less what it already holds)."""
    room = budget(cache, share)
    if room <= 0:
        return PrefillResult(lists=0, bytes=0, wall=0.0, cpu=0.0, stopped=False)
    ix = index.open_dir(folder)
    try:
        reader = ix.reader()
        try:
            readers = [reader] if reader.is_atomic() else [r for r, _ in reader.leaf_readers()]
            return prefill(readers, cache, fields, room, stop, skip)
        finally:
            reader.close()
    finally:
        ix.close()


def start(
    folder: str,
    readers: Sequence[Any],
    cache: PostingsCache,
    fields: Collection[str],
    stop: Callable[[], bool] = lambda: False,
    skip: Collection[str] = (),
    finished: Callable[[], None] = lambda: None,
) -> threading.Thread:
    """Prefill in a daemon thread (errors logged, never raised): through the searcher's
    ``readers`` when they are :func:`shareable` (a reader of its own of a large index holds
    about as much memory as the searcher's: 350 MB at 100,000 practices), else through a
    reader of its own (:func:`prefill_folder`). ``finished`` is called when it ran to the
    end (not when stopped or failed), so that a stopped prefill is taken up again."""

    def run() -> None:
        try:
            if shareable(readers):
                found = prefill(readers, cache, fields, budget(cache), stop, skip)
            else:
                found = prefill_folder(folder, cache, fields, stop=stop, skip=skip)
            log.info("search postings prefilled: %s", found)
            if not found["stopped"]:
                finished()
        except Exception as error:  # an index swapped or removed meanwhile, …
            log.warning("search postings prefill failed: %s", error)

    thread = threading.Thread(target=run, name="omk-postings-prefill", daemon=True)
    thread.start()
    return thread
