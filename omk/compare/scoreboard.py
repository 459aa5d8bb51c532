"""The scoreboard: level and change read together, as the EU Joint Employment Report does.

Each judged indicator classifies a member by two bands: its level z-score among the peer
group's values and its change z-score among the peer group's changes since each member's
previous cycle. The level × change table (``content/scoreboard.yaml``) names the category.
Never a ranking: members are classified, not ordered. Labels are German message ids.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypedDict

from omk.compare import stats

Direction = Literal["higher", "lower"]

#: The bands, best first (codes as the API and content/scoreboard.yaml write them).
BANDS: tuple[str, ...] = ("sehr_gut", "gut", "durchschnittlich", "schwach", "sehr_schwach")
#: German labels (message ids) of the bands.
BAND_LABELS: dict[str, str] = {
    "sehr_gut": "sehr gut",
    "gut": "gut",
    "durchschnittlich": "durchschnittlich",
    "schwach": "schwach",
    "sehr_schwach": "sehr schwach",
}
#: The categories (API codes) with their German labels (message ids), in the JER's order.
CATEGORY_LABELS: dict[str, str] = {
    "best": "beste Ergebnisse",
    "better": "besser als der Durchschnitt",
    "average": "durchschnittlich",
    "monitor": "gut, aber zu beobachten",
    "improving": "schwach, aber aufholend",
    "watch": "zu beobachten",
    "critical": "kritische Lage",
}
#: Fewer members with a value than this: nothing is classified.
MIN_MEMBERS = 5


class TableFile(TypedDict):
    """The shape of content/scoreboard.yaml."""

    min_members: int
    bands: list[dict[str, str]]
    categories: list[dict[str, str]]
    table: dict[str, list[str]]


@dataclass(frozen=True)
class Table:
    """The level × change table: ``cells[level_band][change_band]`` is a category code."""

    cells: dict[str, dict[str, str]]
    min_members: int = MIN_MEMBERS

    def category(self, level_band: str, change_band: str) -> str:
        """The category of a level band and a change band."""
        return self.cells[level_band][change_band]


def parse_table(data: Mapping[str, Any]) -> Table:
    """The table from the parsed YAML; ValueError when a band, a category or a row is off."""
    bands = [b["code"] for b in data.get("bands", [])]
    if tuple(bands) != BANDS:
        raise ValueError(f"bands must be {', '.join(BANDS)}")
    categories = {c["code"]: c["label"] for c in data.get("categories", [])}
    if categories != CATEGORY_LABELS:
        raise ValueError("categories must be " + ", ".join(CATEGORY_LABELS))
    rows = data.get("table") or {}
    if set(rows) != set(BANDS):
        raise ValueError("the table needs one row per band")
    cells: dict[str, dict[str, str]] = {}
    for level in BANDS:
        row = list(rows[level])
        if len(row) != len(BANDS) or any(c not in CATEGORY_LABELS for c in row):
            raise ValueError(f"row {level}: five category codes")
        cells[level] = dict(zip(BANDS, row, strict=True))
    min_members = int(data.get("min_members", MIN_MEMBERS))
    if min_members < 2:
        raise ValueError("min_members must be at least 2")
    return Table(cells, min_members)


def band(z: float) -> str:
    """The band of a z-score, inclusive at the inner edge (0.5 is average, 1 is good)."""
    if z > 1:
        return "sehr_gut"
    if z > 0.5:
        return "gut"
    if z >= -0.5:
        return "durchschnittlich"
    if z >= -1:
        return "schwach"
    return "sehr_schwach"


def bands_of(values: Sequence[float | None], direction: Direction) -> list[str | None]:
    """The band of each value among the non-missing ones (None where missing): z against the
    population mean and standard deviation, negated for lower-is-better, rounded to
    :data:`stats.EDGE_DECIMALS` places so that a z of exactly 0.5 or 1 in decimal figures is
    on its edge; a standard deviation of 0 puts everyone in the average band."""
    present = [v for v in values if v is not None]
    if not present:
        return [None for _ in values]
    mean = stats.mean(present)
    sd = stats.sd(present)
    sign = -1.0 if direction == "lower" else 1.0
    out: list[str | None] = []
    for v in values:
        if v is None:
            out.append(None)
        elif sd == 0:
            out.append("durchschnittlich")
        else:
            out.append(band(stats.at_edge(sign * (v - mean) / sd)))
    return out


@dataclass(frozen=True)
class Classified:
    """One member's place on the scoreboard of one indicator."""

    level_band: str | None
    change_band: str | None
    category: str | None


def classify(
    values: Sequence[float | None],
    changes: Sequence[float | None],
    direction: Direction | None,
    table: Table,
) -> tuple[list[Classified], bool]:
    """Classify each member by level and change; also whether there were too few members.

    ``values[i]`` and ``changes[i]`` belong to member i (None: missing; a change is None when
    the member has no previous cycle or no previous value). Context indicators (no direction)
    and groups with fewer than ``table.min_members`` values are not classified. The change
    z-scores are over the members that have a change; a member without one gets its level
    band only, and so does everyone when fewer than ``table.min_members`` have a change (two
    changes would always read +1 and -1, whatever they are)."""
    n = sum(1 for v in values if v is not None)
    if direction is None:
        return [Classified(None, None, None) for _ in values], False
    if n < table.min_members:
        return [Classified(None, None, None) for _ in values], True
    level_bands = bands_of(values, direction)
    usable = [c if v is not None else None for v, c in zip(values, changes, strict=True)]
    if sum(1 for c in usable if c is not None) < table.min_members:
        change_bands: list[str | None] = [None for _ in usable]
    else:
        change_bands = bands_of(usable, direction)
    out = []
    for lb, cb in zip(level_bands, change_bands, strict=True):
        category = table.category(lb, cb) if lb is not None and cb is not None else None
        out.append(Classified(lb, cb, category))
    return out, False
