"""The transfer provider's selection (numpy prefilter, exact check of the few that can be
best) against the definition: every member with every other one, in plain Python."""

from __future__ import annotations

import random
from types import SimpleNamespace
from typing import Any

import pytest

from omk.compare import coverage as rules
from omk.compare import peers
from omk.synergies import candidates, transfer_provider
from omk.synergies.transfer_provider import Match, select_matches

CODES = ["A1", "A2", "A3", "B1", "B2"]


def _by_definition(
    matrix: rules.Matrix,
    positions: dict[str, tuple[float, float]],
    structure: list[peers.Candidate],
    scored: dict[str, candidates.Candidate],
) -> list[Match]:
    """What the provider computed before 2026-12-07: all pairs, one by one."""
    by_key = {c.key: c for c in structure}
    found: list[Match] = []
    for a, gaps in matrix.gaps.items():
        if not gaps:
            continue
        near = peers.distances(by_key[a], structure)
        for code in gaps:
            options = []
            for b in matrix.rows:
                cell = matrix.cells[b].get(code)
                if b == a or cell is None:
                    continue
                km = (
                    peers.great_circle_km(positions[a], positions[b])
                    if a in positions and b in positions
                    else None
                )
                for ref in cell.practices:
                    candidate = scored.get(ref.practice_id)
                    if candidate is None:
                        continue
                    match = Match(code, a, b, candidate, km, near.get(b))
                    if not (match.nearby or match.similar):
                        continue
                    if match.validated or candidate.score >= transfer_provider.WELL_EVIDENCED:
                        options.append(match)
            options.sort(key=transfer_provider._order)
            found.extend(options[: transfer_provider.PER_GAP])
    found.sort(key=transfer_provider._order)
    return found


def _world(seed: int, size: int) -> tuple[Any, ...]:
    rng = random.Random(seed)
    keys = [f"{n:08d}" for n in range(size)]
    # a few shared positions (equal distances) and members without one or without figures
    spots = [(rng.uniform(47.5, 54.5), rng.uniform(6.0, 14.5)) for _ in range(size // 3)]
    positions = {k: rng.choice(spots) for k in keys if rng.random() > 0.1}
    structure = [
        peers.Candidate(
            k,
            rng.choice([None, *[rng.randint(800, 600_000) for _ in range(9)]]),
            rng.choice([20.0, 50.0, 120.0, rng.uniform(5, 400)]),
        )
        for k in keys
    ]
    facts, scored = [], {}
    for k in keys:
        for p in range(rng.randint(0, 3)):
            pid = f"{k}-{p}"
            codes = tuple(rng.sample(CODES, rng.randint(1, 3)))
            facts.append(rules.PracticeFact(k, pid, f"Maßnahme {pid}", "x", (), codes))
            points = rng.randint(0, 12)
            verdict = rng.choice([None, None, None, "validated", "not_validated"])
            scored[pid] = candidates.Candidate(
                SimpleNamespace(practice_id=pid),  # type: ignore[arg-type]  # what _order reads
                [candidates.Component("x", "x", points, 19, "")],
                SimpleNamespace(verdict=verdict) if verdict else None,  # type: ignore[arg-type]
            )
    members = [rules.Member(k, rng.choice(["municipal", "district"])) for k in keys]
    matrix = rules.build(members, facts, rules.Dimension.RECOMMENDATIONS, CODES)
    return matrix, positions, structure, scored


def _plain(found: list[Match]) -> list[tuple[Any, ...]]:
    return [(m.gap, m.a, m.b, m.candidate.version.practice_id, m.km, m.structure) for m in found]


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize(
    ("nearby_km", "similar_structure"), [(50.0, 0.75), (0.0, 0.0), (1000.0, 0.3), (120.0, 2.0)]
)
def test_selection_is_the_definition(
    seed: int, nearby_km: float, similar_structure: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(transfer_provider, "NEARBY_KM", nearby_km)
    monkeypatch.setattr(transfer_provider, "SIMILAR_STRUCTURE", similar_structure)
    world = _world(seed, 60 + 20 * seed)
    expected = _plain(_by_definition(*world))
    assert _plain(select_matches(*world)) == expected
    if nearby_km == 50.0 and seed == 0:
        assert len(expected) > 20  # the world has transfers to find
