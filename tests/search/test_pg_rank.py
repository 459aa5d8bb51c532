"""The PostgreSQL backend ranks exactly only what can reach the page, and counts facets on
the application server: the same pages, scores, totals and facet counts as ranking and
counting every match (runs on PostgreSQL only)."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from omk.search import bench, pg_facets, service
from omk.search.pg_backend import PostgresBackend, document_vectors
from tests.search import pg_schema

pytestmark = pytest.mark.skipif(not pg_schema.url(), reason="needs PostgreSQL (OMK_DATABASE_URL)")

_records = pg_schema.records


@pytest.fixture(scope="module")
def engine(pg_search: Engine) -> Engine:
    return pg_search


_match = pg_schema.match


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
