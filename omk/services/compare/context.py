"""The previous value and the peer median next to a value (review page, indicator form)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypedDict

from omk.compare import stats
from omk.compare.definitions import comparison_level
from omk.compare.peers import GroupKind
from omk.errors import NotFound, ValidationFailed
from omk.models.reporting import Report
from omk.services.compare._shared import content, cycles_until
from omk.services.compare.figures import published_figures
from omk.services.compare.groups import GroupSpec, members_of

# --- previous value and peer median next to a value (review page, indicator form) -------------


class ValueContext(TypedDict):
    """What the review page and the indicator form show next to one value."""

    previous_cycle: str | None
    previous_value: float | None  # raw, as reported in the previous cycle
    peer_median: float | None  # raw values of the k most similar published peers
    peer_n: int
    jump: bool  # the value differs from the previous one by more than the indicator's factor
    factor: float | None


def jumped(value: float | None, previous: float | None, factor: float | None) -> bool:
    """True when ``value`` is more than ``factor`` times ``previous`` or less than 1/factor
    of it (268 → 1,234 with factor 3); a change from or to 0 counts when the other is > 0."""
    if value is None or previous is None or not factor or factor <= 1:
        return False
    if previous == 0 or value == 0:
        return previous != value
    ratio = value / previous
    return ratio > factor or ratio < 1 / factor


def value_context(report: Report, values: Mapping[str, float | None]) -> dict[str, ValueContext]:
    """Per indicator: the municipality's previous published value, the median of its most
    similar peers' published values in the same cycle (raw, as the form shows raw figures)
    and whether the value jumps. Published figures only; one query each."""
    catalogue = content().indicators
    municipality = report.municipality
    cycle = report.cycle
    earlier = [c for c in cycles_until(cycle) if c.period_end < cycle.period_end]
    own = published_figures([c.id for c in earlier], catalogue, [municipality.key])
    before = next((c for c in reversed(earlier) if (c.id, municipality.key) in own), None)
    previous = own.get((before.id, municipality.key)) if before else None
    level = comparison_level(municipality.level, municipality.is_kreisfrei)
    spec = GroupSpec(GroupKind.SIMILAR, focus=municipality.key, level=level)
    try:
        group = [m.key for m in members_of(cycle, spec) if m.key != municipality.key]
    except (ValidationFailed, NotFound):
        group = []
    peer_figures = published_figures([cycle.id], catalogue, group)
    result: dict[str, ValueContext] = {}
    for code, indicator in catalogue.items():
        prev = previous.values.get(code) if previous else None
        peer_values = [f.values[code] for f in peer_figures.values() if code in f.values]
        factor = getattr(indicator, "jump_factor", None)
        result[code] = ValueContext(
            previous_cycle=before.code if before else None,
            previous_value=prev,
            peer_median=stats.percentile(peer_values, 50) if peer_values else None,
            peer_n=len(peer_values),
            jump=jumped(values.get(code), prev, factor),
            factor=factor,
        )
    return result
