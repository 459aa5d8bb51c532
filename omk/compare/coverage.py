"""Coverage: "was, wo, wie, von wem" – which municipality implements which recommendation
(or serves which field of action, or works on which criterion), with which practices and
which kinds of actors, and where a municipality has a gap its peers have closed.

Pure: the caller (omk.services.coverage) reads the published practices with set-based
queries and passes plain records; nothing here touches the database, Flask or the request.

Definitions, written once:

* **Cell.** Municipality × code: the published practices of the municipality in the cycle
  that name the code (a recommendation or field of action among their lists, or as their
  primary criterion), and the actor types that carry them (lead and partners).
* **Peers** (for gaps, until peer groups of the comparison module replace them): the other
  municipalities of the same comparison level (district or municipal, DOMAIN.md) in the chosen
  region that have a published report in the cycle.
* **Gap.** A code that more than half of a municipality's peers implement and the municipality
  does not. Counted only where the municipality has at least :data:`MIN_PEERS` peers: with
  one or two peers "most" says nothing; and never where the code does not apply: a
  recommendation for rural areas ("Potenziale des ländlichen Raums nutzen", ``applies_to:
  rural`` in the taxonomy) is no gap of a municipality known not to be rural.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum


class Dimension(StrEnum):
    """What the matrix's columns are."""

    RECOMMENDATIONS = "recommendations"  # Handlungsempfehlungen A1–C4
    FIELDS = "fields"  # Handlungsfelder
    CRITERIA = "criteria"  # Kriterien (a practice's one primary criterion)


#: German labels of the dimensions (message ids, translated at the edge).
DIMENSION_LABELS = {
    Dimension.RECOMMENDATIONS: "Handlungsempfehlungen",
    Dimension.FIELDS: "Handlungsfelder",
    Dimension.CRITERIA: "Kriterien",
}

#: A gap needs at least this many peers.
MIN_PEERS = 3


@dataclass(frozen=True)
class PracticeFact:
    """What coverage needs of one published practice."""

    municipality_key: str
    practice_id: str  # the practice's UUID (its lineage id, /massnahmen/<id>)
    title: str
    criterion: str
    fields: tuple[str, ...] = ()
    recommendations: tuple[str, ...] = ()
    actor_types: tuple[str, ...] = ()

    def codes(self, dimension: Dimension) -> tuple[str, ...]:
        """The codes of ``dimension`` this practice serves."""
        if dimension == Dimension.RECOMMENDATIONS:
            return self.recommendations
        if dimension == Dimension.FIELDS:
            return self.fields
        return (self.criterion,)


@dataclass(frozen=True)
class PracticeRef:
    """A practice listed in a cell."""

    practice_id: str
    title: str


@dataclass
class Cell:
    """The practices behind one municipality × code, and the kinds of actors carrying them."""

    practices: list[PracticeRef] = field(default_factory=list)
    actor_types: list[str] = field(default_factory=list)  # distinct, in the taxonomy's order

    @property
    def practice_ids(self) -> list[str]:
        return [p.practice_id for p in self.practices]


@dataclass(frozen=True)
class Member:
    """A municipality with a published report in the cycle: its key and comparison level."""

    key: str
    level: str  # ComparisonLevel value; members are peers only within one level
    #: Whether the municipality lies in a rural area (None: not known, every code applies).
    rural: bool | None = None


@dataclass
class Matrix:
    """Rows (member keys, in the order given) × columns (codes), with gaps per member."""

    columns: list[str]
    rows: list[str]
    cells: dict[str, dict[str, Cell]]
    gaps: dict[str, list[str]]
    #: Number of peers each member has (the gap rule needs :data:`MIN_PEERS`).
    peers: dict[str, int]
    #: Per code: how many members implement it.
    implemented_by: dict[str, int]

    def has(self, key: str, code: str) -> bool:
        return code in self.cells.get(key, {})


