"""The PostgreSQL backend's posting cache (``pg_postings``, ``pg_match``): a relevance query
matched from a server's posting lists gives what the one statement in PostgreSQL gives (hit
sets, totals, tiers, part hits, facet counts, the page), also after rows were added, deleted
or replaced by another writer and after a reindex (runs on PostgreSQL only)."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy.engine import Connection, Engine

from omk.search import bench, pg_postings
from omk.search.backend import Match
from omk.search.pg_backend import PostgresBackend
from tests.search import pg_schema

pytestmark = pytest.mark.skipif(not pg_schema.url(), reason="needs PostgreSQL (OMK_DATABASE_URL)")

_records = pg_schema.records


@pytest.fixture(scope="module")
def engine(pg_search: Engine) -> Engine:
    return pg_search


QUERIES = [
    *bench.queries(bench.vocabulary(), count=24),
    bench.BenchQuery('"Integration Kurs"'),
    bench.BenchQuery('Stadt "Sprache Kurs"'),
]


_match = pg_schema.match


def _same(cached: PostgresBackend, plain: PostgresBackend, version: str | None = None) -> int:
    """Every query alike from the posting lists and from one statement; how many matched."""
    matched = 0
    for q in QUERIES:
        for offset, limit in ((0, 10), (5, 7)):
            got = _match(cached, q, offset, limit, version)
            expected = _match(plain, q, offset, limit, version)
            assert got == expected, (q, offset, limit, version)
            matched += got.total
    return matched


def test_the_posting_lists_follow_every_change(engine: Engine) -> None:
    records = _records(120)
    writer = PostgresBackend(engine)  # another server: the reader's cache sees its commits
    cached, plain = PostgresBackend(engine), PostgresBackend(engine, cached=False)
    writer.rebuild([records[:80]])
    assert _same(cached, plain) > 0
    assert writer.apply([r.practice_id for r in records[80:]], records[80:])  # new rows
    assert _same(cached, plain) > 0
    assert writer.apply([r.practice_id for r in records[:30]], [])  # rows gone
    assert _same(cached, plain) > 0
    assert writer.apply([r.practice_id for r in records[30:60]], records[30:60])  # replaced
    assert _same(cached, plain) > 0
    cycle = records[40].cycle
    assert _same(cached, plain, version=cycle) > 0
    writer.rebuild([records[50:110]])  # a new table, numbered from 1 again
    assert _same(cached, plain) > 0
    assert cached._postings.held() > 0


def test_lists_loaded_before_a_change_are_extended_not_reloaded(engine: Engine) -> None:
    records = _records(60)
    writer, cached = PostgresBackend(engine), PostgresBackend(engine)
    plain = PostgresBackend(engine, cached=False)
    writer.rebuild([records[:40]])
    q = bench.BenchQuery("Integration")
    assert _match(cached, q) == _match(plain, q)
    before = dict(cached._postings._lists)
    assert writer.apply([r.practice_id for r in records[40:]], records[40:])
    assert _match(cached, q) == _match(plain, q)
    for key, entry in before.items():
        now = cached._postings._lists[key]
        assert now.nums[: entry.nums.size].tolist() == entry.nums.tolist()
        assert now.through > entry.through


def test_the_cache_stays_within_its_budget(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pg_postings, "MAX_POSTINGS", 50)
    records = _records(80)
    writer, cached = PostgresBackend(engine), PostgresBackend(engine)
    plain = PostgresBackend(engine, cached=False)
    writer.rebuild([records])
    _same(cached, plain)
    lists = cached._postings._lists
    assert cached._postings.held() <= 50 or len(lists) == 1


def test_the_prefill_reads_the_most_common_lists_and_changes_no_answer(engine: Engine) -> None:
    records = _records(120)
    writer, plain = PostgresBackend(engine), PostgresBackend(engine, cached=False)
    writer.rebuild([records])  # analysed before the swap: the statistics name common lexemes
    prefilled = PostgresBackend(engine)
    filled = prefilled.prefill_postings()
    assert filled["lists"] > 10 and filled["bytes"] > 0 and not filled["stopped"]
    with engine.connect() as conn:
        common = pg_postings.frequent_lexemes(conn, 5)
    assert all(prefilled._postings.holds("term", f"'{lexeme}'") for lexeme in common)
    assert prefilled._facets._rows > 0  # every live row's facet values read too
    assert prefilled._postings.holds("facet", f"land={records[0].land[0]}")
    assert _same(prefilled, plain) > 0
    stopping = PostgresBackend(engine)
    assert stopping.prefill_postings(stop=lambda: True)["stopped"]
    assert not any(kind == "term" for kind, _ in stopping._postings._lists)


def test_a_list_is_read_without_holding_up_other_threads(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    records = _records(40)
    writer, cached = PostgresBackend(engine), PostgresBackend(engine)
    plain = PostgresBackend(engine, cached=False)
    writer.rebuild([records])
    q = bench.BenchQuery("Integration")
    expected = _match(plain, q)
    assert _match(cached, q) == expected  # the rows and this query's lists kept
    reading, release = threading.Event(), threading.Event()
    load = pg_postings.PostingCache._load

    def slow_load(
        self: pg_postings.PostingCache, conn: Connection, kind: str, value: str, through: int
    ) -> pg_postings.Postings:
        if value == "'sprach'":  # "Sprache": a list nobody read yet
            reading.set()
            release.wait(10)
        return load(self, conn, kind, value, through)

    monkeypatch.setattr(pg_postings.PostingCache, "_load", slow_load)
    other = threading.Thread(target=_match, args=(cached, bench.BenchQuery("Sprache")))
    other.start()
    answered: list[Match] = []
    try:
        assert reading.wait(10)
        meanwhile = threading.Thread(target=lambda: answered.append(_match(cached, q)))
        meanwhile.start()
        meanwhile.join(5)
        assert answered == [expected]  # answered while the other thread reads its list
    finally:
        release.set()
        other.join(10)
    assert cached._postings.holds("term", "'sprach'")
