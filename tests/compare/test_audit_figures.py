"""Audit of the comparison figures against independent computations (numpy, statistics,
exact fractions, z-scores by hand) on unusual but realistic municipal data.

Each test asserts behaviour users rely on (README "Comparison and scoreboard", DOMAIN.md
"Shared definitions"). Six of them failed when the audit was written (2026-12-07): equal
decimal values banded on rounding noise, z exactly on a band's edge and a value exactly on an
outlier fence judged on the last bit, a parallel cycle taken as the previous one, ties among
equally similar peers broken by rounding, CSV and API rows in key order.
"""

from __future__ import annotations

import csv
import io
import math
import statistics
from datetime import date
from fractions import Fraction
from typing import Any

import numpy as np
import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from omk.compare import bases, peers, scoreboard, stats
from omk.compare.definitions import size_class
from omk.compare.peers import GroupKind
from omk.extensions import db
from omk.models import Report, User
from omk.models.register import Municipality
from omk.models.reporting import Revision
from omk.services import compare as service
from omk.services import reports
from omk.services.compare import store
from omk.services.compare.figures import reading_live
from omk.views.compare import number_cell, text_cell
from tests import factories
from tests.conftest import login

# --- independent references ------------------------------------------------------------


def ref_z(values: list[float], direction: str = "higher") -> list[float]:
    """z-scores by hand: population mean and standard deviation (statistics.pstdev)."""
    m = statistics.fmean(values)
    s = statistics.pstdev(values)
    sign = -1 if direction == "lower" else 1
    return [sign * (v - m) / s for v in values]


def ref_band(z: float) -> str:
    """README: sehr gut z > 1, gut 0.5 < z <= 1, durchschnittlich -0.5 <= z <= 0.5,
    schwach -1 <= z < -0.5, sehr schwach z < -1."""
    if z > 1:
        return "sehr_gut"
    if 0.5 < z <= 1:
        return "gut"
    if -0.5 <= z <= 0.5:
        return "durchschnittlich"
    if -1 <= z < -0.5:
        return "schwach"
    return "sehr_schwach"


def exact_bands(decimals: list[str], direction: str) -> list[str]:
    """The bands of values as typed (decimal strings), computed exactly with fractions:
    z > t  ⇔  sign·(x − mean) > t·sd, compared squared so that no root is taken."""
    xs = [Fraction(d) for d in decimals]
    m = sum(xs) / len(xs)
    var = sum((x - m) ** 2 for x in xs) / len(xs)
    sign = -1 if direction == "lower" else 1

    def cmp(num: Fraction, t: Fraction) -> int:  # sign of (num/sd - t)
        lhs, rhs = num, t  # compare num with t*sd
        if lhs >= 0 and rhs <= 0:
            return 0 if lhs == 0 and rhs == 0 else 1
        if lhs <= 0 and rhs >= 0:
            return -1
        a, b = lhs * lhs, rhs * rhs * var
        if lhs > 0:
            return (a > b) - (a < b)
        return (b > a) - (b < a)

    out = []
    for x in xs:
        num = sign * (x - m)
        if cmp(num, Fraction(1)) > 0:
            out.append("sehr_gut")
        elif cmp(num, Fraction(1, 2)) > 0:
            out.append("gut")
        elif cmp(num, Fraction(-1, 2)) >= 0:
            out.append("durchschnittlich")
        elif cmp(num, Fraction(-1)) >= 0:
            out.append("schwach")
        else:
            out.append("sehr_schwach")
    return out


def exact_outliers(decimals: list[str]) -> list[str | None]:
    """Tukey's fences on the values as typed, exactly (linear interpolation as numpy)."""
    xs = [Fraction(d) for d in decimals]
    ordered = sorted(xs)

    def q(p: int) -> Fraction:
        pos = Fraction(len(ordered) - 1) * p / 100
        lo = math.floor(pos)
        hi = min(lo + 1, len(ordered) - 1)
        return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)

    q1, q3 = q(25), q(75)
    fence = Fraction(3, 2) * (q3 - q1)
    return [
        "outlier_high" if x > q3 + fence else "outlier_low" if x < q1 - fence else None for x in xs
    ]


