"""Peer groups: who a municipality is compared with.

A peer group is a region (Land, Regierungsbezirk, Kreis: an AGS prefix), a population size
class, a degree of urbanisation, a list chosen by name, or the *k* municipalities most similar
to one by population and density: Euclidean distance on log population and log density, each
standardised over the candidates (z-scores), *k* 10 by default and at most 50. Peer groups stay
within one comparison level (district or municipal) unless the user asks otherwise; that
filter is the caller's (omk.services.compare), these are pure functions over plain data.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

K_DEFAULT = 10
K_MAX = 50


class GroupKind(StrEnum):
    """How a peer group is chosen."""

    NAMES = "names"  # municipalities chosen one by one (by name)
    REGION = "region"  # an AGS prefix: Land (2), Regierungsbezirk (3), Kreis (5)
    SIZE = "size"  # the same BBSR size class
    URBANISATION = "urbanisation"  # the same degree of urbanisation
    SIMILAR = "similar"  # the k most similar by log population and log density


#: German labels (message ids) of the kinds.
GROUP_LABELS: dict[GroupKind, str] = {
    GroupKind.NAMES: "ausgewählte Kommunen",
    GroupKind.REGION: "Region (Land, Regierungsbezirk oder Kreis)",
    GroupKind.SIZE: "gleiche Größenklasse",
    GroupKind.URBANISATION: "gleicher Verstädterungsgrad",
    GroupKind.SIMILAR: "die ähnlichsten Kommunen (Einwohner und Dichte)",
}


@dataclass(frozen=True)
class Candidate:
    """A municipality that may join a peer group: its key, inhabitants and area."""

    key: str
    population: int | None
    area_km2: float | None

    @property
    def features(self) -> tuple[float, float] | None:
        """(log population, log density); None without inhabitants or area."""
        if not self.population or self.population <= 0 or not self.area_km2:
            return None
        if self.area_km2 <= 0:
            return None
        return math.log(self.population), math.log(self.population / self.area_km2)


def clamp_k(k: int | None) -> int:
    """k within 1 … K_MAX; None gives the default."""
    if k is None:
        return K_DEFAULT
    return max(1, min(K_MAX, k))


def _standardise(column: Sequence[float]) -> tuple[float, float]:
    m = math.fsum(column) / len(column)
    s = math.sqrt(math.fsum((x - m) ** 2 for x in column) / len(column))
    return m, s or 1.0


def spread(column: Sequence[float]) -> float:
    """The standard deviation :func:`distances` divides by (1.0 for none): over the
    candidates and the target, that is over every placeable member when the target is one."""
    return _standardise(column)[1]


def distances(target: Candidate, candidates: Sequence[Candidate]) -> dict[str, float]:
    """The standardised distance of every placeable candidate (not the target) to ``target``:
    Euclidean over log population and log density, each divided by its standard deviation
    over the candidates and the target. Empty when the target cannot be placed."""
    usable = [(c, c.features) for c in candidates if c.key != target.key]
    placed = [(c, f) for c, f in usable if f is not None]
    own = target.features
    if own is None or not placed:
        return {}
    _, pop_s = _standardise([f[0] for _, f in placed] + [own[0]])
    _, den_s = _standardise([f[1] for _, f in placed] + [own[1]])
    # centring cancels in a difference; only the scale matters
    return {c.key: math.hypot((f[0] - own[0]) / pop_s, (f[1] - own[1]) / den_s) for c, f in placed}


def most_similar(target: Candidate, candidates: Sequence[Candidate], k: int) -> list[str]:
    """The keys of the ``k`` candidates nearest to ``target`` (the target first, then by
    distance, ties by key). Distances are Euclidean over standardised log population and
    log density (:func:`distances`), compared to nine decimal places: twice and half the
    target's population are equally near, whatever the logarithms' last bit says.
    Candidates without both figures cannot be placed and are left out."""
    found = distances(target, candidates)
    ranked = sorted(found, key=lambda key: (round(found[key], 9), key))
    return [target.key, *ranked[: clamp_k(k)]]


def great_circle_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """The great-circle distance in km between two (lat, lon) positions (haversine, mean
    Earth radius 6371 km)."""
    lat1, lon1, lat2, lon2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.0 * math.asin(min(1.0, math.sqrt(h)))
