"""The k most similar municipalities: standardised Euclidean distance on log population and
log density, with a hand-computed order."""

from __future__ import annotations

import math

from omk.compare.peers import K_DEFAULT, K_MAX, Candidate, clamp_k, most_similar


def test_nearest_by_standardised_log_population_and_density() -> None:
    target = Candidate("t", 10_000, 100.0)  # density 100
    others = [
        Candidate("same", 10_000, 100.0),
        Candidate("denser", 10_000, 10.0),  # density 1,000
        Candidate("bigger", 100_000, 1000.0),  # density 100, population ×10
        Candidate("both", 100_000, 100.0),  # population ×10, density ×10
        Candidate("no_area", 10_000, None),
        Candidate("empty", 0, 5.0),
    ]
    # log-population spread and log-density spread are equal here (both columns hold
    # ln 10 steps in the same pattern), so "denser" and "bigger" tie; the key breaks it.
    assert most_similar(target, others, 10) == ["t", "same", "bigger", "denser", "both"]
    assert most_similar(target, others, 2) == ["t", "same", "bigger"]


def test_standardising_weighs_the_columns_equally() -> None:
    """Each column is divided by its own spread, so a small step in a column that barely
    varies counts as much as a large step in one that varies a lot. By hand (relative to t):
    population steps 0, 1, 2, 3, 0 × ln 10 (sd 1.166 ln 10); density steps 0, 0, 0, 0,
    ln 1.5 (sd 0.4 ln 1.5). Distances: p1 0.857, p2 1.715, d 2.5, p3 2.572."""
    target = Candidate("t", 10_000, 100.0)
    others = [Candidate(f"p{i}", 10_000 * 10**i, 100.0 * 10**i) for i in range(1, 4)]
    others += [Candidate("d", 10_000, 100.0 / 1.5)]  # density ×1.5 only
    assert most_similar(target, others, 4) == ["t", "p1", "p2", "d", "p3"]
    assert math.isclose(math.log(1.5) / (0.4 * math.log(1.5)), 2.5)


def test_k_is_clamped() -> None:
    assert clamp_k(None) == K_DEFAULT == 10
    assert clamp_k(0) == 1 and clamp_k(500) == K_MAX == 50


def test_a_target_without_figures_stands_alone() -> None:
    assert most_similar(Candidate("t", None, None), [Candidate("a", 5, 1.0)], 3) == ["t"]