TABLE = scoreboard.Table(
    {
        "sehr_gut": dict(
            zip(scoreboard.BANDS, ["best", "best", "best", "better", "monitor"], strict=False)
        ),
        "gut": dict(
            zip(scoreboard.BANDS, ["best", "better", "better", "average", "monitor"], strict=False)
        ),
        "durchschnittlich": dict(
            zip(
                scoreboard.BANDS, ["better", "average", "average", "average", "watch"], strict=False
            )
        ),
        "schwach": dict(
            zip(
                scoreboard.BANDS, ["improving", "watch", "watch", "watch", "critical"], strict=False
            )
        ),
        "sehr_schwach": dict(
            zip(
                scoreboard.BANDS,
                ["improving", "critical", "critical", "critical", "critical"],
                strict=False,
            )
        ),
    }
)

# realistic figures: per-1,000 rates, percentages, counts, budgets (large), zeros, ties
municipal_value = st.one_of(
    st.integers(min_value=0, max_value=5000).map(float),
    st.floats(min_value=0, max_value=100, allow_nan=False, allow_infinity=False),
    st.floats(min_value=0, max_value=1e9, allow_nan=False, allow_infinity=False),
    st.sampled_from([0.0, 0.1, 0.2, 0.3, 61.5, 412.0]),
)
value_lists = st.lists(municipal_value, min_size=1, max_size=150)


# --- stats: median, quartiles, mean, sd ------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(value_lists)
def test_quartiles_mean_and_sd_match_numpy_and_statistics(values: list[float]) -> None:
    s = stats.summarise(values)
    assert s.n == len(values) and s.missing == 0
    for got, q in ((s.q1, 25), (s.median, 50), (s.q3, 75)):
        want = float(np.percentile(values, q))  # method "linear", numpy's default
        assert got == pytest.approx(want, rel=1e-12, abs=1e-9)
    assert s.mean == pytest.approx(statistics.fmean(values), rel=1e-12, abs=1e-9)
    # values that are not all equal may leave a rounding residue of ~1e-16 × the values
    scale = max(1.0, max(abs(v) for v in values))
    assert s.sd == pytest.approx(statistics.pstdev(values), rel=1e-9, abs=1e-15 * scale)


def test_a_single_member() -> None:
    s = stats.summarise([7.5, None, None])
    assert (s.n, s.missing, s.q1, s.median, s.q3, s.mean, s.sd) == (1, 2, 7.5, 7.5, 7.5, 7.5, 0.0)
    assert s.outlier(7.5) is None and s.iqr == 0


def test_two_members_interpolate_between_them() -> None:
    s = stats.summarise([30.0, 10.0])
    assert (s.q1, s.median, s.q3) == (15.0, 20.0, 25.0)
    assert s.sd == statistics.pstdev([10.0, 30.0]) == 10.0


def test_nobody_with_a_value() -> None:
    s = stats.summarise([None, None])
    assert (s.n, s.missing, s.median, s.sd) == (2 - 2, 2, None, None)
    assert s.outlier(None) is None


def test_large_groups_sort_with_numpy_and_agree() -> None:
    values = [float((i * 7919) % 1000) / 7 for i in range(5000)] + [0.0] * 100 + [1e9]
    s = stats.summarise(values)
    assert s.median == pytest.approx(float(np.percentile(values, 50)), rel=1e-12)
    assert s.q1 == pytest.approx(float(np.percentile(values, 25)), rel=1e-12)
    assert s.q3 == pytest.approx(float(np.percentile(values, 75)), rel=1e-12)
    assert s.outlier(1e9) == "outlier_high"


# --- outliers: beyond 1.5 × IQR, the fence itself is not an outlier ----------------------------


def test_a_value_exactly_at_the_fence_is_no_outlier() -> None:
    s = stats.summarise([0.0, 1.0, 2.0, 3.0, 6.0])  # q1 1, q3 3, IQR 2: fences -2 and 6
    assert s.outlier(6.0) is None and s.outlier(6.000001) == "outlier_high"
    s = stats.summarise([2.0, 5.0, 6.0, 7.0, 8.0])  # q1 5, q3 7: lower fence 2
    assert s.outlier(2.0) is None and s.outlier(1.999999) == "outlier_low"


def test_equal_values_have_no_outliers_but_any_other_value_is_one() -> None:
    s = stats.summarise([4.0] * 6)
    assert s.iqr == 0 and s.outlier(4.0) is None
    assert s.outlier(4.5) == "outlier_high"  # Tukey with IQR 0, as documented


def test_a_decimal_value_exactly_at_the_fence_is_no_outlier() -> None:
    typed = ["0.1", "0.3", "0.5", "0.7", "1.3"]  # q1 0.3, q3 0.7, IQR 0.4: fence 1.3
    assert exact_outliers(typed) == [None] * 5
    s = stats.summarise([float(t) for t in typed])
    assert [s.outlier(float(t)) for t in typed] == [None] * 5


