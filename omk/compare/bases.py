"""Normalisation bases: how an indicator of a city and one of a village become comparable.

The catalogue (content/indicators.yaml) names a basis per indicator; :func:`normalise` divides
by the population the report was published with, or by the report's own allocations, and
never by zero. Labels and reasons are German message ids, translated where they are shown.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, Protocol

#: The indicator whose value is the "allocated" basis (DOMAIN.md: per 100 allocated).
ALLOCATED = "unterbringung.zuweisungen"

#: Every basis code of the catalogue with its German label (the one definition; the
#: indicator page, the published report and its PDF all show these).
BASIS_LABELS: dict[str, str] = {
    "none": "keine",
    "per_1000_inhabitants": "je 1.000 Einwohner",
    "per_10000_inhabitants": "je 10.000 Einwohner",
    "per_inhabitant": "je Einwohner",
    "per_100_allocated": "je 100 Zugewiesene",
}

#: Why a normalised value is missing (message ids).
NO_POPULATION = "keine Einwohnerzahl im Gemeindeverzeichnis"
ALLOCATED_MISSING = "Zahl der neu Zugewiesenen nicht angegeben"
NONE_ALLOCATED = "keine neu Zugewiesenen im Berichtszeitraum"


@dataclass(frozen=True)
class Basis:
    """A normalisation basis of the catalogue: what is divided by, and by how much scaled."""

    code: str
    label: str  # German message id, from BASIS_LABELS
    per: int
    denominator: Literal["population", "allocated"]  # register population or own allocations


def _basis(code: str, per: int, denominator: Literal["population", "allocated"]) -> Basis:
    return Basis(code, BASIS_LABELS[code], per, denominator)


#: The bases that divide (every code of BASIS_LABELS except "none").
BASES: dict[str, Basis] = {
    "per_1000_inhabitants": _basis("per_1000_inhabitants", 1000, "population"),
    "per_10000_inhabitants": _basis("per_10000_inhabitants", 10000, "population"),
    "per_inhabitant": _basis("per_inhabitant", 1, "population"),
    "per_100_allocated": _basis("per_100_allocated", 100, "allocated"),
}


class HasBasis(Protocol):
    """Anything naming a basis code, such as an indicator of the catalogue."""

    @property
    def normalise(self) -> str: ...


@dataclass(frozen=True)
class Normalised:
    """An indicator value relative to its basis, or why it cannot be computed."""

    basis: Basis
    value: float | None
    reason: str | None = None


def allocated_of(indicators: Mapping[str, float | None]) -> float | None:
    """The persons newly allocated in the period, as a report's indicators state it (or None)."""
    value = indicators.get(ALLOCATED)
    return None if value is None else float(value)


def normalise(
    indicator: HasBasis, value: float | None, *, population: int | None, allocated: float | None
) -> Normalised | None:
    """The value per basis of the catalogue; None when the indicator has no basis or no value.

    A missing or zero denominator (gemeindefreie Gebiete have population 0; a report may
    allocate nobody) gives a :class:`Normalised` without value and with the reason.
    """
    basis = BASES.get(indicator.normalise)
    if basis is None or value is None:
        return None
    if basis.denominator == "population":
        if not population or population <= 0:
            return Normalised(basis, None, NO_POPULATION)
        return Normalised(basis, value / population * basis.per)
    if allocated is None:
        return Normalised(basis, None, ALLOCATED_MISSING)
    if allocated <= 0:
        return Normalised(basis, None, NONE_ALLOCATED)
    return Normalised(basis, value / allocated * basis.per)
