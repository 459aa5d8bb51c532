"""A reindex written by several processes holds the same index as one written by one."""

from __future__ import annotations

from pathlib import Path

import pytest

from omk.search import bench, whoosh_index
from omk.search.service import parse
from omk.search.whoosh_backend import whoosh_query
from omk.search.whoosh_index import WhooshIndex, create_generation, make_current


def _built(root: Path, procs: int) -> WhooshIndex:
    vocab = bench.vocabulary()
    generation = create_generation(root)
    engine = WhooshIndex(root)
    assert engine.bulk_load(generation, bench.corpus(vocab, 80), procs=procs) == 80
    make_current(root, generation)
    return engine


@pytest.fixture
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two writer processes from 30 practices on, 20 practices a batch."""
    monkeypatch.setattr(whoosh_index, "PARALLEL_MIN_DOCS", 30)
    monkeypatch.setattr(whoosh_index, "WRITER_BATCH", 20)


@pytest.mark.usefixtures("small_batches")
def test_parallel_reindex_matches_a_single_writer(tmp_path: Path) -> None:
    single = _built(tmp_path / "one", procs=1)
    parallel = _built(tmp_path / "two", procs=2)
    with parallel.searcher() as s:
        assert len(list(s.leaf_searchers())) == 2  # a segment per writer process, no merge
    _assert_same_index(single, parallel)
    single.close()
    parallel.close()


@pytest.mark.usefixtures("small_batches")
def test_reindex_over_the_memory_budget_spills_and_matches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, spilled_runs: list[str]
) -> None:
    """Writers over ``WRITER_LIMIT_MB`` spill their postings to disk: the same index."""
    unlimited = _built(tmp_path / "one", procs=1)
    assert not spilled_runs
    monkeypatch.setattr(whoosh_index, "WRITER_LIMIT_MB", 0.05)  # ~50 KB: a run every ~5 practices
    single = _built(tmp_path / "two", procs=1)
    assert len(spilled_runs) >= 10
    parallel = _built(tmp_path / "three", procs=2)  # spills in the writer processes
    _assert_same_index(unlimited, single)
    _assert_same_index(unlimited, parallel)
    with unlimited.searcher() as want, single.searcher() as got:  # the same postings
        assert list(want.reader().all_terms()) == list(got.reader().all_terms())
        for field, term in want.reader().all_terms():
            assert list(want.postings(field, term).all_items()) == list(
                got.postings(field, term).all_items()
            ), (field, term)
    for engine in (unlimited, single, parallel):
        engine.close()


def _assert_same_index(single: WhooshIndex, parallel: WhooshIndex) -> None:
    assert parallel.doc_count() == single.doc_count() == 80
    assert parallel.stamps() == single.stamps()
    for q in bench.queries(bench.vocabulary(), count=16):
        found = [
            engine.match(
                [whoosh_query(p) for p in parse(q.text)],
                filters=q.filters,
                version=None,
                sort="relevance",
                offset=0,
                limit=200,
            )
            for engine in (single, parallel)
        ]
        one, two = found
        assert (one.total, one.complete, one.part_hits) == (two.total, two.complete, two.part_hits)
        assert one.facets == two.facets
        assert sorted(round(score, 9) for _, score in one.page) == sorted(
            round(score, 9) for _, score in two.page
        )
