"""The scoreboard with known answers: every cell of the JER table, every band boundary,
statistics computed by hand, and the rules for small groups and missing previous cycles."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import yaml

from omk.compare import scoreboard, stats
from omk.compare.scoreboard import BANDS, band, bands_of, classify, parse_table

ROOT = Path(__file__).resolve().parents[2]

#: The table exactly as issue 11 writes it (level ↓ × change →), in German labels.
ISSUE_TABLE = {
    "sehr gut": ["beste Ergebnisse", "beste Ergebnisse", "beste Ergebnisse",
                 "besser als der Durchschnitt", "gut, aber zu beobachten"],
    "gut": ["beste Ergebnisse", "besser als der Durchschnitt", "besser als der Durchschnitt",
            "durchschnittlich", "gut, aber zu beobachten"],
    "durchschnittlich": ["besser als der Durchschnitt", "durchschnittlich", "durchschnittlich",
                         "durchschnittlich", "zu beobachten"],
    "schwach": ["schwach, aber aufholend", "zu beobachten", "zu beobachten", "zu beobachten",
                "kritische Lage"],
    "sehr schwach": ["schwach, aber aufholend", "kritische Lage", "kritische Lage",
                     "kritische Lage", "kritische Lage"],
}  # fmt: skip


@pytest.fixture(scope="module")
def table() -> scoreboard.Table:
    return parse_table(yaml.safe_load((ROOT / "content" / "scoreboard.yaml").read_text("utf-8")))


@pytest.mark.parametrize("level", BANDS)
@pytest.mark.parametrize("change", BANDS)
def test_every_cell_of_the_table(table: scoreboard.Table, level: str, change: str) -> None:
    expected = ISSUE_TABLE[scoreboard.BAND_LABELS[level]][BANDS.index(change)]
    assert scoreboard.CATEGORY_LABELS[table.category(level, change)] == expected


@pytest.mark.parametrize(
    ("z", "expected"),
    [
        (5.0, "sehr_gut"),
        (math.nextafter(1.0, 2.0), "sehr_gut"),
        (1.0, "gut"),
        (math.nextafter(0.5, 1.0), "gut"),
        (0.5, "durchschnittlich"),
        (0.0, "durchschnittlich"),
        (-0.5, "durchschnittlich"),
        (math.nextafter(-0.5, -1.0), "schwach"),
        (-1.0, "schwach"),
        (math.nextafter(-1.0, -2.0), "sehr_schwach"),
        (-7.0, "sehr_schwach"),
    ],
)
def test_band_boundaries_are_inclusive_at_the_inner_edge(z: float, expected: str) -> None:
    assert band(z) == expected


def test_each_cell_is_reached_through_classify(table: scoreboard.Table) -> None:
    """Member 0's level z and change z are placed in each band by construction."""
    z_for = {"sehr_gut": 1.5, "gut": 0.75, "durchschnittlich": 0.0, "schwach": -0.75,
             "sehr_schwach": -1.5}  # fmt: skip
    for level in BANDS:
        for change in BANDS:
            values = _with_z(z_for[level])
            changes = _with_z(z_for[change])
            got, too_few = classify(values, changes, "higher", table)
            assert not too_few
            assert (got[0].level_band, got[0].change_band) == (level, change)
            assert got[0].category == table.category(level, change)


def _with_z(z: float) -> list[float | None]:
    """Six values whose first has z-score ``z`` (population formula)."""
    # x = z; five more with mean -z/5 (total mean 0) and deviations ±d, ±d, 0 chosen so
    # that the sum of squares is 6 (population variance 1).
    rest = -z / 5
    d = math.sqrt((6 - z * z - 5 * rest * rest) / 4)
    values: list[float | None] = [z, rest + d, rest - d, rest + d, rest - d, rest]
    return values


