"""The PostgreSQL part of ``omk bench search`` (``--backend postgres --database-url URL``).

The corpus goes into a schema of its own (``omk_bench_<pid>``, dropped after the run) or, with
``--keep NAME``, into the schema ``NAME``, which is kept after the run and reused by the next
run with the same number of documents (indexing is then skipped), so that queries can be
timed again and again without indexing 100,000 documents each time. The URL defaults to the
app's own database, so the name must start with ``omk_bench_`` and a schema is dropped only
when it holds nothing but the bench's tables (never ``public`` or an app schema).

Besides wall clock and this process's CPU time, every query's time inside PostgreSQL
(planning + execution of its statements) is read from ``pg_stat_statements`` when the server
has it loaded (``shared_preload_libraries = pg_stat_statements``): on a shared machine the
server-side time is the steadier figure.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

from omk.search.bench import (
    BROWSE_BASELINE,
    PER_PAGE,
    BenchQuery,
    Clock,
    Timing,
    Vocabulary,
    _timed_batches,
    backend_query,
    dense_store,
    page_match,
    time_browse,
    time_hybrid,
)

#: Schemas the benchmark may create and drop.
PREFIX = "omk_bench_"
_SCHEMA = re.compile(r"^omk_bench_[a-z0-9_]{1,53}$")
#: The relations a bench schema may hold (the tables, their ``_new`` twins, their sequences).
_OWN = ("search_document", "search_word", "search_generation")


def valid_schema(name: str) -> bool:
    """Whether ``--keep`` names a schema the benchmark may own."""
    return bool(_SCHEMA.match(name))


def _drop_schema(engine: Engine, schema: str, create: bool = False) -> None:
    """Drop the bench schema (and create it again), refusing when it holds anything besides
    the bench's tables (an app schema must never be dropped)."""
    with engine.begin() as conn:
        foreign = list(
            conn.scalars(
                text(
                    "SELECT c.relname FROM pg_class AS c"
                    " JOIN pg_namespace AS n ON n.oid = c.relnamespace"
                    " WHERE n.nspname = :schema AND c.relkind IN ('r', 'p', 'v', 'm', 'f')"
                    " AND NOT c.relname = ANY(:own) ORDER BY c.relname"
                ),
                {"schema": schema, "own": [*_OWN, *(t + "_new" for t in _OWN)]},
            )
        )
        if foreign:
            raise ValueError(
                f"Schema {schema} enthält fremde Tabellen ({', '.join(foreign[:5])}):"
                " es wird nicht gelöscht"
            )
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        if create:
            conn.execute(text(f"CREATE SCHEMA {schema}"))


def _server_clock(engine: Engine) -> bool:
    """Whether pg_stat_statements is there (created in ``public`` when the server loads it)."""
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE EXTENSION IF NOT EXISTS pg_stat_statements SCHEMA public"))
            conn.execute(text("SELECT 1 FROM public.pg_stat_statements LIMIT 1"))
    except Exception:
        return False
    return True


def _server_reset(engine: Engine) -> None:
    with engine.connect() as conn:
        conn.execute(text("SELECT public.pg_stat_statements_reset()"))


def _server_ms(engine: Engine) -> float:
    """Planning + execution time of the statements since the last reset (bar these)."""
    with engine.connect() as conn:
        value = conn.scalar(
            text(
                "SELECT coalesce(sum(total_exec_time + total_plan_time), 0)"
                " FROM public.pg_stat_statements"
                " WHERE query NOT ILIKE '%pg_stat_statements%'"
                " AND dbid = (SELECT oid FROM pg_database WHERE datname = current_database())"
            )
        )
    return float(value or 0.0)


def _indexed(engine: Engine, schema: str) -> int:
    """How many documents the kept schema holds (-1: no such schema or table, or one from
    before the ``tail`` column: built again)."""
    with engine.connect() as conn:
        exists = conn.scalar(
            text(
                "SELECT count(*) FROM information_schema.columns WHERE table_schema = :schema"
                " AND table_name = 'search_document' AND column_name = 'tail'"
            ),
            {"schema": schema},
        )
        if not exists:
            return -1
        return int(conn.scalar(text(f"SELECT count(*) FROM {schema}.search_document")) or 0)  # noqa: S608


