"""``omk bench synergies`` on a small corpus: it runs, finds the planted near-duplicates with
both methods, and the vectorised TF-IDF equals the per-dict one."""

from __future__ import annotations

import numpy as np
import pytest

from omk.compare import similarity
from omk.synergies import bench


@pytest.fixture(scope="module")
def corpus() -> bench.Corpus:
    return bench.generate(1000)


def test_the_benchmark_finds_the_planted_pairs_both_ways(
    corpus: bench.Corpus, tmp_path: object
) -> None:
    assert len(corpus.planted) == 10 and corpus.vectors is not None
    assert all(corpus.municipalities[a] != corpus.municipalities[b] for a, b in corpus.planted)
    exact, _ = bench._exact(corpus, None)
    found, pairs = bench._product(corpus)
    assert found == 1.0 and exact == 1.0 and pairs > 0
    table = bench.table(
        [
            bench.Result(
                method="product",
                docs=1000,
                wall=1.0,
                cpu=1.0,
                peak_mib=1.0,
                found=found,
                pairs=pairs,
                sampled=0,
            )
        ],
        dense=True,
    )
    assert "GENERATED" in table and "100.0%" in table


@pytest.mark.parametrize("prune", [None, 5])
def test_model_from_matrix_equals_model_from_counts(prune: int | None) -> None:
    counts = [{"a": 3.0, "b": 1.0, "c": 0.5}, {"b": 2.0, "d": 1.0}, {"a": 1.0, "e": 4.0}] * 4
    surfaces = {t: t.upper() for t in "abcde"}
    one = similarity.model_from_counts(counts, surfaces, prune=prune)
    terms = sorted(surfaces)
    dense = np.array([[c.get(t, 0.0) for t in terms] for c in counts])
    two = similarity.model_from_matrix(dense, terms, surfaces, prune=prune)
    assert one.vocabulary == two.vocabulary and one.dropped == two.dropped
    assert np.allclose(one.matrix.toarray(), two.matrix.toarray())
    assert np.allclose(np.linalg.norm(two.matrix.toarray(), axis=1), 1.0)
