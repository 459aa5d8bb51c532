"""Shared definitions over plain data: levels compared, size classes, a district's position
and urbanisation, the previous cycle."""

from __future__ import annotations

import itertools
from datetime import date

import pytest

from omk.compare.definitions import (
    COMPARISON_LEVEL_LABELS,
    SIZE_CLASS_BY_CODE,
    SIZE_CLASSES,
    ComparisonLevel,
    CycleRef,
    Place,
    comparison_level,
    majority_urbanisation,
    previous_cycle,
    size_class,
    weighted_centroid,
)

# --- levels ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("level", "is_kreisfrei", "expected"),
    [
        ("kreis", False, ComparisonLevel.DISTRICT),  # a Landkreis
        ("kreis", True, ComparisonLevel.DISTRICT),  # a kreisfreie Stadt's Kreis row
        ("gemeinde", True, ComparisonLevel.DISTRICT),  # reports under its 8-digit AGS
        ("gemeinde", False, ComparisonLevel.MUNICIPAL),  # kreisangehörig
        ("gemeindeverband", False, None),
        ("land", False, None),
        ("regierungsbezirk", False, None),
        ("region", False, None),
    ],
)
def test_comparison_level(level: str, is_kreisfrei: bool, expected: ComparisonLevel | None) -> None:
    assert comparison_level(level, is_kreisfrei) == expected


def test_levels_have_stable_codes_and_labels() -> None:
    assert [c.value for c in ComparisonLevel] == ["district", "municipal"]
    assert set(COMPARISON_LEVEL_LABELS) == set(ComparisonLevel)


# --- size classes ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("population", "code"),
    [
        (1, "unter_5000"),
        (4_999, "unter_5000"),
        (5_000, "bis_20000"),  # lower bound inclusive
        (19_999, "bis_20000"),
        (20_000, "bis_50000"),
        (49_999, "bis_50000"),
        (50_000, "bis_100000"),
        (99_999, "bis_100000"),
        (100_000, "bis_500000"),
        (499_999, "bis_500000"),
        (500_000, "ab_500000"),
        (3_664_088, "ab_500000"),  # Berlin
    ],
)
def test_size_class_bounds(population: int, code: str) -> None:
    found = size_class(population)
    assert found is not None and found.code == code
    assert found.lower <= population and (found.upper is None or population < found.upper)


@pytest.mark.parametrize("population", [None, 0, -1])
def test_no_size_class_without_inhabitants(population: int | None) -> None:
    assert size_class(population) is None


def test_size_classes_tile_the_numbers_without_gaps() -> None:
    assert SIZE_CLASSES[0].lower == 0 and SIZE_CLASSES[-1].upper is None
    for lower, upper in itertools.pairwise(SIZE_CLASSES):
        assert lower.upper == upper.lower
    assert len(SIZE_CLASS_BY_CODE) == 6
    assert next(c.label for c in SIZE_CLASSES) == "unter 5.000 Einwohner"
    assert SIZE_CLASSES[-1].label == "500.000 Einwohner und mehr"


# --- a district's position and urbanisation ------------------------------------------------


def test_centroid_is_weighted_by_population() -> None:
    places = [Place(3000, 48.0, 10.0, 1), Place(1000, 49.0, 11.0, 3)]
    lat, lon = weighted_centroid(places) or (0, 0)
    assert lat == pytest.approx(48.25) and lon == pytest.approx(10.25)


def test_centroid_skips_places_without_position_and_weighs_empty_ones_nothing() -> None:
    places = [
        Place(1000, 48.0, 10.0),
        Place(0, 55.0, 15.0),  # gemeindefreies Gebiet with a position: no weight
        Place(5000, None, None),  # no position: left out
    ]
    assert weighted_centroid(places) == (48.0, 10.0)
    assert weighted_centroid([Place(0, 48.0, 10.0), Place(0, 50.0, 12.0)]) == (49.0, 11.0)
    assert weighted_centroid([Place(100)]) is None
    assert weighted_centroid([]) is None


def test_urbanisation_is_the_class_holding_most_inhabitants() -> None:
    # Three villages outnumber the town, but the town holds most of the people.
    places = [Place(2000, urbanisation=3)] * 3 + [Place(7000, urbanisation=2)]
    assert majority_urbanisation(places) == 2
    assert majority_urbanisation([Place(10, urbanisation=3), Place(10, urbanisation=1)]) == 1
    assert majority_urbanisation([Place(0, urbanisation=1), Place(None, urbanisation=2)]) is None
    assert majority_urbanisation([Place(10)]) is None


# --- the previous cycle --------------------------------------------------------------------


def _cycle(code: str, end: str) -> CycleRef:
    return CycleRef(code, date.fromisoformat(end))


def test_previous_cycle_is_the_latest_earlier_published_one() -> None:
    current = _cycle("2025", "2025-12-31")
    published = [
        _cycle("2022", "2022-12-31"),
        _cycle("2024", "2024-12-31"),
        _cycle("2023", "2023-12-31"),
        _cycle("2026", "2026-12-31"),  # later: never the previous one
        _cycle("2025", "2025-12-31"),  # itself
    ]
    assert previous_cycle(current, published) == _cycle("2024", "2024-12-31")


def test_previous_cycle_goes_by_period_end_not_by_code() -> None:
    current = _cycle("B", "2025-12-31")
    assert previous_cycle(current, [_cycle("Z", "2023-06-30"), _cycle("A", "2024-06-30")]) == (
        _cycle("A", "2024-06-30")
    )


def test_no_previous_cycle_without_an_earlier_publication() -> None:
    assert previous_cycle(_cycle("2025", "2025-12-31"), []) is None
    assert previous_cycle(_cycle("2025", "2025-12-31"), [_cycle("2025b", "2025-12-31")]) is None
