"""Shared definitions (DOMAIN.md, "Shared definitions"): the levels compared, population size
classes, a district's position and urbanisation, and the previous cycle.

Implemented once, here, over plain data; the database-backed helpers in
omk.services.register and omk.services.publication feed them. Labels are German message ids.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

# --- the two levels compared ---------------------------------------------------------------


class ComparisonLevel(StrEnum):
    """Peer groups stay within one level unless the user asks otherwise."""

    DISTRICT = "district"  # the 401 Kreise and kreisfreie Städte
    MUNICIPAL = "municipal"  # the kreisangehörige Gemeinden


COMPARISON_LEVEL_LABELS = {
    ComparisonLevel.DISTRICT: "Kreisebene (Landkreise und kreisfreie Städte)",
    ComparisonLevel.MUNICIPAL: "Gemeindeebene (kreisangehörige Gemeinden)",
}


def comparison_level(level: str, is_kreisfrei: bool) -> ComparisonLevel | None:
    """The level a register entry is compared at: a Kreis, and a kreisfreie Stadt (which
    reports under its 8-digit AGS as a Gemeinde), at the district level; every other
    Gemeinde at the municipal level; Länder, Regierungsbezirke, Regionen and
    Gemeindeverbände at none (they do not report)."""
    if level == "kreis":
        return ComparisonLevel.DISTRICT
    if level == "gemeinde":
        return ComparisonLevel.DISTRICT if is_kreisfrei else ComparisonLevel.MUNICIPAL
    return None


# --- population size classes ---------------------------------------------------------------


@dataclass(frozen=True)
class SizeClass:
    """A population size class as the BBSR counts Gemeinden: ``lower <= population < upper``."""

    code: str
    label: str
    lower: int
    upper: int | None  # None: no upper bound


SIZE_CLASSES: tuple[SizeClass, ...] = (
    SizeClass("unter_5000", "unter 5.000 Einwohner", 0, 5_000),
    SizeClass("bis_20000", "5.000 bis unter 20.000 Einwohner", 5_000, 20_000),
    SizeClass("bis_50000", "20.000 bis unter 50.000 Einwohner", 20_000, 50_000),
    SizeClass("bis_100000", "50.000 bis unter 100.000 Einwohner", 50_000, 100_000),
    SizeClass("bis_500000", "100.000 bis unter 500.000 Einwohner", 100_000, 500_000),
    SizeClass("ab_500000", "500.000 Einwohner und mehr", 500_000, None),
)
SIZE_CLASS_BY_CODE = {c.code: c for c in SIZE_CLASSES}


def size_class(population: int | None) -> SizeClass | None:
    """The size class of a population (lower bound inclusive); None without inhabitants
    (unknown, or 0 as in the gemeindefreie Gebiete, which do not report)."""
    if population is None or population <= 0:
        return None
    for c in SIZE_CLASSES:
        if c.upper is None or population < c.upper:
            return c
    raise AssertionError("the last class has no upper bound")  # pragma: no cover


# --- a district's position and urbanisation --------------------------------------------------


@dataclass(frozen=True)
class Place:
    """What the register gives for one Gemeinde: inhabitants, position, urbanisation."""

    population: int | None
    lat: float | None = None
    lon: float | None = None
    urbanisation: int | None = None  # 1 dicht, 2 mittel, 3 gering besiedelt


def weighted_centroid(places: Iterable[Place]) -> tuple[float, float] | None:
    """The population-weighted centroid (lat, lon) of the places that have a position.

    Places without inhabitants weigh nothing; if no positioned place has inhabitants the plain
    mean of the positions is used; None if no place has a position. (A mean of degrees is
    exact enough at the size of a Kreis.)
    """
    positioned = [p for p in places if p.lat is not None and p.lon is not None]
    if not positioned:
        return None
    weights = [max(p.population or 0, 0) for p in positioned]
    total = sum(weights)
    if total == 0:
        weights, total = [1] * len(positioned), len(positioned)
    lat = sum(w * (p.lat or 0.0) for w, p in zip(weights, positioned, strict=True)) / total
    lon = sum(w * (p.lon or 0.0) for w, p in zip(weights, positioned, strict=True)) / total
    return round(lat, 6), round(lon, 6)


def majority_urbanisation(places: Iterable[Place]) -> int | None:
    """The urbanisation class that holds most of the places' population (ties go to the
    denser class); None if no inhabited place has a class."""
    totals: dict[int, int] = {}
    for p in places:
        if p.urbanisation is not None and p.population and p.population > 0:
            totals[p.urbanisation] = totals.get(p.urbanisation, 0) + p.population
    if not totals:
        return None
    return min(totals, key=lambda code: (-totals[code], code))


# --- the previous cycle ------------------------------------------------------------------------


@dataclass(frozen=True)
class CycleRef:
    """A cycle as the definition needs it: its code and when its period ends."""

    code: str
    period_end: date


def previous_cycle(cycle: CycleRef, published_in: Iterable[CycleRef]) -> CycleRef | None:
    """The most recent cycle before ``cycle`` (by period end) among the cycles in which the
    municipality has a published report; None if there is none. Equal period ends: the
    greater code."""
    earlier = [c for c in published_in if c.period_end < cycle.period_end and c.code != cycle.code]
    return max(earlier, key=lambda c: (c.period_end, c.code), default=None)
