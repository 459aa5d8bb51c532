"""A municipality's scoreboard (its register page)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from omk.compare.definitions import comparison_level
from omk.compare.peers import GroupKind
from omk.content import Indicator
from omk.extensions import db
from omk.models.register import Municipality
from omk.models.reporting import Cycle, Report
from omk.services.compare._shared import content, direction_of
from omk.services.compare.comparison import ValueRow, compare
from omk.services.compare.groups import GroupSpec

# --- a municipality's scoreboard (its register page) -------------------------------------------


@dataclass(frozen=True)
class ScoreLine:
    """One judged indicator on a municipality's scoreboard."""

    indicator: Indicator
    row: ValueRow
    median: float | None
    n: int
    too_few: bool


@dataclass(frozen=True)
class MunicipalityScoreboard:
    cycle: Cycle
    spec: GroupSpec
    group_size: int
    lines: list[ScoreLine]
    synthetic: bool


def municipality_scoreboard(user: Any, entry: Municipality) -> MunicipalityScoreboard | None:
    """The scoreboard of ``entry`` in the newest cycle it has published in, against its k
    most similar peers at its level; None if it has published nothing."""
    cycle = db.session.scalar(
        select(Cycle)
        .join(Report, Report.cycle_id == Cycle.id)
        .where(Report.municipality_key == entry.key, Report.published_revision_id.is_not(None))
        .order_by(Cycle.period_end.desc(), Cycle.code.desc())
        .limit(1)
    )
    if cycle is None:
        return None
    level = comparison_level(entry.level, entry.is_kreisfrei)
    spec = GroupSpec(GroupKind.SIMILAR, focus=entry.key, level=level)
    judged = [c for c, i in content().indicators.items() if direction_of(i) is not None]
    result = compare(user, cycle, spec, judged, with_trend=False)
    lines = []
    for ic in result.indicators:
        row = next((r for r in ic.rows if r.member.key == entry.key), None)
        if row is not None:
            lines.append(ScoreLine(ic.indicator, row, ic.summary.median, ic.summary.n, ic.too_few))
    return MunicipalityScoreboard(cycle, spec, len(result.members), lines, result.synthetic)
