"""The PostgreSQL backend ranks exactly only what can reach the page, and counts facets on
the application server: the same pages, scores, totals and facet counts as ranking and
counting every match (runs on PostgreSQL only)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

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


def test_head_tail_and_length_are_what_postgresql_computes(engine: Engine) -> None:
    records = _records(60)
    tails = 0
    with engine.connect() as conn:
        for record in records:
            terms, head, tail, length = document_vectors(record)
            expected = conn.execute(
                text(
                    "SELECT CAST(ts_filter(CAST(:t AS tsvector), '{a,b}') AS text),"
                    " (SELECT sum(coalesce(array_length(positions, 1), 1))"
                    " FROM unnest(CAST(:t AS tsvector))),"
                    # the tail: lexemes only after title and summary, found there n > 1
                    # times, as min(n, 4) positions
                    " coalesce((SELECT string_agg(u.lexeme || ':' || least(array_length("
                    "u.positions, 1), 4), ' ' ORDER BY u.lexeme) FROM unnest(CAST(:t AS tsvector))"
                    " AS u WHERE array_length(u.positions, 1) > 1"
                    " AND NOT (u.weights && ARRAY['A', 'B'])), ''),"
                    " CAST(CAST(:h AS tsvector) AS text),"
                    " coalesce((SELECT string_agg(u.lexeme || ':' || array_length(u.positions, 1),"
                    " ' ' ORDER BY u.lexeme) FROM unnest(CAST(:tail AS tsvector)) AS u), '')"
                ),
                {"t": terms, "h": head, "tail": tail},
            ).one()
            assert (expected[3], length, expected[4]) == (expected[0], expected[1], expected[2])
            tails += bool(tail)
    assert tails > 30  # most documents have words more than once in their body


def test_the_migration_fills_the_tail_as_the_writer_does(engine: Engine) -> None:
    """Rows written before ``tail`` existed get it from their terms in the migration."""
    path = Path(__file__).parents[2] / "migrations/versions"
    spec = importlib.util.spec_from_file_location(
        "tail_migration", next(path.glob("*_search_document_tail.py"))
    )
    assert spec is not None and spec.loader is not None
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    backend = PostgresBackend(engine)
    records = _records(80)
    backend.rebuild([records])
    with engine.begin() as conn:
        written = dict(
            conn.execute(text("SELECT key, CAST(tail AS text) FROM search_document")).all()
        )
        conn.execute(text("UPDATE search_document SET tail = ''"))
        conn.execute(text(migration.FILL))
        filled = dict(
            conn.execute(text("SELECT key, CAST(tail AS text) FROM search_document")).all()
        )
    assert filled == written and sum(bool(t) for t in written.values()) > 40


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


def test_newest_first_and_no_words_as_one_statement_orders_them(engine: Engine) -> None:
    """The search page without words (every practice, filtered) and "Neueste zuerst": the
    same pages, totals and facet counts from the posting lists as from one statement, also
    after rows were replaced (new numbers, the rows' ranks read again)."""
    records = _records(300)
    cached, statement = PostgresBackend(engine), PostgresBackend(engine, cached=False)
    cached.rebuild([records])
    versions = sorted({r.cycle for r in records})
    assert len({r.period_end for r in records}) > 1  # the order has ends to tell apart
    cases = [("", {}, None), ("", {"land": ["05", "09"]}, None), ("", {}, versions[0])]
    cases += [(q.text, q.filters, None) for q in bench.queries(bench.vocabulary(), count=15)]
    cases.append(("Integration Sprache", {}, versions[-1]))

    def both(text_: str, filters: dict[str, list[str]], version: str | None) -> None:
        parts = service.parse(text_) if text_ else []
        sort = "newest" if parts else "relevance"
        for offset, limit in ((0, 10), (5, 7), (290, 20)):
            found = [
                b.match(
                    parts, filters=filters, version=version, sort=sort, offset=offset, limit=limit
                )
                for b in (cached, statement)
            ]
            assert found[0] == found[1], (text_, filters, version, offset)

    for case in cases:
        both(*case)
    assert cached.apply([r.practice_id for r in records[:40]], records[:40])  # replaced
    for case in cases[:4]:
        both(*case)


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
