"""The PostgreSQL backend's bulk load: COPY lines, the parallel analysis, the table swap and
the benchmark's kept corpus (the PostgreSQL parts skip on SQLite)."""

from __future__ import annotations

import os
import signal
import time
from collections import Counter

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, text

from omk.search import bench, pg_load
from omk.search.pg_backend import _row


def _url() -> str:
    url = os.environ.get("OMK_TEST_DATABASE_URL") or os.environ.get("OMK_DATABASE_URL") or ""
    return url if url.startswith("postgresql") else ""


def test_copy_lines_escape_text_and_arrays() -> None:
    assert pg_load.copy_text("a\tb\\c\nd\re") == "a\\tb\\\\c\\nd\\re"
    assert pg_load.array_literal(['x"y', "a\\b", "land=05"]) == '{"x\\"y","a\\\\b","land=05"}'
    row = {
        "key": "p@2025",
        "practice_id": "p",
        "version": "2025",
        "latest": True,
        "revision_id": 7,
        "stamp": "abc",
        "period_end": 20251231,
        "facets": ["land=05"],
        "words": ["sprachcafe"],
        "terms": "'sprachcaf':1A",
        "head": "'sprachcaf':1A",
        "tail": "",
        "length": 1,
    }
    line = pg_load.copy_line(row)
    assert line.endswith("\n") and line.count("\t") == len(pg_load.DOCUMENT_COLUMNS) - 1
    assert line.split("\t")[3] == "t"
    assert line.split("\t")[7] == '{"land=05"}'


def test_parallel_analysis_gives_the_lines_of_one_process() -> None:
    vocab = bench.vocabulary()
    records = [r for batch in bench.corpus(vocab, 12) for r in batch]
    batches = [records[i : i + 4] for i in range(0, len(records), 4)]
    alone = list(pg_load.analysed(batches, _row, processes=1))
    forked = list(pg_load.analysed(batches, _row, processes=2))
    assert [lines for lines, _, _ in forked] == [lines for lines, _, _ in alone]
    assert sum((words for _, words, _ in forked), Counter()) == sum(
        (words for _, words, _ in alone), Counter()
    )
    assert sum(size for _, _, size in forked) == 12


@pytest.mark.skipif(not _url(), reason="needs PostgreSQL (OMK_DATABASE_URL)")
def test_bench_keeps_its_corpus_and_the_swap_keeps_the_names() -> None:
    from omk.search.bench_pg import bench_postgres

    url, schema = _url(), f"omk_bench_test_keep_{os.getpid()}"
    vocab = bench.vocabulary()
    queries = bench.queries(vocab, count=4)
    admin = create_engine(url)
    try:
        first = bench_postgres(vocab, 30, queries, url, hybrid=False, keep=schema)
        again = bench_postgres(vocab, 30, queries, url, hybrid=False, keep=schema)
        assert not first.reused and again.reused
        assert again.hits == first.hits and again.index_seconds == 0.0
        with admin.connect() as conn:
            names = set(
                conn.scalars(
                    text(
                        "SELECT indexname FROM pg_indexes WHERE schemaname = :s"
                        " AND tablename IN ('search_document', 'search_word')"
                    ),
                    {"s": schema},
                )
            )
            tables = set(
                conn.scalars(
                    text("SELECT tablename FROM pg_tables WHERE schemaname = :s"), {"s": schema}
                )
            )
        assert names == {
            "pk_search_document",
            "ix_search_document_terms",
            "ix_search_document_latest_version",
            "ix_search_document_practice_id",
            "ix_search_document_num",
            "pk_search_word",
        }
        assert tables == {"search_document", "search_word", "search_generation"}
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        admin.dispose()


@pytest.mark.parametrize("schema", ["public", "omk", "omk_benchx", "omk_bench_", "Omk_bench_a"])
def test_bench_keeps_only_schemas_of_its_own(schema: str) -> None:
    from omk.cli_bench import bench_cli
    from omk.search.bench_pg import bench_postgres

    result = CliRunner().invoke(
        bench_cli,
        ["search", "--backend", "postgres", "--database-url", "postgresql://x/y", "--keep", schema],
    )
    assert result.exit_code == 2 and "omk_bench_" in result.output
    with pytest.raises(ValueError, match="omk_bench_"):
        bench_postgres(bench.vocabulary(), 1, [], "postgresql://x/y", keep=schema)


