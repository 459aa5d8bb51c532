"""Descriptive statistics of a peer group: median, quartiles, mean, standard deviation, outliers.

Quartiles interpolate linearly between order statistics, as ``numpy.percentile``'s default
(method "linear"); the standard deviation is the population formula (ddof 0). Pure Python
over plain floats, so a result can be checked by hand.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0–100) with linear interpolation (numpy's default)."""
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    lower = math.floor(position)
    upper = min(lower + 1, len(ordered) - 1)
    fraction = position - lower
    return ordered[lower] + (ordered[upper] - ordered[lower]) * fraction


def mean(values: Sequence[float]) -> float:
    """The arithmetic mean."""
    if not values:
        raise ValueError("no values")
    return math.fsum(values) / len(values)


def sd(values: Sequence[float]) -> float:
    """The population standard deviation (ddof 0)."""
    m = mean(values)
    return math.sqrt(math.fsum((v - m) ** 2 for v in values) / len(values))


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
        """``outlier_high`` / ``outlier_low`` outside 1.5 × IQR of the quartiles, else None."""
        if value is None or self.q1 is None or self.q3 is None:
            return None
        fence = 1.5 * (self.q3 - self.q1)
        if value > self.q3 + fence:
            return "outlier_high"
        if value < self.q1 - fence:
            return "outlier_low"
        return None


def summarise(values: Sequence[float | None]) -> Summary:
    """Median, quartiles, mean and standard deviation of the non-missing values."""
    present = [float(v) for v in values if v is not None]
    missing = len(values) - len(present)
    if not present:
        return Summary(0, missing, None, None, None, None, None)
    return Summary(
        n=len(present),
        missing=missing,
        median=percentile(present, 50),
        q1=percentile(present, 25),
        q3=percentile(present, 75),
        mean=mean(present),
        sd=sd(present),
    )