def build(
    members: Sequence[Member],
    facts: Iterable[PracticeFact],
    dimension: Dimension,
    columns: Sequence[str],
    actor_order: Sequence[str] = (),
    rural_only: Iterable[str] = (),
) -> Matrix:
    """The coverage matrix of ``members`` over ``columns`` from the published practices
    ``facts`` (facts of non-members and codes outside ``columns`` are ignored), with gaps.

    Gaps are counted per comparison level at once: for each level and code the number of
    members implementing it; a member that does not implement the code has as many peers
    implementing it as the whole level, so no member is compared with its peers one by one.
    The codes ``rural_only`` are no gap of a member whose ``rural`` is False.
    """
    wanted = set(columns)
    keys = [m.key for m in members]
    member_set = set(keys)
    rank = {code: i for i, code in enumerate(actor_order)}
    cells: dict[str, dict[str, Cell]] = {k: {} for k in keys}
    seen: set[tuple[str, str, str]] = set()
    for fact in facts:
        if fact.municipality_key not in member_set:
            continue
        for code in fact.codes(dimension):
            if code not in wanted or (fact.municipality_key, code, fact.practice_id) in seen:
                continue
            seen.add((fact.municipality_key, code, fact.practice_id))
            cell = cells[fact.municipality_key].setdefault(code, Cell())
            cell.practices.append(PracticeRef(fact.practice_id, fact.title))
            for actor in fact.actor_types:
                if actor not in cell.actor_types:
                    cell.actor_types.append(actor)
    for row in cells.values():
        for cell in row.values():
            cell.practices.sort(key=lambda p: (p.title.casefold(), p.practice_id))
            cell.actor_types.sort(key=lambda a: (rank.get(a, len(rank)), a))

    level_size: dict[str, int] = {}
    level_count: dict[tuple[str, str], int] = {}
    for m in members:
        level_size[m.level] = level_size.get(m.level, 0) + 1
        for code in cells[m.key]:
            level_count[(m.level, code)] = level_count.get((m.level, code), 0) + 1
    peers = {m.key: level_size[m.level] - 1 for m in members}
    rural = set(rural_only)
    gaps = {
        m.key: [
            code
            for code in columns
            if code not in cells[m.key]
            and peers[m.key] >= MIN_PEERS
            and 2 * level_count.get((m.level, code), 0) > peers[m.key]
            and not (code in rural and m.rural is False)
        ]
        for m in members
    }
    implemented_by = {code: sum(1 for k in keys if code in cells[k]) for code in columns}
    return Matrix(list(columns), keys, cells, gaps, peers, implemented_by)


def practised_where(matrix: Matrix, code: str) -> dict[str, int]:
    """For the map: member key → number of its practices serving ``code`` (0: none)."""
    return {
        key: len(matrix.cells[key][code].practices) if code in matrix.cells[key] else 0
        for key in matrix.rows
    }


@dataclass(frozen=True)
class Point:
    """A place on the map, in SVG user units."""

    key: str
    x: float
    y: float


def project(
    positions: Mapping[str, tuple[float, float]],
    width: float = 600.0,
    height: float = 600.0,
    margin: float = 24.0,
) -> tuple[list[Point], float, float]:
    """Place (lat, lon) positions on a ``width``-wide SVG: an equirectangular projection
    scaled by the cosine of the mean latitude (true to shape at the size of a Land), fitted
    into the box with ``margin``; north is up. Returns the points and the drawing's width
    and height (the height shrinks to the region's aspect ratio, at most ``height``)."""
    import math

    if not positions:
        return [], width, min(height, 2 * margin)
    lats = [p[0] for p in positions.values()]
    k = math.cos(math.radians(sum(lats) / len(lats)))
    xs = {key: lon * k for key, (_, lon) in positions.items()}
    min_x, max_x = min(xs.values()), max(xs.values())
    min_lat, max_lat = min(lats), max(lats)
    span_x = max(max_x - min_x, 1e-9)
    span_y = max(max_lat - min_lat, 1e-9)
    inner_w, inner_h = width - 2 * margin, height - 2 * margin
    scale = min(inner_w / span_x, inner_h / span_y)
    if max_x - min_x < 1e-6 and max_lat - min_lat < 1e-6:
        scale = 1.0  # one place: in the middle
    drawn_w = span_x * scale if max_x - min_x >= 1e-6 else 0.0
    drawn_h = span_y * scale if max_lat - min_lat >= 1e-6 else 0.0
    out_h = min(height, max(drawn_h + 2 * margin, 4 * margin))
    off_x = (width - drawn_w) / 2
    off_y = (out_h - drawn_h) / 2
    points = [
        Point(
            key,
            round(off_x + (xs[key] - min_x) * scale, 1),
            round(off_y + (max_lat - lat) * scale, 1),
        )
        for key, (lat, _) in positions.items()
    ]
    return points, width, round(out_h, 1)
