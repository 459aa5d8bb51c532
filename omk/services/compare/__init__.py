"""Compare municipalities: peer groups, indicator figures, the scoreboard, participation.

Only published (accepted) revisions enter any figure: every query joins the report's
``published_revision_id`` (or reads the figures stored from it, :mod:`.store`), so drafts,
submitted and returned revisions and a correction in progress never count. Values are read
set-based (one query per question, never one per municipality); statistics and
classification are the pure functions of omk.compare.

One module per concern, all names re-exported here so callers write ``compare.compare(...)``:
:mod:`.groups` (peer groups, name lookups), :mod:`.figures` (published figures, normalised),
:mod:`.store` (the figures stored per published change, an outbox consumer),
:mod:`.comparison` (figures, scoreboard and trend of a group), :mod:`.participation` (who has
not reported), :mod:`.context` (previous value and peer median next to a value) and
:mod:`.scoreboard` (a municipality's own scoreboard).
"""

from __future__ import annotations

from omk.services.compare._shared import (
    NOT_GIVEN,
    basis_label,
    content,
    cycles_until,
    direction_of,
    get_cycle,
    invalid,
    latest_cycle_with_published,
    table,
)
from omk.services.compare.comparison import (
    Comparison,
    IndicatorComparison,
    TrendPoint,
    ValueRow,
    compare,
)
from omk.services.compare.context import ValueContext, jumped, value_context
from omk.services.compare.figures import Figures, normalised, published_figures
from omk.services.compare.groups import (
    DISPLAY_NAMES_LIMIT,
    Entry,
    GroupSpec,
    Member,
    find_region,
    members_of,
    name_lookup,
    names_of,
    region_choices,
    region_names,
    resolve_key,
    resolve_name,
    resolve_region,
)
from omk.services.compare.participation import (
    NotReported,
    not_reported,
    own_participation_key,
    participation_scope,
)
from omk.services.compare.scoreboard import (
    MunicipalityScoreboard,
    ScoreLine,
    municipality_scoreboard,
)

__all__ = [
    "DISPLAY_NAMES_LIMIT",
    "NOT_GIVEN",
    "Comparison",
    "Entry",
    "Figures",
    "GroupSpec",
    "IndicatorComparison",
    "Member",
    "MunicipalityScoreboard",
    "NotReported",
    "ScoreLine",
    "TrendPoint",
    "ValueContext",
    "ValueRow",
    "basis_label",
    "compare",
    "content",
    "cycles_until",
    "direction_of",
    "find_region",
    "get_cycle",
    "invalid",
    "jumped",
    "latest_cycle_with_published",
    "members_of",
    "municipality_scoreboard",
    "name_lookup",
    "names_of",
    "normalised",
    "not_reported",
    "own_participation_key",
    "participation_scope",
    "published_figures",
    "region_choices",
    "region_names",
    "resolve_key",
    "resolve_name",
    "resolve_region",
    "table",
    "value_context",
]
