"""Bulk loading for the PostgreSQL search backend (``PostgresBackend.rebuild``).

A full reindex of 100,000 practices must take minutes, not quarters of an hour (issue 10,
item 11). What made it slow: the German analysis of every document in one Python process,
row-by-row ``INSERT`` with the GIN index updated per row, and ``search_word`` upserted word by
word. Now:

- The rows are written as ``COPY`` text lines (:func:`copy_lines`), by worker processes
  (:func:`workers`, at most two) when there is more than one batch (the analysis is pure
  Python and CPU-bound; the workers are forked after the dictionaries are loaded, so they
  start warm; one that dies fails the reindex instead of hanging it).
- They go into a fresh table beside the live one (``search_document_new``, created in the
  same transaction, hence ``COPY … FREEZE``: no hint bits to set later, the visibility map
  ready for index-only scans); the indexes are built once the rows are in, with a larger
  ``maintenance_work_mem`` (:func:`build_indexes`), and the table is analysed.
- ``search_word_new`` is filled the same way from the word counts the workers return.
- Only then do both fresh tables replace the live ones by drop and renames, back to back
  right before the commit (:func:`swap`). Until then nothing locks the live tables beyond
  reading: searches read the old rows. The drops wait for sessions still reading the live
  tables, at most ``LOCK_TIMEOUT`` per attempt (searches arriving meanwhile wait behind them),
  and give up after ``SWAP_ATTEMPTS`` attempts without losing the loaded tables in between.

Everything runs in the caller's transaction: a failure leaves the live tables as they were.
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
import re
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import OperationalError

from omk.search.records import PracticeRecord

#: At most this many analysis processes (as the Whoosh writer's ``WRITER_PROCS``).
WORKERS = 2
#: Batches handed to the workers ahead of the one being written (bounds the memory).
AHEAD = 2
#: The bulk load's ``maintenance_work_mem`` (building the GIN index in memory).
MAINTENANCE_WORK_MEM = "512MB"
SUFFIX = "_new"
#: How long the swap waits for the live tables' lock per attempt, how many attempts, the pause.
LOCK_TIMEOUT = "5s"
SWAP_ATTEMPTS = 3
SWAP_PAUSE = 1.0
_INDEX_DEF = re.compile(r"^CREATE (UNIQUE )?INDEX (\S+) ON (?:ONLY )?(\S+) (USING .*)$")

#: The columns of search_document in the order of a COPY line.
DOCUMENT_COLUMNS = (
    "key",
    "practice_id",
    "version",
    "latest",
    "revision_id",
    "stamp",
    "period_end",
    "facets",
    "words",
    "terms",
    "head",
    "tail",
    "length",
)

_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def copy_text(value: str) -> str:
    """A value in PostgreSQL's COPY text format."""
    return value.translate(_COPY_ESCAPES)


def array_literal(values: Iterable[str]) -> str:
    """A text[] literal: every element quoted."""
    return (
        "{"
        + ",".join('"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"' for v in values)
        + "}"
    )


def copy_line(row: dict[str, Any]) -> str:
    """One ``search_document`` row (``pg_backend._row``) as a COPY text line."""
    values = []
    for column in DOCUMENT_COLUMNS:
        value = row[column]
        if isinstance(value, bool):
            values.append("t" if value else "f")
        elif isinstance(value, list):
            values.append(copy_text(array_literal(value)))
        else:
            values.append(copy_text(str(value)))
    return "\t".join(values) + "\n"


def copy_lines(
    batch: Sequence[PracticeRecord], row: Callable[[PracticeRecord], dict[str, Any]]
) -> tuple[str, Counter[str], int]:
    """A batch as COPY text, the document count of each of its words, and its size."""
    lines = []
    words: Counter[str] = Counter()
    for record in batch:
        values = row(record)
        words.update(values["words"])
        lines.append(copy_line(values))
    return "".join(lines), words, len(batch)


def _worker_lines(batch: Sequence[PracticeRecord]) -> tuple[str, Counter[str], int]:
    from omk.search.pg_backend import _row

    return copy_lines(batch, _row)