# --- bands: boundaries, equal values, lower is better -----------------------------------------


@pytest.mark.parametrize(
    ("z", "want"),
    [
        (1.0, "gut"),
        (math.nextafter(1.0, 2), "sehr_gut"),
        (0.5, "durchschnittlich"),
        (math.nextafter(0.5, 1), "gut"),
        (0.0, "durchschnittlich"),
        (-0.5, "durchschnittlich"),
        (math.nextafter(-0.5, -1), "schwach"),
        (-1.0, "schwach"),
        (math.nextafter(-1.0, -2), "sehr_schwach"),
    ],
)
def test_band_boundaries_as_documented(z: float, want: str) -> None:
    assert scoreboard.band(z) == want == ref_band(z)


def test_integer_data_on_the_boundaries() -> None:
    # mean 3, sd 1 exactly: z = -2 … +2 and the boundaries ±1 hit exactly
    values = [1.0, 2.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 4.0, 5.0]
    assert statistics.pstdev(values) == 1.0
    assert scoreboard.bands_of(values, "higher") == [ref_band(z) for z in ref_z(values)]
    assert scoreboard.bands_of(values, "higher")[1] == "schwach"  # z = -1
    assert scoreboard.bands_of(values, "higher")[8] == "gut"  # z = +1
    # lower is better: the signs swap, the inclusive edges stay inclusive
    assert scoreboard.bands_of(values, "lower")[1] == "gut"
    assert scoreboard.bands_of(values, "lower")[8] == "schwach"
    # z = ±0.5 exactly: 60, 60, 60, 67, 74 (mean 64.2, sd 5.6)
    pct = [60.0, 60.0, 60.0, 67.0, 74.0]
    assert scoreboard.bands_of(pct, "higher")[3] == "durchschnittlich"
    assert scoreboard.bands_of(pct, "lower")[3] == "durchschnittlich"


@pytest.mark.parametrize(
    ("typed", "direction"),
    [
        (["6.0", "6.0", "6.0", "6.7", "7.4"], "lower"),  # months in shared accommodation
        (["12.5", "12.5", "12.5", "13.2", "13.9"], "higher"),
        (["0.1", "0.1", "0.1", "0.2", "0.2", "0.2"], "higher"),  # z exactly ±1
    ],
)
def test_decimal_data_on_the_boundaries(typed: list[str], direction: str) -> None:
    got = scoreboard.bands_of([float(t) for t in typed], direction)  # type: ignore[arg-type]
    assert got == exact_bands(typed, direction)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(st.lists(municipal_value, min_size=2, max_size=60), st.sampled_from(["higher", "lower"]))
def test_bands_match_hand_z_scores_away_from_the_edges(values: list[float], direction: str) -> None:
    if statistics.pstdev(values) < 1e-6 * max(1.0, max(abs(v) for v in values)):
        return
    zs = ref_z(values, direction)
    got = scoreboard.bands_of(values, direction)  # type: ignore[arg-type]
    for z, b in zip(zs, got, strict=True):
        if min(abs(abs(z) - 0.5), abs(abs(z) - 1)) > 1e-9:
            assert b == ref_band(z)


def test_all_values_equal_are_average_not_undefined() -> None:
    assert scoreboard.bands_of([3.5] * 6, "higher") == ["durchschnittlich"] * 6
    assert scoreboard.bands_of([0.0] * 5 + [None], "lower") == ["durchschnittlich"] * 5 + [None]


@pytest.mark.parametrize("value", [0.1, 0.7, 12.7])
def test_equal_decimal_values_are_average(value: float) -> None:
    assert statistics.pstdev([value] * 6) == 0
    assert scoreboard.bands_of([value] * 6, "higher") == ["durchschnittlich"] * 6
    out, _ = scoreboard.classify([value] * 6, [0.0] * 6, "higher", TABLE)
    assert {c.category for c in out} == {"average"}


def test_lower_is_better_negates() -> None:
    values = [2.0, 4.0, 6.0, 8.0, 30.0]  # months: 30 is the worst
    zs = ref_z(values, "lower")
    assert scoreboard.bands_of(values, "lower") == [ref_band(z) for z in zs]
    assert scoreboard.bands_of(values, "lower")[-1] == "sehr_schwach"
    assert scoreboard.bands_of(values, "higher")[-1] == "sehr_gut"


# --- classification --------------------------------------------------------------------------


