"""Descriptive statistics of a peer group: median, quartiles, mean, standard deviation, outliers.

Quartiles interpolate linearly between order statistics, as ``numpy.percentile``'s default
(method "linear"); the standard deviation is the population formula (ddof 0). The order
statistics are sorted by numpy (large groups: a whole country's Gemeinden), the interpolation,
mean and standard deviation are plain float arithmetic, so a result can be checked by hand.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


def _sorted(values: Sequence[float]) -> list[float]:
    """The values in ascending order (numpy's sort: fast on tens of thousands)."""
    if len(values) < 64:
        return sorted(values)
    result: list[float] = np.sort(np.asarray(values, dtype=np.float64)).tolist()
    return result


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0–100) with linear interpolation (numpy's default)."""
    if not values:
        raise ValueError("no values")
    return _interpolate(_sorted(values), q)


def median(values: Sequence[float]) -> float:
    """The median (the 50th percentile)."""
    return percentile(values, 50)


def _interpolate(ordered: Sequence[float], q: float) -> float:
    """The q-th percentile of values already in ascending order."""
    position = (len(ordered) - 1) * q / 100
    lower = math.floor(position)
    upper = min(lower + 1, len(ordered) - 1)
    fraction = position - lower
    return ordered[lower] + (ordered[upper] - ordered[lower]) * fraction


def mean(values: Sequence[float]) -> float:
    """The arithmetic mean; of equal values that value exactly (six times 12.7 sum to
    76.2, whose sixth is 12.700000000000001 in binary floating point)."""
    if not values:
        raise ValueError("no values")
    if min(values) == max(values):
        return float(values[0])
    return math.fsum(values) / len(values)


def sd(values: Sequence[float]) -> float:
    """The population standard deviation (ddof 0); of equal values exactly 0, not the
    rounding residue of their mean."""
    if min(values) == max(values):
        return 0.0
    m = mean(values)
    return math.sqrt(math.fsum((v - m) ** 2 for v in values) / len(values))


#: Decimal places to which a figure derived from typed decimals is compared with an edge
#: (a band's z, an outlier fence): what binary floating point adds beyond them is rounding
#: residue (0.7 + 1.5 × 0.4 is 1.2999999999999998), not a difference anyone typed.
EDGE_DECIMALS = 9


def at_edge(value: float) -> float:
    """``value`` as compared with an edge (:data:`EDGE_DECIMALS`)."""
    return round(value, EDGE_DECIMALS)


@dataclass(frozen=True)
class Summary:
    """The peer group's figures over the non-missing values."""

    n: int
    missing: int
    median: float | None
    q1: float | None
    q3: float | None
    mean: float | None
    sd: float | None

    @property
    def iqr(self) -> float | None:
        return None if self.q1 is None or self.q3 is None else self.q3 - self.q1

    def outlier(self, value: float | None) -> str | None:
        """``outlier_high`` / ``outlier_low`` beyond 1.5 × IQR of the quartiles, else None; a
        value exactly on a fence is none (compared to :data:`EDGE_DECIMALS` places relative to
        the figures' size)."""
        if value is None or self.q1 is None or self.q3 is None:
            return None
        fence = 1.5 * (self.q3 - self.q1)
        scale = max(1.0, abs(self.q1), abs(self.q3), abs(value))
        if at_edge((value - (self.q3 + fence)) / scale) > 0:
            return "outlier_high"
        if at_edge((self.q1 - fence - value) / scale) > 0:
            return "outlier_low"
        return None


def summarise(values: Sequence[float | None]) -> Summary:
    """Median, quartiles, mean and standard deviation of the non-missing values."""
    present = [float(v) for v in values if v is not None]
    missing = len(values) - len(present)
    if not present:
        return Summary(0, missing, None, None, None, None, None)
    ordered = _sorted(present)  # sorted once for the three quantiles
    return Summary(
        n=len(present),
        missing=missing,
        median=_interpolate(ordered, 50),
        q1=_interpolate(ordered, 25),
        q3=_interpolate(ordered, 75),
        mean=mean(present),
        sd=sd(present),
    )