def workers() -> int:
    """Analysis processes: the cores this process may run on (cgroup cpusets and affinity,
    not the host's count), at most ``WORKERS``."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - platforms without sched_getaffinity
        cores = os.cpu_count() or 1
    return max(1, min(cores, WORKERS))


def _worker_init(engine: Engine | None) -> None:
    """A forked worker must not use the parent's pooled connections (SQLAlchemy: pooling
    with multiprocessing): forget them without closing the parent's sockets."""
    if engine is not None:
        engine.dispose(close=False)


def analysed(
    batches: Iterable[Sequence[PracticeRecord]],
    row: Callable[[PracticeRecord], dict[str, Any]],
    processes: int | None = None,
    engine: Engine | None = None,
) -> Iterator[tuple[str, Counter[str], int]]:
    """The batches as COPY text, in order: the first in this process, the rest by forked
    workers (when there is more than one batch, more than one core and the platform forks).
    A worker that dies (out of memory, killed) raises :class:`RuntimeError` here instead of
    leaving the reindex waiting forever."""
    it = iter(batches)
    first = next(it, None)
    if first is None:
        return
    yield copy_lines(first, row)
    second = next(it, None)
    if second is None:
        return
    it = itertools.chain([second], it)
    processes = processes or workers()
    if processes < 2 or "fork" not in multiprocessing.get_all_start_methods():
        for batch in it:
            yield copy_lines(batch, row)
        return
    pool = ProcessPoolExecutor(
        processes,
        mp_context=multiprocessing.get_context("fork"),
        initializer=_worker_init,
        initargs=(engine,),
    )
    try:
        pending: deque[Future[tuple[str, Counter[str], int]]] = deque()
        for batch in it:
            pending.append(pool.submit(_worker_lines, batch))
            if len(pending) > processes + AHEAD:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    except BrokenProcessPool as exc:
        raise RuntimeError(
            "Neuindexierung abgebrochen: ein Analyseprozess ist unerwartet beendet worden"
            " (Speicher erschöpft? abgebrochen?). Nichts wurde geändert."
        ) from exc
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def fresh_table(conn: Connection, table: str) -> tuple[str, str]:
    """Create ``<table>_new`` beside ``table`` (``LIKE … INCLUDING ALL``: columns, defaults,
    constraints, comments, column storage and compression, statistics; storage parameters;
    no indexes yet: :func:`build_indexes` builds them under the live names); returns the
    schema and the new table's qualified name."""
    schema = str(
        conn.scalar(
            text(
                "SELECT relnamespace::regnamespace::text FROM pg_class"
                " WHERE oid = CAST(:t AS regclass)"
            ),
            {"t": table},
        )
    )
    fresh = f"{schema}.{table}{SUFFIX}"
    conn.execute(text(f"DROP TABLE IF EXISTS {fresh}"))
    conn.execute(
        text(f"CREATE TABLE {fresh} (LIKE {schema}.{table} INCLUDING ALL EXCLUDING INDEXES)")
    )
    options = conn.scalar(
        text("SELECT reloptions FROM pg_class WHERE oid = CAST(:t AS regclass)"),
        {"t": f"{schema}.{table}"},
    )
    if options:  # storage parameters (toast_tuple_target …) as the live table's
        conn.execute(text(f"ALTER TABLE {fresh} SET ({', '.join(options)})"))
    return schema, fresh


def copy_into(conn: Connection, fresh: str, columns: Sequence[str], chunks: Iterable[str]) -> None:
    """COPY text chunks into the table created in this transaction (FREEZE)."""
    raw = conn.connection.driver_connection
    if raw is None:  # pragma: no cover - a pooled connection always has one
        raise RuntimeError("no database connection")
    with raw.cursor() as cursor:
        sql = f"COPY {fresh} ({', '.join(columns)}) FROM STDIN WITH (FREEZE)"
        with cursor.copy(sql) as copy:
            for chunk in chunks:
                if chunk:
                    copy.write(chunk)