def test_fewer_than_five_members_with_a_value_classify_nothing() -> None:
    values: list[float | None] = [1.0, 2.0, 3.0, 4.0, None, None]
    out, too_few = scoreboard.classify(values, [0.0] * 6, "higher", TABLE)
    assert too_few and all(c == scoreboard.Classified(None, None, None) for c in out)
    out, too_few = scoreboard.classify([1.0, 2.0, 3.0, 4.0, 5.0], [None] * 5, "higher", TABLE)
    assert not too_few and all(c.level_band for c in out)


def test_context_figures_are_never_judged() -> None:
    out, too_few = scoreboard.classify([1.0] * 10, [1.0] * 10, None, TABLE)
    assert not too_few and all(c.category is None and c.level_band is None for c in out)


def test_change_z_is_over_the_members_with_a_change_only() -> None:
    values: list[float | None] = [10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0, 80.0, None]
    # members 0, 1, 2 have no previous cycle; member 8 has a change but no value now
    changes: list[float | None] = [None, None, None, -5.0, 0.0, 20.0, 3.0, 7.0, 99.0]
    out, too_few = scoreboard.classify(values, changes, "higher", TABLE)
    assert not too_few
    level = [ref_band(z) for z in ref_z([10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0, 80.0])]
    assert [c.level_band for c in out] == [*level, None]
    change = [ref_band(z) for z in ref_z([-5.0, 0.0, 20.0, 3.0, 7.0])]  # 99 is not counted
    assert [c.change_band for c in out] == [None, None, None, *change, None]


def test_fewer_than_five_changes_give_the_level_only() -> None:
    """Two changes would always read +1 and -1 (gut / schwach), whatever they are."""
    values: list[float | None] = [10.0, 20.0, 30.0, 40.0, 50.0, 60.0]
    changes: list[float | None] = [None, None, None, None, -0.1, 0.1]
    out, too_few = scoreboard.classify(values, changes, "higher", TABLE)
    assert not too_few
    assert all(c.level_band is not None for c in out)
    assert all(c.change_band is None and c.category is None for c in out)


def test_lower_is_better_negates_the_change_too() -> None:
    values = [6.0, 6.0, 6.0, 6.0, 6.0, 6.0]
    changes: list[float | None] = [-3.0, 0.0, 0.0, 0.0, 0.0, 3.0]  # months: shorter is better
    out, _ = scoreboard.classify(values, changes, "lower", TABLE)
    want = [ref_band(z) for z in ref_z([-3.0, 0.0, 0.0, 0.0, 0.0, 3.0], "lower")]
    assert [c.change_band for c in out] == want
    assert out[0].change_band == "sehr_gut" and out[-1].change_band == "sehr_schwach"


# --- bases ---------------------------------------------------------------------------------


class Ind:
    def __init__(self, normalise: str) -> None:
        self.normalise = normalise


@pytest.mark.parametrize(
    ("basis", "value", "population", "allocated", "want", "reason"),
    [
        ("per_1000_inhabitants", 412, 120719, None, 412 / 120719 * 1000, None),
        ("per_10000_inhabitants", 3.5, 1087863, None, 3.5 / 1087863 * 10000, None),
        ("per_inhabitant", 450000, 1658, None, 450000 / 1658, None),
        ("per_inhabitant", 0, 1658, None, 0.0, None),
        ("per_inhabitant", 5e9, 683, None, 5e9 / 683, None),
        ("per_1000_inhabitants", 412, 0, None, None, bases.NO_POPULATION),
        ("per_1000_inhabitants", 412, None, None, None, bases.NO_POPULATION),
        ("per_1000_inhabitants", 412, -5, None, None, bases.NO_POPULATION),
        ("per_100_allocated", 85, None, 412.0, 85 / 412 * 100, None),
        ("per_100_allocated", 0, None, 412.0, 0.0, None),
        ("per_100_allocated", 85, 5000, 0.0, None, bases.NONE_ALLOCATED),
        ("per_100_allocated", 85, 5000, None, None, bases.ALLOCATED_MISSING),
    ],
)
def test_normalise(
    basis: str,
    value: float,
    population: int | None,
    allocated: float | None,
    want: float | None,
    reason: str | None,
) -> None:
    got = bases.normalise(Ind(basis), value, population=population, allocated=allocated)
    assert got is not None and got.reason == reason
    assert got.value == (None if want is None else pytest.approx(want, rel=1e-15))


def test_no_basis_and_no_value() -> None:
    assert bases.normalise(Ind("none"), 61.5, population=0, allocated=0) is None
    assert bases.normalise(Ind("per_1000_inhabitants"), None, population=10, allocated=1) is None


