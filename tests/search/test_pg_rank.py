"""The PostgreSQL backend ranks exactly only what can reach the page, and counts facets on
the application server: the same pages, scores, totals and facet counts as ranking and
counting every match (runs on PostgreSQL only)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

from omk.search import bench, pg_facets, service
from omk.search.backend import Match
from omk.search.pg_backend import PostgresBackend, document_vectors
from omk.search.records import PracticeRecord


def _url() -> str:
    url = os.environ.get("OMK_TEST_DATABASE_URL") or os.environ.get("OMK_DATABASE_URL") or ""
    return url if url.startswith("postgresql") else ""


pytestmark = pytest.mark.skipif(not _url(), reason="needs PostgreSQL (OMK_DATABASE_URL)")

SCHEMA = f"omk_test_rank_{os.getpid()}"


@pytest.fixture(scope="module")
def engine() -> Iterator[Engine]:
    from omk.extensions import Base
    from omk.models.search import SearchDocument, SearchGeneration, SearchWord

    admin = create_engine(_url())
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {SCHEMA}"))
    schema_engine = create_engine(_url(), connect_args={"options": f"-csearch_path={SCHEMA}"})
    tables = [
        Base.metadata.tables[m.__tablename__]
        for m in (SearchDocument, SearchWord, SearchGeneration)
    ]
    Base.metadata.create_all(schema_engine, tables=tables)
    try:
        yield schema_engine
    finally:
        schema_engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        admin.dispose()


def _records(count: int) -> list[PracticeRecord]:
    return [r for batch in bench.corpus(bench.vocabulary(), count) for r in batch]


def _match(backend: PostgresBackend, q: bench.BenchQuery, offset: int, limit: int) -> Match:
    return backend.match(
        service.parse(q.text),
        filters=q.filters,
        version=None,
        sort="relevance",
        offset=offset,
        limit=limit,
    )


def test_head_and_length_are_what_postgresql_computes(engine: Engine) -> None:
    records = _records(60)
    with engine.connect() as conn:
        for record in records:
            terms, head, length = document_vectors(record)
            expected = conn.execute(
                text(
                    "SELECT CAST(ts_filter(CAST(:t AS tsvector), '{a,b}') AS text),"
                    " (SELECT sum(coalesce(array_length(positions, 1), 1))"
                    " FROM unnest(CAST(:t AS tsvector))),"
                    " CAST(CAST(:h AS tsvector) AS text)"
                ),
                {"t": terms, "h": head},
            ).one()
            assert (expected[2], length) == (expected[0], expected[1])


def test_bounded_pages_equal_the_full_ranking(engine: Engine) -> None:
    backend = PostgresBackend(engine)
    assert backend.rebuild([_records(400)]) == 400
    queries = bench.queries(bench.vocabulary(), count=60)
    pruned = 0
    for q in queries:
        full = _match(backend, q, 0, 1000)  # every member ranked exactly
        for offset, limit in ((0, 5), (0, 20), (7, 6)):
            page = _match(backend, q, offset, limit)
            assert page.page == full.page[offset : offset + limit], (q, offset, limit)
            assert (page.total, page.complete, page.part_hits, page.facets) == (
                full.total,
                full.complete,
                full.part_hits,
                full.facets,
            )
        pruned += full.total > 25
    assert pruned > 10  # the queries reach beyond the page: the bound had work to do


def test_facet_counts_follow_new_rows_and_a_new_table(engine: Engine) -> None:
    backend = PostgresBackend(engine)
    records = _records(80)
    backend.rebuild([records[:60]])
    q = bench.BenchQuery("Integration")

    def counted() -> dict[str, dict[str, int]]:
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT f, count(*) FROM search_document, unnest(facets) AS f"
                    " WHERE latest AND terms @@ CAST(:q AS tsquery) GROUP BY f"
                ),
                {"q": " | ".join(f"({backend_query})" for backend_query in _queries(q))},
            ).all()
        out: dict[str, dict[str, int]] = {}
        for value, n in rows:
            name, _, facet_value = str(value).partition("=")
            out.setdefault(name, {})[facet_value] = int(n)
        return out

    def facets() -> dict[str, dict[str, int]]:
        return {k: v for k, v in _match(backend, q, 0, 5).facets.items() if v}

    assert facets() == counted() != {}
    assert backend.apply([r.practice_id for r in records[60:]], records[60:])  # new rows
    assert facets() == counted()
    assert backend.apply([r.practice_id for r in records[:30]], [])  # rows gone
    assert facets() == counted()
    backend.rebuild([records[10:50]])  # a new table, numbered from 1 again
    assert facets() == counted()


def _queries(q: bench.BenchQuery) -> list[str]:
    from omk.search.pg_backend import part_query

    return [part_query(part) for part in service.parse(q.text)]


def test_the_facet_matrix_starts_again_once_it_outgrows_the_table(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Replaced rows stay in a worker's facet matrix until it holds more than twice the rows
    the table has; then it starts again, and the counts stay exact."""
    monkeypatch.setattr(pg_facets, "OUTGROWN_FROM", 1)
    monkeypatch.setattr(pg_facets, "LOAD_ALL_FROM", 0)  # every load reads the whole table
    backend = PostgresBackend(engine)
    records = _records(80)
    backend.rebuild([records])
    q = bench.BenchQuery("Integration")
    first = _match(backend, q, 0, 5).facets
    matrix = backend._facets
    replaced = [r.practice_id for r in records[:70]]
    for _ in range(2):  # 70 rows replaced twice: 220 rows known, 80 live
        assert backend.apply(replaced, records[:70])
        assert _match(backend, q, 0, 5).facets == first
    assert matrix._rows > 160
    with engine.begin() as conn:
        conn.execute(text("ANALYZE search_document"))
    assert backend.apply(replaced, records[:70])
    assert _match(backend, q, 0, 5).facets == first
    assert matrix._rows <= 80
