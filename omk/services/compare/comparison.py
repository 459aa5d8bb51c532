"""The comparison of a peer group: per indicator the figures, the scoreboard and the trend."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from omk.compare import scoreboard, stats
from omk.compare.names import sort_key
from omk.compare.peers import GroupKind
from omk.content import Indicator
from omk.models.reporting import Cycle
from omk.services.compare._shared import content, cycles_until, direction_of, invalid, table
from omk.services.compare.figures import (
    Figures,
    Past,
    _live_figures,
    _stored_figures,
    _value_function,
    normalised,
    past_from_figures,
    store_usable,
    stored_past,
)
from omk.services.compare.groups import GroupSpec, Member, _member, _names, members_of
from omk.services.compare.participation import (
    NotReported,
    not_reported,
    own_participation_key,
)

# --- the comparison ----------------------------------------------------------------------


@dataclass
class ValueRow:
    """One member's figures for one indicator."""

    member: Member
    raw: float | None
    value: float | None
    reason: str | None
    previous_cycle: str | None
    previous_value: float | None
    change: float | None
    level_band: str | None = None
    change_band: str | None = None
    category: str | None = None
    flags: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class TrendPoint:
    """The peer group's median of one indicator in one cycle, and the highlighted values."""

    cycle: str
    n: int
    median: float | None
    highlighted: dict[str, float | None]


@dataclass
class IndicatorComparison:
    """One indicator across the peer group."""

    indicator: Indicator
    direction: Literal["higher", "lower"] | None
    summary: stats.Summary
    rows: list[ValueRow]
    too_few: bool
    trend: list[TrendPoint]

    @property
    def basis(self) -> str:
        return self.indicator.normalise


@dataclass
class Comparison:
    """Everything a comparison page, its CSV and the API show."""

    cycle: Cycle
    spec: GroupSpec
    members: list[Member]
    indicators: list[IndicatorComparison]
    highlighted: list[str]  # register keys
    not_reported: list[NotReported] | None = None
    #: ``not_reported`` is the user's own municipality (a reporter), not a region's list.
    participation_own: bool = False
    synthetic: bool = False


def compare(
    user: Any,
    cycle: Cycle,
    spec: GroupSpec,
    codes: Sequence[str] | None = None,
    *,
    highlight: Sequence[str] = (),
    with_trend: bool = True,
) -> Comparison:
    """Compare the peer group ``spec`` in ``cycle`` on the indicators ``codes`` (all if None)."""
    catalogue = content().indicators
    codes = list(codes) if codes else list(catalogue)
    unknown = [c for c in codes if c not in catalogue]
    if unknown:
        raise invalid("indicator", f"Unbekannte Kennzahl: {unknown[0]}")
    entries = members_of(cycle, spec)
    keys = [m.key for m in entries]
    history = cycles_until(cycle)
    # a previous cycle ends before this one (DOMAIN.md, definitions.previous_cycle): a parallel
    # cycle with the same period end is no earlier state
    earlier = [c for c in history if c.period_end < cycle.period_end]
    prefix = spec.region or "" if spec.kind == GroupKind.REGION else ""
    earlier_ids = [c.id for c in earlier]
    if store_usable(codes):  # the current cycle's figures, and earlier values as stored
        figures = _stored_figures([cycle.id], codes, keys, prefix=prefix)
        past = stored_past(earlier_ids, codes, keys, prefix=prefix)
    else:  # every cycle's published revisions
        figures = _live_figures([c.id for c in history], codes, keys, prefix=prefix)
        past = past_from_figures(figures, earlier_ids, codes)
    display = _names(entries)
    members = [_member(m, display.get(m.key, m.name), m.synthetic) for m in entries]
    # by name wherever the rows are read: the page, the CSV and the API (README)
    members.sort(key=lambda m: (sort_key(m.name), m.key))
    previous: dict[str, Cycle] = {}
    for c in earlier:  # oldest first: the last one seen is the most recent earlier cycle
        published = past.published.get(c.id, set())
        for key in keys:
            if key in published:
                previous[key] = c
    highlighted = [k for k in highlight if k in set(keys)]
    if spec.focus and spec.focus not in highlighted:
        highlighted.insert(0, spec.focus)
    if spec.kind == GroupKind.NAMES:
        highlighted = list(dict.fromkeys([*highlighted, *keys]))[:20]
    result = []
    for code in codes:
        indicator = catalogue[code]
        result.append(
            _indicator(
                indicator, cycle, members, figures, past, previous, history, highlighted, with_trend
            )
        )
    comparison = Comparison(
        cycle=cycle,
        spec=spec,
        members=members,
        indicators=result,
        highlighted=highlighted,
        synthetic=any(m.synthetic for m in members),
    )
    comparison.not_reported = not_reported(user, cycle, spec)
    comparison.participation_own = own_participation_key(user) is not None
    return comparison


def _indicator(
    indicator: Indicator,
    cycle: Cycle,
    members: list[Member],
    figures: dict[tuple[int, str], Figures],
    past: Past,
    previous: dict[str, Cycle],
    history: list[Cycle],
    highlighted: list[str],
    with_trend: bool,
) -> IndicatorComparison:
    """One indicator across the members: ``figures`` of the cycle, ``past`` values before."""
    rows: list[ValueRow] = []
    code = indicator.code
    for m in members:
        own = figures.get((cycle.id, m.key))
        raw = own.values.get(indicator.code) if own else None
        value, reason = normalised(indicator, own)
        before = previous.get(m.key)
        prev_value = None
        if before is not None:
            prev_value = past.of(code, before.id).get(m.key)
        change = value - prev_value if value is not None and prev_value is not None else None
        row = ValueRow(
            m,
            raw,
            value,
            reason if value is None else None,
            before.code if before else None,
            prev_value,
            change,
        )
        if value is None:
            row.flags.append("no_denominator" if raw is not None else "missing")
        rows.append(row)
    summary = stats.summarise([r.value for r in rows])
    direction = direction_of(indicator)
    classified, too_few = scoreboard.classify(
        [r.value for r in rows], [r.change for r in rows], direction, table()
    )
    for row, place in zip(rows, classified, strict=True):
        row.level_band, row.change_band = place.level_band, place.change_band
        row.category = place.category
        flag = summary.outlier(row.value)
        if flag:
            row.flags.append(flag)
        if too_few and direction is not None:
            row.flags.append("too_few_peers")
    trend: list[TrendPoint] = []
    if with_trend:
        value_of = _value_function(indicator)
        member_keys = [m.key for m in members]
        for c in history:
            cycle_id = c.id  # an ORM attribute: read once, not per member
            if cycle_id == cycle.id:
                values = [value_of(figures.get((cycle_id, key))) for key in member_keys]
            else:
                earlier = past.of(code, cycle_id)
                values = [earlier.get(key) for key in member_keys]
            present = [v for v in values if v is not None]
            shown = dict(zip(member_keys, values, strict=True))
            trend.append(
                TrendPoint(
                    c.code,
                    len(present),
                    stats.median(present) if present else None,
                    {k: shown.get(k) for k in highlighted},
                )
            )
    return IndicatorComparison(indicator, direction, summary, rows, too_few, trend)