def build_indexes(conn: Connection, schema: str, table: str) -> list[tuple[str, str]]:
    """Build the live table's indexes (and primary key) on ``<table>_new`` under temporary
    names; returns the renames (temporary, live name) for :func:`swap`."""
    conn.execute(text(f"SET LOCAL maintenance_work_mem = '{MAINTENANCE_WORK_MEM}'"))
    fresh = f"{table}{SUFFIX}"
    indexes = conn.execute(
        text(
            "SELECT i.relname, pg_get_indexdef(i.oid), c.conname"
            " FROM pg_index AS x JOIN pg_class AS i ON i.oid = x.indexrelid"
            " LEFT JOIN pg_constraint AS c ON c.conindid = x.indexrelid AND c.contype = 'p'"
            " WHERE x.indrelid = CAST(:t AS regclass) ORDER BY i.relname"
        ),
        {"t": f"{schema}.{table}"},
    ).all()
    renames = []
    for name, definition, constraint in indexes:
        found = _INDEX_DEF.match(str(definition))
        if not found:
            raise RuntimeError(f"unexpected index definition: {definition}")
        temporary = f"{str(name)[: 63 - len(SUFFIX)]}{SUFFIX}"
        unique, using = found.group(1) or "", found.group(4)
        conn.execute(text(f"CREATE {unique}INDEX {temporary} ON {schema}.{fresh} {using}"))
        if constraint:
            conn.execute(
                text(
                    f"ALTER TABLE {schema}.{fresh} ADD CONSTRAINT {temporary}"
                    f" PRIMARY KEY USING INDEX {temporary}"
                )
            )
        renames.append((temporary, str(name)))
    conn.execute(text(f"ANALYZE {schema}.{fresh}"))  # statistics before the swap
    return renames


class SwapTimeout(RuntimeError):
    """The live tables stayed locked by other sessions: nothing was changed."""


def _lock_timeout(exc: OperationalError) -> bool:
    return getattr(exc.orig, "sqlstate", None) == "55P03"  # lock_not_available


def swap(
    conn: Connection, schema: str, tables: Sequence[tuple[str, list[tuple[str, str]]]]
) -> None:
    """Put each ``<table>_new`` (indexes built by :func:`build_indexes`) in its live table's
    place under the same names, all tables back to back right before the commit.

    Dropping a live table needs its ACCESS EXCLUSIVE lock, which waits for every session
    reading it (a long search, ``pg_dump``) while new searches queue behind the waiting drop.
    So each attempt waits at most ``LOCK_TIMEOUT``; a timed-out attempt is rolled back to a
    savepoint (the loaded tables stay) and tried again, ``SWAP_ATTEMPTS`` times in all; then
    :class:`SwapTimeout` (the caller's transaction rolls back, the live tables still serve).
    """
    conn.execute(text(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'"))
    for attempt in range(1, SWAP_ATTEMPTS + 1):
        savepoint = conn.begin_nested()
        try:
            for table, renames in tables:
                conn.execute(text(f"DROP TABLE {schema}.{table}"))
                conn.execute(text(f"ALTER TABLE {schema}.{table}{SUFFIX} RENAME TO {table}"))
                for temporary, name in renames:
                    conn.execute(text(f"ALTER INDEX {schema}.{temporary} RENAME TO {name}"))
        except OperationalError as exc:
            savepoint.rollback()
            if not _lock_timeout(exc):
                raise
            if attempt < SWAP_ATTEMPTS:
                time.sleep(SWAP_PAUSE)  # let the searches queued behind the drop through
            continue
        savepoint.commit()
        return
    names = ", ".join(table for table, _ in tables)
    raise SwapTimeout(
        f"Neuindexierung abgebrochen: {names} blieb {SWAP_ATTEMPTS}-mal länger als"
        f" {LOCK_TIMEOUT} von anderen Sitzungen gesperrt (lange Suche, pg_dump, omk search"
        " verify?). Nichts wurde geändert, der bisherige Index sucht weiter; später erneut"
        " versuchen."
    )


def word_lines(words: Counter[str]) -> Iterator[str]:
    """``search_word`` rows as COPY text (words with a positive count, sorted)."""
    for word, count in sorted(words.items()):
        if count > 0:
            yield f"{copy_text(word)}\t{count}\n"