# --- peers ---------------------------------------------------------------------------------


def C(key: str, population: int | None, area: float | None) -> peers.Candidate:
    return peers.Candidate(key, population, area)


def test_similar_distance_by_hand() -> None:
    target = C("t", 10000, 100.0)
    others = [C("a", 20000, 100.0), C("b", 10000, 50.0), C("c", 5000, 200.0)]
    feats = [(math.log(p), math.log(p / a)) for p, a in [(20000, 100), (10000, 50), (5000, 200)]]
    own = (math.log(10000), math.log(100))
    allx = [f[0] for f in feats] + [own[0]]
    ally = [f[1] for f in feats] + [own[1]]
    sx, sy = statistics.pstdev(allx), statistics.pstdev(ally)
    want = {
        k: math.hypot((f[0] - own[0]) / sx, (f[1] - own[1]) / sy)
        for k, f in zip("abc", feats, strict=True)
    }
    got = peers.distances(target, others)
    assert got.keys() == want.keys()
    for k in want:
        assert got[k] == pytest.approx(want[k], rel=1e-12)


def test_ties_in_distance_go_by_key_and_k_caps() -> None:
    target = C("06632005", 2000, 20.0)
    # "b" and "a" are twins: same distance; order by key
    others = [C("b", 3000, 30.0), C("a", 3000, 30.0), C("z", 2000, 20.0)]
    got = peers.distances(target, others)
    assert got["a"] == got["b"] and got["z"] == 0
    assert peers.most_similar(target, others, 2) == ["06632005", "z", "a"]
    # k larger than the pool: everyone placeable, once, the target first
    assert peers.most_similar(target, others, 50) == ["06632005", "z", "a", "b"]
    assert peers.clamp_k(0) == 1 and peers.clamp_k(500) == 50 and peers.clamp_k(None) == 10


def test_mirror_image_peers_are_a_tie_broken_by_key() -> None:
    target = C("06632005", 2000, 20.0)
    others = [C("b", 4000, 20.0), C("a", 1000, 20.0), C("z", 2000, 20.0)]
    assert peers.most_similar(target, others, 2) == ["06632005", "z", "a"]


def test_municipalities_without_population_or_area_cannot_be_placed() -> None:
    target = C("t", 2000, 20.0)
    others = [
        C("noarea", 2000, None),
        C("nopop", None, 20.0),
        C("zero", 0, 21.1),
        C("ok", 3000, 30.0),
    ]
    assert peers.most_similar(target, others, 10) == ["t", "ok"]
    # the target itself without an area: only itself
    assert peers.most_similar(C("t", 2000, None), others, 10) == ["t"]
    # the target is never its own peer, even if listed among the candidates
    assert peers.most_similar(target, [target, *others], 10) == ["t", "ok"]


@pytest.mark.parametrize(
    ("population", "code"),
    [
        (0, None),
        (None, None),
        (1, "unter_5000"),
        (4999, "unter_5000"),
        (5000, "bis_20000"),
        (19999, "bis_20000"),
        (20000, "bis_50000"),
        (50000, "bis_100000"),
        (100000, "bis_500000"),
        (499999, "bis_500000"),
        (500000, "ab_500000"),
        (3_700_000, "ab_500000"),
    ],
)
def test_size_classes_lower_bound_inclusive(population: int | None, code: str | None) -> None:
    found = size_class(population)
    assert (found.code if found else None) == code


# --- CSV cells -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        (None, ""),
        (0.0, "0"),
        (-0.0, "0"),
        (35.0, "35"),
        (-10.0, "-10"),
        (41.666666666666664, "41,666667"),
        (-0.5, "-0,5"),
        (0.1 + 0.2, "0,3"),
        (450000.0, "450000"),
        (271.40, "271,4"),
        (12345678.5, "12345678,5"),
        (6, "6"),
    ],
)
def test_number_cells_for_german_excel(value: float | None, cell: str) -> None:
    assert number_cell(value) == cell


def test_text_cells_are_guarded_numbers_are_not() -> None:
    assert text_cell("-Sonderrunde") == "'-Sonderrunde" and text_cell("+1") == "'+1"
    assert text_cell("@x") == "'@x" and text_cell("\tx") == "'\tx" and text_cell("\rx") == "'\rx"
    assert text_cell("Bad Hersfeld, Kreisstadt") == "Bad Hersfeld, Kreisstadt"
    assert number_cell(-3.25) == "-3,25"  # a negative number stays a number