def test_statistics_by_hand() -> None:
    s = stats.summarise([1.0, 2.0, 3.0, 4.0, 10.0, None])
    assert (s.n, s.missing, s.median, s.q1, s.q3, s.mean) == (5, 1, 3.0, 2.0, 4.0, 4.0)
    assert s.sd == pytest.approx(math.sqrt(10))
    assert s.outlier(10.0) == "outlier_high"
    assert s.outlier(7.0) is None  # q3 + 1.5 × IQR = 7 exactly: inside
    assert s.outlier(-1.0) is None and s.outlier(-1.5) == "outlier_low"
    even = stats.summarise([10.0, 20.0, 30.0, 40.0])
    assert (even.q1, even.median, even.q3) == (17.5, 25.0, 32.5)


@pytest.mark.parametrize(
    "values", [[3.0], [1.0, 7.0], [5.0, 1.0, 9.0, 2.0, 2.0, 8.5, 0.1], list(range(17))]
)
def test_quartiles_equal_numpy_percentile(values: list[float]) -> None:
    for q in (25, 50, 75, 10, 90):
        assert stats.percentile(values, q) == pytest.approx(float(np.percentile(values, q)))
    assert stats.sd(values) == pytest.approx(float(np.std(values)))


def test_known_group_is_classified_by_hand(table: scoreboard.Table) -> None:
    values = [1.0, 2.0, 3.0, 4.0, 10.0]  # mean 4, sd √10 ≈ 3.162
    # z: -0.949 schwach, -0.632 schwach, -0.316 durchschnittlich, 0 durchschnittlich, 1.897 sehr gut
    changes = [3.0, -1.0, 0.0, 0.0, -2.0]  # mean 0, sd √2.8 ≈ 1.673
    # z: 1.793 sehr gut, -0.598 schwach, 0, 0, -1.195 sehr schwach
    got, too_few = classify(values, changes, "higher", table)
    assert not too_few
    assert [g.level_band for g in got] == ["schwach", "schwach", "durchschnittlich",
                                          "durchschnittlich", "sehr_gut"]  # fmt: skip
    assert [g.change_band for g in got] == ["sehr_gut", "schwach", "durchschnittlich",
                                           "durchschnittlich", "sehr_schwach"]  # fmt: skip
    assert [g.category for g in got] == ["improving", "watch", "average", "average", "monitor"]


def test_lower_is_better_turns_the_sign(table: scoreboard.Table) -> None:
    got = bands_of([1.0, 2.0, 3.0, 4.0, 10.0], "lower")
    assert got == ["gut", "gut", "durchschnittlich", "durchschnittlich", "sehr_schwach"]


def test_a_standard_deviation_of_zero_is_average(table: scoreboard.Table) -> None:
    got, _ = classify([4.0] * 6, [0.0] * 6, "higher", table)
    assert {(g.level_band, g.change_band, g.category) for g in got} == {
        ("durchschnittlich", "durchschnittlich", "average")
    }


def test_fewer_than_five_members_classify_nothing(table: scoreboard.Table) -> None:
    got, too_few = classify([1.0, 2.0, 3.0, 4.0, None, None], [1.0] * 6, "higher", table)
    assert too_few and all(g.category is None and g.level_band is None for g in got)


def test_no_previous_cycle_gives_the_level_band_only(table: scoreboard.Table) -> None:
    values = [1.0, 2.0, 3.0, 4.0, 10.0, 2.0, 2.0]
    got, _ = classify(values, [None, 1.0, 2.0, None, 0.0, 1.5, 0.5], "higher", table)
    assert got[0].level_band == "schwach" and got[0].category is None
    assert got[1].category is not None


def test_context_indicators_are_never_judged(table: scoreboard.Table) -> None:
    got, too_few = classify([1.0, 2.0, 3.0, 4.0, 10.0], [1.0] * 5, None, table)
    assert not too_few and all(g.level_band is None for g in got)


def test_a_broken_table_is_refused() -> None:
    data = yaml.safe_load((ROOT / "content" / "scoreboard.yaml").read_text("utf-8"))
    data["table"]["gut"] = ["best"] * 4
    with pytest.raises(ValueError, match="row gut"):
        parse_table(data)
