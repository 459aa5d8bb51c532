"""Normalisation bases: values per inhabitant or per allocated person, never divided by zero."""

from __future__ import annotations

from typing import Any

import pytest

from omk.compare import bases
from omk.compare.bases import BASES, BASIS_LABELS, allocated_of, normalise
from omk.content import Indicator, load_content


def _indicator(normalise: str) -> Indicator:
    return Indicator(
        code="x.y", criterion="x", label="x", unit="x", type="count", normalise=normalise
    )


@pytest.mark.parametrize(
    ("basis", "value", "population", "allocated", "expected"),
    [
        ("per_1000_inhabitants", 412, 582760, None, 412 / 582760 * 1000),
        ("per_10000_inhabitants", 3.5, 582760, None, 3.5 / 582760 * 10000),
        ("per_inhabitant", 450000, 582760, None, 450000 / 582760),
        ("per_100_allocated", 120, None, 412, 120 / 412 * 100),
        ("per_1000_inhabitants", 5, 0, 10, None),  # gemeindefreies Gebiet
        ("per_1000_inhabitants", 5, None, 10, None),
        ("per_1000_inhabitants", 5, -3, 10, None),  # never a negative denominator
        ("per_100_allocated", 5, 1000, 0, None),  # nobody allocated
        ("per_100_allocated", 5, 1000, None, None),  # allocations not reported
    ],
)
def test_normalise_never_divides_by_zero(
    basis: str, value: float, population: int | None, allocated: float | None, expected: Any
) -> None:
    result = normalise(_indicator(basis), value, population=population, allocated=allocated)
    assert result is not None and result.basis.code == basis
    if expected is None:
        assert result.value is None and result.reason
    else:
        assert result.value == pytest.approx(expected)


def test_no_basis_or_no_value_gives_no_normalised_value() -> None:
    assert normalise(_indicator("none"), 5, population=10, allocated=10) is None
    assert normalise(_indicator("per_inhabitant"), None, population=10, allocated=1) is None


def test_the_reason_names_the_missing_denominator() -> None:
    def reason(basis: str, population: int | None, allocated: float | None) -> str | None:
        result = normalise(_indicator(basis), 1, population=population, allocated=allocated)
        assert result is not None
        return result.reason

    assert reason("per_inhabitant", 0, None) == bases.NO_POPULATION
    assert reason("per_100_allocated", 10, None) == bases.ALLOCATED_MISSING
    assert reason("per_100_allocated", 10, 0) == bases.NONE_ALLOCATED


def test_normalise_needs_only_a_basis_code() -> None:
    """Plain data: anything with a ``normalise`` attribute will do, no catalogue object."""

    class Row:
        normalise = "per_1000_inhabitants"

    result = normalise(Row(), 2, population=1000, allocated=None)
    assert result is not None and result.value == pytest.approx(2.0)


def test_allocated_comes_from_the_allocations_indicator() -> None:
    assert allocated_of({"unterbringung.zuweisungen": 412}) == 412.0
    assert allocated_of({"unterbringung.zuweisungen": None}) is None
    assert allocated_of({}) is None


def test_one_label_per_basis_and_every_catalogue_basis_is_known() -> None:
    """The bases and their labels are defined once; the catalogue uses only known codes."""
    assert set(BASES) == set(BASIS_LABELS) - {"none"}
    for code, basis in BASES.items():
        assert basis.code == code and basis.label == BASIS_LABELS[code]
        assert basis.per > 0 and basis.denominator in ("population", "allocated")
    used = {i.normalise for i in load_content().indicators.values()}
    assert used <= set(BASIS_LABELS)
