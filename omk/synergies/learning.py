"""The learning trace: a practice adopted from another municipality's (``adopted_from``).

* :func:`check_adopted_from` is the rule the submit path applies: every ``adopted_from`` must
  name a published practice of another municipality (an admin's ``--publish`` import may name
  unknown ids, with a warning);
* :func:`find_origins` looks practices up by title for the practice form;
* :func:`network` and :func:`layout` draw who learned from whom, over the cycles.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from omk.document_types import ReportDocument
from omk.errors import FieldError
from omk.extensions import db
from omk.messages import msg
from omk.models.reporting import Cycle, Practice, Report
from omk.synergies import published
from omk.synergies.partner_provider import names_of

MAX_QUERY = 100
#: The same message whether the id is unknown, a draft or of an unpublished report: a draft's
#: existence is nobody else's business.
NOT_PUBLISHED = "Keine veröffentlichte Maßnahme mit dieser ID."


@dataclass
class AdoptedCheck:
    """What :func:`check_adopted_from` found: errors stop a submission; warnings do not."""

    errors: list[FieldError] = field(default_factory=list)
    warnings: list[FieldError] = field(default_factory=list)


def _published_owner(practice_id: str) -> str | None:
    """The municipality whose published practice has this id, if any."""
    return db.session.scalar(
        select(Report.municipality_key)
        .join(Practice, Practice.revision_id == Report.published_revision_id)
        .where(Practice.uuid == practice_id.lower())
        .limit(1)
    )


def check_adopted_from(document: ReportDocument, *, allow_unknown: bool = False) -> AdoptedCheck:
    """Check every practice's ``adopted_from`` in an omk-report/1 document.

    It must name a published practice (``practice``) of another municipality
    (``municipality``, the key the practice was published under). With ``allow_unknown``
    (an admin's ``--publish`` import of reports from another instance) an id this instance
    does not know is a warning, not an error; naming the report's own municipality, or a
    practice published by a municipality other than the one named, stays an error.
    """
    found = AdoptedCheck()
    own = str(document.get("municipality") or "")
    for p in document.get("practices") or []:
        adopted = p.get("adopted_from")
        if not adopted:
            continue
        path = f"practices[{p.get('id')}].adopted_from"
        practice_id = str(adopted.get("practice") or "").strip()
        municipality = str(adopted.get("municipality") or "").strip()
        if not practice_id:
            found.errors.append(FieldError(f"{path}.practice", "Bitte die Maßnahme angeben."))
            continue
        if municipality and municipality == own:
            found.errors.append(
                FieldError(
                    f"{path}.municipality",
                    "Eine Maßnahme wird von einer anderen Kommune übernommen, nicht von der "
                    "eigenen.",
                )
            )
            continue
        owner = _published_owner(practice_id)
        if owner is None:
            target = found.warnings if allow_unknown else found.errors
            target.append(FieldError(f"{path}.practice", NOT_PUBLISHED))
            continue
        if owner == own:
            found.errors.append(
                FieldError(
                    f"{path}.practice",
                    "Diese Maßnahme ist eine der eigenen Kommune; übernommen wird von anderen.",
                )
            )
        elif municipality != owner:
            found.errors.append(
                FieldError(
                    f"{path}.municipality",
                    f"Die Maßnahme wurde von {owner} veröffentlicht, nicht von "
                    f"{municipality or '(leer)'}.",
                )
            )
    return found


@dataclass(frozen=True)
class Origin:
    """A practice one may name as origin: the newest published version of its lineage."""

    practice_id: str
    title: str
    municipality_key: str
    name: str
    cycle: str


def find_origins(query: str, exclude_key: str | None, limit: int = 20) -> list[Origin]:
    """Published practices of other municipalities whose title contains every word of the
    query (case and umlauts as typed do not matter), newest first."""
    words = [w.casefold() for w in query[:MAX_QUERY].split() if w]
    if not words:
        return []
    found = []
    for v in published.latest():
        if exclude_key is not None and v.municipality_key == exclude_key:
            continue
        title = v.practice.title.casefold()
        if all(w in title for w in words):
            found.append(v)
        if len(found) >= limit:
            break
    names = names_of({v.municipality_key for v in found})
    return [
        Origin(
            v.practice_id,
            v.practice.title,
            v.municipality_key,
            names[v.municipality_key],
            v.cycle.code,
        )
        for v in found
    ]


def origin(practice_id: str) -> Origin | None:
    """The newest published version of a practice as an origin, if it is published."""
    versions = published.latest(practice_ids=[practice_id.lower()])
    if not versions:
        return None
    v = versions[0]
    name = names_of({v.municipality_key})[v.municipality_key]
    return Origin(v.practice_id, v.practice.title, v.municipality_key, name, v.cycle.code)


_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def resolve_origins(document: dict[str, Any]) -> list[FieldError]:
    """Origins named as people name them (the workbook): an ``adopted_from`` whose practice is
    not an id is the exact title (case does not matter) of a published practice of another
    municipality; its municipality, if given, is the key or (part of) the name. One match
    becomes its id and key; none or several is an error at the practice's origin. Ids are
    left as they are (:func:`check_adopted_from` checks them)."""
    errors: list[FieldError] = []
    own = str(document.get("municipality") or "")
    latest: list[published.Version] | None = None
    names: dict[str, str] = {}
    for p in document.get("practices") or []:
        adopted = p.get("adopted_from")
        if not isinstance(adopted, dict):
            continue
        named = " ".join(str(adopted.get("practice") or "").split())
        if not named or _UUID.match(named):
            continue
        if latest is None:
            latest = [v for v in published.latest() if v.municipality_key != own]
            names = names_of({v.municipality_key for v in latest})
        found = _named(latest, names, named, str(adopted.get("municipality") or ""))
        path = f"practices[{p.get('id')}].adopted_from.practice"
        if len(found) == 1:
            adopted["practice"], adopted["municipality"] = (
                found[0].practice_id,
                found[0].municipality_key,
            )
        elif not found:
            errors.append(
                FieldError(
                    path,
                    msg("Keine veröffentlichte Maßnahme einer anderen Kommune mit diesem Titel."),
                )
            )
        else:
            errors.append(
                FieldError(
                    path,
                    msg(
                        "Mehrere veröffentlichte Maßnahmen tragen diesen Titel: bitte die Kommune "
                        "angeben (Name oder AGS)."
                    ),
                )
            )
    return errors


def _named(
    latest: list[published.Version], names: dict[str, str], title: str, municipality: str
) -> list[published.Version]:
    """The published practices a title (case does not matter) and a municipality (key, part
    of the name, or empty for any) name, as :func:`resolve_origins` reads them."""
    title = " ".join(title.split()).casefold()
    where = municipality.strip().casefold()
    return [
        v
        for v in latest
        if " ".join(v.practice.title.split()).casefold() == title
        and (
            not where
            or where == v.municipality_key
            or where in names[v.municipality_key].casefold()
        )
    ]


def origin_titles(document: ReportDocument) -> dict[str, str]:
    """How the workbook names each origin: practice id → the title of its newest published
    version, where :func:`resolve_origins` reads that title with the origin's municipality
    back as exactly this practice. Origins left out (unpublished, a title another practice of
    the same municipality shares, a municipality that does not match) are written as ids."""
    own = str(document.get("municipality") or "")
    wanted = {
        str(a.get("practice") or "").lower(): str(a.get("municipality") or "")
        for p in document.get("practices") or []
        if (a := p.get("adopted_from"))
    }
    wanted.pop("", None)
    if not wanted:
        return {}
    latest = [v for v in published.latest() if v.municipality_key != own]
    names = names_of({v.municipality_key for v in latest})
    titles: dict[str, str] = {}
    for v in latest:
        if wanted.get(v.practice_id) != v.municipality_key:
            continue
        title = " ".join(v.practice.title.split())
        found = _named(latest, names, title, v.municipality_key)
        if title and not _UUID.match(title) and [f.practice_id for f in found] == [v.practice_id]:
            titles[v.practice_id] = title
    return titles


# --- the learning network ------------------------------------------------------------------


@dataclass(frozen=True)
class Transfer:
    """One learning step: ``to`` took over ``practice`` of ``source`` (first in ``cycle``)."""

    source: str  # municipality key of the origin
    source_name: str
    target: str  # municipality key of the adopter
    target_name: str
    origin_id: str
    origin_title: str
    practice_id: str
    title: str
    cycle: str


def network(region: str = "", until: Cycle | None = None) -> list[Transfer]:
    """Every published practice that names a published origin, with either side in the
    region, the cycle of its first publication as adopted (up to ``until``), oldest first."""
    steps: dict[str, Transfer] = {}
    versions = [v for v in published.versions(adopted=True) if v.practice.adopted_from_practice]
    origins = {
        v.practice_id: v
        for v in published.latest(
            practice_ids={str(v.practice.adopted_from_practice) for v in versions}
        )
    }
    keys: set[str] = set()
    chosen: list[tuple[published.Version, published.Version]] = []
    for v in reversed(versions):  # oldest first: the first cycle wins
        if until is not None and v.cycle.period_end > until.period_end:
            continue
        source = origins.get(str(v.practice.adopted_from_practice))
        if source is None or source.municipality_key == v.municipality_key:
            continue
        if region and not (
            v.municipality_key.startswith(region) or source.municipality_key.startswith(region)
        ):
            continue
        if v.practice_id in {c[0].practice_id for c in chosen}:
            continue
        chosen.append((v, source))
        keys.update((v.municipality_key, source.municipality_key))
    names = names_of(keys)
    for v, source in chosen:
        steps[v.practice_id] = Transfer(
            source.municipality_key,
            names[source.municipality_key],
            v.municipality_key,
            names[v.municipality_key],
            source.practice_id,
            source.practice.title,
            v.practice_id,
            v.practice.title,
            v.cycle.code,
        )
    return list(steps.values())


@dataclass(frozen=True)
class Node:
    """A municipality's lane: its name ends at ``x`` (``anchor``), the lane runs at ``y``."""

    key: str
    label: str
    x: float
    y: float
    anchor: str  # text-anchor of the label


@dataclass(frozen=True)
class Edge:
    """One learning step, an arrow in its cycle's column from the origin's lane (``y1``) to
    the adopter's (it ends short of the adopter's dot at ``end_y``)."""

    x1: float
    y1: float
    x2: float
    y2: float
    end_y: float
    label: str


@dataclass(frozen=True)
class Period:
    """A cycle's column: the cycle code, the column's left edge and width."""

    cycle: str
    x: float
    width: float

    @property
    def centre(self) -> float:
        return round(self.x + self.width / 2, 1)


@dataclass(frozen=True)
class Drawing:
    """Coordinates for a server-side SVG of the network (drawn by a template)."""

    width: int
    height: int
    nodes: list[Node]
    edges: list[Edge]
    periods: list[Period] = field(default_factory=list)
    top: float = 0  # where the lanes begin, below the cycles' labels


#: About 7.5 px a character at 13 px: the room a label takes.
CHAR_WIDTH = 7.5
LANE = 40
HEADER = 44
STEP = 28  # between two arrows of one cycle
#: The most municipalities (lanes) drawn. 30 lanes are 1,252 px: about one and a half laptop
#: screens, where an arrow across the drawing can still be followed from name to name with a
#: little scrolling; more lanes are mostly empty lines. Lanes by Land instead would hide every
#: transfer within a Land, and a Land's own view would be little more than one lane. So above
#: this only the table is shown, with a sentence saying why; it lists every transfer.
MAX_LANES = 30


def lanes(transfers: list[Transfer]) -> int:
    """How many municipalities the transfers name: the lanes a drawing would have."""
    return len({key for t in transfers for key in (t.source, t.target)})


def drawable(transfers: list[Transfer]) -> bool:
    """Whether the transfers are drawn: some, naming at most :data:`MAX_LANES` municipalities."""
    return 0 < lanes(transfers) <= MAX_LANES


def layout(transfers: list[Transfer]) -> Drawing:
    """Time from left to right: one column per cycle (oldest first, labelled with the cycle),
    one lane per municipality (names on the left, in order of first appearance), and one
    arrow per learning step in the column of its cycle, from the origin's lane down or up to
    the adopter's."""
    keys: dict[str, str] = {}
    for t in transfers:
        keys.setdefault(t.source, t.source_name)
        keys.setdefault(t.target, t.target_name)
    by_cycle: dict[str, list[Transfer]] = {}
    for t in transfers:  # oldest first (:func:`network`), so the columns run in time order
        by_cycle.setdefault(t.cycle, []).append(t)
    longest = max((len(name) for name in keys.values()), default=0)
    left = round(longest * CHAR_WIDTH + 30)  # the names, right-aligned before the lanes
    periods: list[Period] = []
    x = float(left)
    for cycle, steps in by_cycle.items():
        width = max(110.0, len(cycle) * CHAR_WIDTH + 60, STEP * len(steps) + 32)
        periods.append(Period(cycle, x, width))
        x += width
    lane = {key: HEADER + LANE * i + LANE / 2 for i, key in enumerate(keys)}
    nodes = [Node(key, name, left - 12, lane[key], "end") for key, name in keys.items()]
    edges = []
    for period in periods:
        steps = by_cycle[period.cycle]
        first = period.centre - STEP * (len(steps) - 1) / 2
        for i, t in enumerate(steps):
            x1, y1, y2 = round(first + STEP * i, 1), lane[t.source], lane[t.target]
            towards = 1 if y2 > y1 else -1
            edges.append(
                Edge(
                    x1,
                    y1 + towards * 6,
                    x1,
                    y2 - towards * 8,  # the arrowhead touches the adopter's dot
                    y2,
                    f"{t.source_name} → {t.target_name}: {t.title} ({t.cycle})",
                )
            )
    height = round(HEADER + LANE * len(keys) + 8)
    return Drawing(round(x + 8), height, nodes, edges, periods, HEADER)