def test_jump_factor() -> None:
    assert not service.jumped(300, 100, 3) and service.jumped(301, 100, 3)
    assert not service.jumped(100 / 3, 100, 3) and service.jumped(33, 100, 3)
    assert service.jumped(0, 5, 3) and not service.jumped(0, 0, 3)


# --- through the database ----------------------------------------------------------------------

KREIS = "06632"
SIX = [f"0663200{i}" for i in range(1, 7)]
LEVEL = "unterbringung.dezentral_anteil"  # no basis, higher is better
PER_1000 = "zivilgesellschaft.ehrenamtliche_aktiv"  # per 1,000 inhabitants
COUNTED = "sprache_bildung.kita_kinder"  # per 100 allocated


def publish(admin: User, ags: str, cycle: str, values: dict[str, float | None]) -> Report:
    doc = factories.document(ags, cycle)
    for code, value in values.items():
        if value is None:
            doc["indicators"].pop(code, None)
        else:
            doc["indicators"][code] = value
    report, _ = reports.import_document(admin, doc, publish=True)
    return report


def cycle_of(code: str, year: int, **kw: Any) -> Any:
    return factories.make_cycle(
        code,
        period_start=kw.pop("start", date(year, 1, 1)),
        period_end=kw.pop("end", date(year, 12, 31)),
        deadline=date(year + 1, 3, 31),
    )


@pytest.fixture
def admin(make_user: Any) -> User:
    return make_user("admin")


def region_comparison(
    user: User, cycle: Any, codes: list[str], level: Any = service.GroupSpec.level
) -> Any:
    spec = service.GroupSpec(GroupKind.REGION, region=KREIS, level=level)
    return service.compare(user, cycle, spec, codes)


def both_ways(user: User, cycle: Any, codes: list[str], **kw: Any) -> list[Any]:
    """The comparison from the revisions and from the stored figures."""
    with reading_live():
        live = region_comparison(user, cycle, codes, **kw)
    store.rebuild()
    assert store.is_current()
    stored = region_comparison(user, cycle, codes, **kw)
    return [live, stored]


def test_a_cycle_missing_in_the_middle(app: Flask, admin: User) -> None:
    """2023 and 2025 published, nobody in 2024: the trend has an empty 2024 point, the
    previous cycle is 2023 and the change is measured against it."""
    for code, year in (("2023", 2023), ("2024", 2024)):
        cycle_of(code, year)
    now = cycle_of("2025", 2025)
    v23 = [10.0, 20.0, 30.0, 40.0, 50.0, 60.0]
    v25 = [15.0, 20.0, 25.0, 50.0, 50.0, 90.0]
    for ags, a, b in zip(SIX, v23, v25, strict=True):
        publish(admin, ags, "2023", {LEVEL: a})
        publish(admin, ags, "2025", {LEVEL: b})
    for result in both_ways(admin, now, [LEVEL]):
        ic = result.indicators[0]
        assert [(t.cycle, t.n) for t in ic.trend] == [("2023", 6), ("2024", 0), ("2025", 6)]
        assert [t.median for t in ic.trend] == [
            float(np.percentile(v23, 50)),
            None,
            float(np.percentile(v25, 50)),
        ]
        assert [r.previous_cycle for r in ic.rows] == ["2023"] * 6
        changes = [b - a for a, b in zip(v23, v25, strict=True)]
        assert [r.change for r in ic.rows] == changes
        assert [r.change_band for r in ic.rows] == [ref_band(z) for z in ref_z(changes)]
        assert [r.level_band for r in ic.rows] == [ref_band(z) for z in ref_z(v25)]


def test_only_some_members_have_a_previous_cycle(app: Flask, admin: User, make_user: Any) -> None:
    """Change z-scores over the five members with a previous published report; a draft in
    the previous cycle does not count; the other one is classified by level only."""
    cycle_of("2024", 2024)
    now = cycle_of("2025", 2025)
    v25 = [12.0, 20.0, 33.0, 41.0, 58.0, 70.0]
    for ags, v in zip(SIX, v25, strict=True):
        publish(admin, ags, "2025", {LEVEL: v})
    previous = {SIX[0]: 20.0, SIX[2]: 30.0, SIX[3]: 45.0, SIX[4]: 50.0, SIX[5]: 61.0}
    for ags, v in previous.items():
        publish(admin, ags, "2024", {LEVEL: v})
    draft = factories.document(SIX[1], "2024")  # a draft only: no previous cycle
    draft["indicators"][LEVEL] = 1.0
    reports.import_document(make_user("reporter", municipality=SIX[1]), draft)
    for result in both_ways(admin, now, [LEVEL]):
        rows = {r.member.key: r for r in result.indicators[0].rows}
        with_previous = [i for i, ags in enumerate(SIX) if ags in previous]
        changes = [v25[i] - previous[SIX[i]] for i in with_previous]
        want = dict(
            zip([SIX[i] for i in with_previous], [ref_band(z) for z in ref_z(changes)], strict=True)
        )
        for ags in SIX:
            r = rows[ags]
            if ags in previous:
                assert r.previous_cycle == "2024" and r.change_band == want[ags]
                assert r.category is not None
            else:
                assert r.previous_cycle is None and r.change is None
                assert r.change_band is None and r.category is None
                assert r.level_band is not None