def bench_postgres(
    vocab: Vocabulary,
    docs: int,
    qs: list[BenchQuery],
    database_url: str,
    progress: Callable[[int], None] | None = None,
    hybrid: bool = True,
    keep: str = "",
) -> Timing:
    """Index the corpus with ``PostgresBackend.rebuild`` and time the queries."""
    from omk.extensions import Base
    from omk.models.search import SearchDocument, SearchGeneration, SearchWord
    from omk.search import analysis
    from omk.search.pg_backend import PostgresBackend

    if not database_url.startswith("postgresql"):
        raise ValueError("the postgres backend needs a PostgreSQL URL (--database-url)")
    if keep and not valid_schema(keep):
        raise ValueError(
            f"--keep braucht einen Schemanamen, der mit {PREFIX} beginnt"
            " (Kleinbuchstaben, Ziffern, _)"
        )
    analysis.terms("Integrationskurse für Geflüchtete")  # load the dictionaries (not timed)
    schema = keep or f"{PREFIX}{os.getpid()}"
    admin = create_engine(database_url)
    try:
        reused = bool(keep) and _indexed(admin, schema) == docs
        if not reused:
            _drop_schema(admin, schema, create=True)
    except Exception:
        admin.dispose()
        raise
    # Only the bench schema on the path: with ``public`` too, create_all would find the app's
    # own search tables there and the reindex would replace them.
    engine = create_engine(database_url, connect_args={"options": f"-csearch_path={schema}"})
    try:
        backend = PostgresBackend(engine)
        wall = cpu = 0.0
        spent = [0.0, 0.0]
        tables = [
            Base.metadata.tables[m.__tablename__]
            for m in (SearchDocument, SearchWord, SearchGeneration)
        ]
        # a kept corpus from before search_generation: what the migration adds, added here
        Base.metadata.create_all(engine, tables=tables)
        with engine.begin() as conn:
            conn.execute(
                text("CREATE INDEX IF NOT EXISTS ix_search_document_num ON search_document (num)")
            )
        if not reused:
            clock = Clock()
            backend.rebuild(_timed_batches(vocab, docs, spent, progress))
            wall, cpu = clock.elapsed()
        backend.match([], filters={}, version=None, sort="relevance", offset=0, limit=PER_PAGE)
        server = _server_clock(engine)
        # first as a freshly started server (its posting lists loaded as the queries need
        # them), then the same queries again with the lists this process has kept
        latencies, cpus, hits, server_ms = _timed(backend, engine, qs, server)
        timing = Timing(
            "postgres (omk)", docs, wall - spent[0], cpu - spent[1], latencies, cpus, hits
        )
        timing.server_ms = server_ms
        timing.started_ms, timing.started_cpu_ms = latencies, cpus
        # a fresh process again, after the warm-up's prefill (timed apart)
        prefilled = PostgresBackend(engine)
        filled = prefilled.prefill_postings()
        timing.prefill = (
            f"{filled['lists']} lists, {filled['bytes'] / 2**20:.0f} MB read in "
            f"{filled['wall']:.1f} s (CPU here {filled['cpu']:.1f} s)"
        )
        timing.prefilled_ms, timing.prefilled_cpu_ms, _, _ = _timed(prefilled, engine, qs, False)
        timing.warm_ms, timing.warm_cpu_ms, _, timing.warm_server_ms = _timed(
            backend, engine, qs, server
        )
        timing.page_ms, timing.page_cpu_ms = _timed_as_page(backend, qs)
        timing.browse_ms, timing.browse_cpu_ms = time_browse(qs, _browser(backend))
        statement = PostgresBackend(engine, cached=False)
        timing.browse_statement_ms, timing.browse_statement_cpu_ms = time_browse(
            qs[:BROWSE_BASELINE], _browser(statement)
        )
        timing.reused = reused
        if hybrid:
            timing.hybrid_ms, timing.hybrid_cpu_ms = time_hybrid(qs, dense_store(docs), backend)
    finally:
        engine.dispose()
        if not keep:
            _drop_schema(admin, schema)
        admin.dispose()
    return timing


def _timed_as_page(backend: Any, qs: list[BenchQuery]) -> tuple[list[float], list[float]]:
    """Each query once, warm (after an untimed pass of the same: the related words' lists
    kept too), as the search page runs it (``page_match``)."""
    from omk.search import ranking

    latencies: list[float] = []
    cpus: list[float] = []
    for timed in (False, True):
        for q in qs:
            wall_q, cpu_q = _as_page_once(backend, q, ranking.DEPTH)
            if timed:
                latencies.append(wall_q * 1000)
                cpus.append(cpu_q * 1000)
    return latencies, cpus


def _browser(backend: Any) -> Callable[[list[Any], dict[str, list[str]], str], Any]:
    """``time_browse``'s match through a PostgreSQL backend."""

    def run(parts: list[Any], filters: dict[str, list[str]], sort: str) -> Any:
        return backend.match(
            parts, filters=filters, version=None, sort=sort, offset=0, limit=PER_PAGE
        )

    return run


def _as_page_once(backend: Any, q: BenchQuery, depth: int) -> tuple[float, float]:
    """One query as the search page runs it: wall and CPU seconds."""

    def run(parts: list[Any], levels: Any) -> Any:
        return backend.match(
            parts,
            filters=q.filters,
            version=None,
            sort="relevance",
            offset=0,
            limit=depth,
            levels=levels,
        )

    clock = Clock()
    page_match(run, q.text)
    return clock.elapsed()


def _timed(
    backend: Any, engine: Engine, qs: list[BenchQuery], server: bool
) -> tuple[list[float], list[float], list[int], list[float]]:
    """Each query once: wall and CPU ms, matches, PostgreSQL's own ms (when it says)."""
    latencies: list[float] = []
    cpus: list[float] = []
    hits: list[int] = []
    server_ms: list[float] = []
    for q in qs:
        if server:
            _server_reset(engine)
        clock = Clock()
        found = backend_query(backend, q, PER_PAGE)
        wall_q, cpu_q = clock.elapsed()
        latencies.append(wall_q * 1000)
        cpus.append(cpu_q * 1000)
        hits.append(found.total)
        if server:
            server_ms.append(_server_ms(engine))
    return latencies, cpus, hits, server_ms
