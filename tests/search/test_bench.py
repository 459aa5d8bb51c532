"""The search benchmark and the quality script run (tiny sizes; the numbers are not tested)."""

from __future__ import annotations

import math
from pathlib import Path

from click.testing import CliRunner

from omk.cli import main
from omk.search import bench
from tests.search.evaluate import ndcg, recall


def test_corpus_is_reproducible_and_shaped_like_the_demo() -> None:
    vocab = bench.vocabulary()
    first = [r.title for batch in bench.corpus(vocab, 30) for r in batch]
    again = [r.title for batch in bench.corpus(vocab, 30) for r in batch]
    assert first == again and len(first) == 30
    record = next(iter(bench.corpus(vocab, 1)))[0]
    assert record.criterion and record.land and record.kreis and record.status
    assert 120 <= len(record.description.split()) <= 250
    queries = bench.queries(vocab)
    assert len(queries) == bench.QUERIES
    assert {len(q.text.split()) for q in queries} <= {1, 2, 3}
    assert any(q.filters for q in queries) and any(not q.filters for q in queries)


def test_bench_command_prints_both_engines() -> None:
    result = CliRunner().invoke(main, ["bench", "search", "--docs", "40", "--no-hybrid"])
    assert result.exit_code == 0, result.output
    assert "whoosh (omk)" in result.output and "sqlite fts5" in result.output
    assert "as /suche" in result.output  # every match the search page runs, timed too
    assert "newest / all" in result.output  # and its orders without relevance


def test_bench_reuses_a_kept_index(tmp_path: Path) -> None:
    args = ["bench", "search", "--docs", "40", "--no-hybrid", "--keep-index", str(tmp_path)]
    first = CliRunner().invoke(main, args)
    assert first.exit_code == 0, first.output
    assert (tmp_path / "whoosh.bench.json").exists() and (tmp_path / "fts5.sqlite3").exists()
    again = CliRunner().invoke(main, args)
    assert again.exit_code == 0, again.output
    rows = [line for line in again.output.splitlines() if line.startswith(("whoosh", "sqlite"))]
    assert len(rows) >= 2 and all(" nan " in row for row in rows[:2])  # nothing re-indexed
    hits = [line.split()[-1] for line in first.output.splitlines() if line.startswith("whoosh")]
    assert hits[0] == rows[0].split()[-1]  # the same corpus answered alike


def test_metrics() -> None:
    grades = {"a": 3, "b": 2, "c": 1}
    assert ndcg(["a", "b", "c"], grades) == 1.0
    assert ndcg(["x"], grades) == 0.0
    assert math.isclose(ndcg(["c", "b", "a"], grades), 0.7899, abs_tol=1e-3)
    assert recall(["a", "x"], grades) == 0.5


def test_bench_search_index_prints_cpu_per_practice_and_stages(tmp_path: Path) -> None:
    out = tmp_path / "index.prof"
    result = CliRunner().invoke(
        main, ["bench", "search-index", "--docs", "30", "--profile", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "30 practices, 1 writer process(es)" in result.output
    assert "ms per practice" in result.output
    assert "writing the segment at commit" in result.output
    assert out.exists()