def test_per_1000_inhabitants_use_the_stamped_population(app: Flask, admin: User) -> None:
    """The population stamped on the accepted revision, not the register's later one; a
    revision stamped without a population has no value, with its reason."""
    now = cycle_of("2025", 2025)
    raws = [10.0, 35.0, 0.0, 7.0, 12.0, 30.0]
    for ags, v in zip(SIX, raws, strict=True):
        publish(admin, ags, "2025", {PER_1000: v})
    pops = {
        m.key: m.population
        for m in db.session.query(Municipality).filter(Municipality.key.in_(SIX))
    }
    # the register changes after publication: figures keep the stamped population; and a
    # revision stamped when the register had no population (committed: the store's rebuild
    # starts a write transaction of its own)
    from omk.services.transaction import unit_of_work

    with unit_of_work():
        db.session.get(Municipality, SIX[1]).population = 1
        report = db.session.query(Report).filter_by(municipality_key=SIX[5]).one()
        revision = db.session.get(Revision, report.published_revision_id)
        revision.population, revision.population_as_of = None, date(2025, 6, 1)
    for result in both_ways(admin, now, [PER_1000]):
        ic = result.indicators[0]
        rows = {r.member.key: r for r in ic.rows}
        for ags, raw in zip(SIX[:5], raws[:5], strict=True):
            assert rows[ags].value == pytest.approx(raw / pops[ags] * 1000, rel=1e-12)
        last = rows[SIX[5]]
        assert last.value is None and last.raw == 30.0
        assert last.flags == ["no_denominator"] and last.reason == bases.NO_POPULATION
        assert (ic.summary.n, ic.summary.missing) == (5, 1)
        expected = [raw / pops[a] * 1000 for a, raw in zip(SIX[:5], raws[:5], strict=True)]
        assert ic.summary.median == pytest.approx(float(np.percentile(expected, 50)))
        assert ic.summary.sd == pytest.approx(statistics.pstdev(expected))


def test_per_100_allocated_without_allocations_given(app: Flask, admin: User) -> None:
    now = cycle_of("2025", 2025)
    for ags in SIX:
        publish(admin, ags, "2025", {})
    publish(admin, SIX[0], "2025", {"unterbringung.zuweisungen": None})
    publish(admin, SIX[1], "2025", {"unterbringung.zuweisungen": 0})
    publish(admin, SIX[2], "2025", {COUNTED: None})
    for result in both_ways(admin, now, [COUNTED]):
        rows = {r.member.key: r for r in result.indicators[0].rows}
        assert rows[SIX[0]].reason == bases.ALLOCATED_MISSING
        assert rows[SIX[0]].flags == ["no_denominator", "too_few_peers"]
        assert rows[SIX[1]].reason == bases.NONE_ALLOCATED
        assert rows[SIX[2]].flags == ["missing", "too_few_peers"] and rows[SIX[2]].raw is None
        assert rows[SIX[3]].value == pytest.approx(85 / 412 * 100)
        s = result.indicators[0].summary
        assert (s.n, s.missing) == (3, 3)
        assert result.indicators[0].too_few  # 3 members with a value: nothing classified