@pytest.mark.skipif(not _url(), reason="needs PostgreSQL (OMK_DATABASE_URL)")
def test_bench_never_drops_a_schema_with_other_tables() -> None:
    from omk.search.bench_pg import bench_postgres

    url, schema = _url(), f"omk_bench_test_foreign_{os.getpid()}"
    admin = create_engine(url)
    try:
        with admin.begin() as conn:
            conn.execute(text(f"CREATE SCHEMA {schema}"))
            conn.execute(text(f"CREATE TABLE {schema}.app_data (id int)"))
        with pytest.raises(ValueError, match="app_data"):
            bench_postgres(bench.vocabulary(), 5, [], url, hybrid=False, keep=schema)
        with admin.connect() as conn:
            assert conn.scalar(text(f"SELECT count(*) FROM {schema}.app_data")) == 0
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        admin.dispose()


@pytest.mark.skipif(not _url(), reason="needs PostgreSQL (OMK_DATABASE_URL)")
def test_the_swap_waits_for_readers_a_bounded_time(monkeypatch: pytest.MonkeyPatch) -> None:
    from omk.extensions import Base
    from omk.models.search import SearchDocument, SearchGeneration, SearchWord
    from omk.search.pg_backend import PostgresBackend

    url, schema = _url(), f"omk_bench_test_swap_{os.getpid()}"
    admin = create_engine(url)
    engine = create_engine(url, connect_args={"options": f"-csearch_path={schema}"})
    monkeypatch.setattr(pg_load, "LOCK_TIMEOUT", "300ms")
    monkeypatch.setattr(pg_load, "SWAP_ATTEMPTS", 2)
    monkeypatch.setattr(pg_load, "SWAP_PAUSE", 0.0)
    vocab = bench.vocabulary()
    try:
        with admin.begin() as conn:
            conn.execute(text(f"CREATE SCHEMA {schema}"))
        tables = [
            Base.metadata.tables[m.__tablename__]
            for m in (SearchDocument, SearchWord, SearchGeneration)
        ]
        Base.metadata.create_all(engine, tables=tables)
        backend = PostgresBackend(engine)
        assert backend.rebuild(bench.corpus(vocab, 8)) == 8
        before = backend.stamps()
        with engine.connect() as reader:  # a long search: ACCESS SHARE until it ends
            reader.execute(text("SELECT count(*) FROM search_document"))
            started = time.perf_counter()
            with pytest.raises(pg_load.SwapTimeout, match="Nichts wurde geändert"):
                backend.rebuild(bench.corpus(vocab, 12))
            assert time.perf_counter() - started < 10
            assert reader.scalar(text("SELECT count(*) FROM search_document")) == 8
            reader.rollback()
        assert backend.stamps() == before
        with admin.connect() as conn:
            left = set(
                conn.scalars(
                    text("SELECT tablename FROM pg_tables WHERE schemaname = :s"), {"s": schema}
                )
            )
        assert left == {"search_document", "search_word", "search_generation"}
        assert backend.rebuild(bench.corpus(vocab, 12)) == 12  # released: it goes through
        assert backend.doc_count() == 12
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        admin.dispose()


def _killed(batch: object) -> None:
    os.kill(os.getpid(), signal.SIGKILL)  # a worker the OOM killer took


def test_a_killed_worker_fails_the_analysis(monkeypatch: pytest.MonkeyPatch) -> None:
    vocab = bench.vocabulary()
    records = [r for batch in bench.corpus(vocab, 12) for r in batch]
    batches = [records[i : i + 4] for i in range(0, len(records), 4)]
    monkeypatch.setattr(pg_load, "_worker_lines", _killed)
    with pytest.raises(RuntimeError, match="Analyseprozess"):
        list(pg_load.analysed(batches, _row, processes=2))


def test_workers_follow_the_usable_cores() -> None:
    assert 1 <= pg_load.workers() <= min(len(os.sched_getaffinity(0)), pg_load.WORKERS)