def test_levels_are_kept_apart(app: Flask, admin: User) -> None:
    """A Kreis (reporting under 06632000) is at the district level, its Gemeinden at the
    municipal level; per-1,000 figures of the Kreis divide by the Kreis' population."""
    now = cycle_of("2025", 2025)
    for ags in SIX:
        publish(admin, ags, "2025", {PER_1000: 50.0})
    publish(admin, "06632000", "2025", {PER_1000: 700.0})
    from omk.compare.definitions import ComparisonLevel

    municipal = region_comparison(admin, now, [PER_1000], level=ComparisonLevel.MUNICIPAL)
    district = region_comparison(admin, now, [PER_1000], level=ComparisonLevel.DISTRICT)
    every = region_comparison(admin, now, [PER_1000], level=None)
    assert [m.key for m in municipal.members] == SIX
    assert [m.ags for m in district.members] == ["06632000"]
    assert district.indicators[0].rows[0].value == pytest.approx(700 / 120719 * 1000)
    assert sorted(m.key for m in every.members) == sorted([*SIX, KREIS])
    # the k most similar of a Gemeinde never include the Kreis
    spec = service.GroupSpec(GroupKind.SIMILAR, focus=SIX[0], k=50)
    similar = service.compare(admin, now, spec, [PER_1000])
    assert next(m.key for m in similar.members) == SIX[0]
    assert KREIS not in [m.key for m in similar.members] and len(similar.members) == 6


def test_a_cycle_with_the_same_period_end_is_not_the_previous_cycle(
    app: Flask, admin: User
) -> None:
    cycle_of("2024", 2024)
    now = cycle_of("2025", 2025)
    cycle_of("2025-Nachtrag", 2025)  # same period end, e.g. a Kreis' own round
    for ags, v in zip(SIX, [10.0, 20.0, 30.0, 40.0, 50.0, 60.0], strict=True):
        publish(admin, ags, "2024", {LEVEL: v - 5})
        publish(admin, ags, "2025", {LEVEL: v})
    publish(admin, SIX[0], "2025-Nachtrag", {LEVEL: 90.0})
    with reading_live():
        result = region_comparison(admin, now, [LEVEL])
    first = result.indicators[0].rows[0]
    from omk.services import publication

    assert publication.previous_cycle(SIX[0], now).code == "2024"
    assert (first.previous_cycle, first.change) == ("2024", 5.0)


def test_csv_rows_are_ordered_by_name(app: Flask, admin: User) -> None:
    cycle_of("2025", 2025)
    friedewald, aitrach = "06632006", "08436004"  # key order ≠ name order
    for ags in (friedewald, aitrach):
        publish(admin, ags, "2025", {LEVEL: 50.0})
    client = app.test_client()
    assert login(client, admin).status_code == 302
    response = client.get(
        f"/vergleich/vergleich.csv?cycle=2025&group=names&ags={friedewald}&ags={aitrach}"
        f"&indicator={LEVEL}"
    )
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig")), delimiter=";"))
    table = rows[1 : rows.index([])] if [] in rows else rows[1:]  # before "Nicht berichtet"
    names = [r[3] for r in table]
    assert names == ["Aitrach", "Friedewald"]


def test_csv_negative_change_stays_a_number(app: Flask, admin: User) -> None:
    cycle_of("2024", 2024)
    cycle_of("2025", 2025)
    for ags, v in zip(SIX, [10.5, 20.0, 30.0, 40.0, 50.0, 60.0], strict=True):
        publish(admin, ags, "2024", {LEVEL: v + 2.25})
        publish(admin, ags, "2025", {LEVEL: v})
    client = app.test_client()
    assert login(client, admin).status_code == 302
    response = client.get(
        f"/vergleich/vergleich.csv?cycle=2025&group=region&region={KREIS}&indicator={LEVEL}"
    )
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig")), delimiter=";"))
    first = rows[1]
    assert first[2] == SIX[0] and first[5] == "10,5" and first[7] == "12,75"
    assert first[8] == "-2,25"  # a number, no apostrophe
    assert first[6] == "2024"


def test_the_municipality_scoreboard_says_what_its_values_count(
    app: Flask, admin: User, make_user: Any
) -> None:
    """Each value with its unit on its basis ("Personen je 1.000 Einwohner", "%"), in the
    reader's language."""
    cycle_of("2025", 2025)
    for i, ags in enumerate(SIX):
        publish(admin, ags, "2025", {LEVEL: 40.0 + i, PER_1000: 10.0 + 3 * i})
    client = app.test_client()
    assert login(client, make_user("staff")).status_code == 302
    page = client.get(f"/kommunen/{SIX[0]}").text
    board = page.split('id="scoreboard-heading"', 1)[1].split("</section>", 1)[0]
    assert ">Einheit<" in board
    assert "Personen je 1.000 Einwohner" in board and ">%<" in board
    english = client.get(f"/kommunen/{SIX[0]}", headers={"Accept-Language": "en"}).text
    board = english.split('id="scoreboard-heading"', 1)[1].split("</section>", 1)[0]
    assert "persons per 1,000 inhabitants" in board
