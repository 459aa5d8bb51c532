"""Coverage of a cycle and region from the published revisions: which municipality implements
which recommendation (field of action, criterion) with which practices, carried by which kinds
of actors, and its gaps (the rules: :mod:`omk.compare.coverage`).

Only published (accepted) revisions count: a practice enters when its revision is its
report's ``published_revision_id``; drafts, submitted and returned reports never do, and a
correction in progress changes nothing until it is accepted. Three set-based queries read a
whole region at once (practices, their actor types, the members); nothing is read per
municipality.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, select

from omk.compare import coverage as rules
from omk.compare.definitions import comparison_level
from omk.compare.names import DisplayName
from omk.content import Content
from omk.errors import ValidationFailed
from omk.extensions import db
from omk.models.register import Level, Municipality
from omk.models.reporting import Cycle, Practice, PracticeActor, Report
from omk.policy import Action, authorize, can
from omk.services import cycles, register
from omk.services.compare.participation import own_participation_key

#: Region keys: all of Germany (''), a Land (2 digits), a Regierungsbezirk (3) or a Kreis (5).
REGION_LENGTHS = (0, 2, 3, 5)


def valid_region(region: str) -> bool:
    """Whether ``region`` is an AGS prefix coverage can be asked for."""
    digits = region == "" or (region.isascii() and region.isdigit())
    return len(region) in REGION_LENGTHS and digits


def columns(content: Content, dimension: rules.Dimension) -> list[str]:
    """The codes of a dimension, in the taxonomy's order (A1 … C4)."""
    return content.taxonomy.codes(dimension.value)


@dataclass
class Coverage:
    """A cycle's coverage in a region, ready for a page, a CSV file or the API."""

    cycle: Cycle
    region: str
    dimension: rules.Dimension
    matrix: rules.Matrix
    #: Members (municipalities with a published report in the cycle and region), by key.
    members: dict[str, Municipality]
    names: dict[str, DisplayName]
    #: (lat, lon) of each member that has a position (a Kreis: its Gemeinden's centroid).
    positions: dict[str, tuple[float, float]]
    #: Municipalities expected in the cycle and region without a published report; None
    #: when the user may not see participation (the region's reviewers and the operator; a
    #: reporter sees its own municipality only: ``participation_own``).
    not_published: list[Municipality] | None
    participation_own: bool = False

    def ags(self, key: str) -> str:
        """The key a member reports under (a Kreis: its key + 000)."""
        return self.members[key].reporting_ags or key

    def name(self, key: str) -> str:
        found = self.names.get(key)
        return register.shown(found) if found is not None else self.members[key].name


def _published(cycle: Cycle, region: str) -> ColumnElement[bool]:
    """Reports of the cycle in the region that have a published revision."""
    condition = and_(Report.cycle_id == cycle.id, Report.published_revision_id.is_not(None))
    if region:
        condition = and_(condition, Report.municipality_key.startswith(region, autoescape=True))
    return condition


#: A practice row of a published revision: the working copy and other revisions never match.
_PUBLISHED_PRACTICE = and_(
    Practice.report_id == Report.id, Practice.revision_id == Report.published_revision_id
)


def facts(cycle: Cycle, region: str) -> list[rules.PracticeFact]:
    """Every published practice of the cycle in the region, with its actor types (two
    queries for the whole region)."""
    where = _published(cycle, region)
    rows = db.session.execute(
        select(
            Practice.id,
            Report.municipality_key,
            Practice.uuid,
            Practice.title,
            Practice.criterion,
            Practice.fields,
            Practice.recommendations,
        )
        .join(Report, _PUBLISHED_PRACTICE)
        .where(where)
        .order_by(Practice.id)
    ).all()
    actors: dict[int, list[str]] = {}
    for practice_id, kind in db.session.execute(
        select(PracticeActor.practice_id, PracticeActor.type)
        .join(Practice, Practice.id == PracticeActor.practice_id)
        .join(Report, _PUBLISHED_PRACTICE)
        .where(where)
        .order_by(PracticeActor.practice_id, PracticeActor.position)
    ):
        kinds = actors.setdefault(practice_id, [])
        if kind not in kinds:
            kinds.append(kind)
    return [
        rules.PracticeFact(
            municipality_key=key,
            practice_id=uuid,
            title=title,
            criterion=criterion,
            fields=tuple(fields or ()),
            recommendations=tuple(recommendations or ()),
            actor_types=tuple(actors.get(row_id, ())),
        )
        for row_id, key, uuid, title, criterion, fields, recommendations in rows
    ]


def members(cycle: Cycle, region: str) -> list[Municipality]:
    """The municipalities with a published report in the cycle and region, by name."""
    return list(
        db.session.scalars(
            select(Municipality)
            .join(Report, Report.municipality_key == Municipality.key)
            .where(_published(cycle, region))
            .order_by(Municipality.name, Municipality.key)
        )
    )


def is_rural(entry: Municipality) -> bool | None:
    """Whether a reporting municipality lies in a rural area: a Gemeinde by the register's
    degree of urbanisation (3, "gering besiedelt": the rural areas of Eurostat's DEGURBA), a
    Landkreis always (it has them), a kreisfreie Stadt never; None when not known."""
    if entry.level == Level.KREIS:
        return not entry.is_kreisfrei
    if entry.urbanisation is None:
        return None
    return bool(entry.urbanisation == 3)


def rule_members(found: list[Municipality]) -> list[rules.Member]:
    """The members as the coverage rules take them: key, comparison level, rural or not."""
    return [
        rules.Member(m.key, str(comparison_level(m.level, m.is_kreisfrei) or m.level), is_rural(m))
        for m in found
    ]


def rural_only(content: Content) -> frozenset[str]:
    """The recommendations that apply to rural areas only (``applies_to: rural``)."""
    return frozenset(t.code for t in content.taxonomy.recommendations if t.applies_to == "rural")


def coverage(
    user: Any,
    content: Content,
    cycle_code: str,
    region: str,
    dimension: rules.Dimension = rules.Dimension.RECOMMENDATIONS,
) -> Coverage:
    """The coverage of ``cycle_code`` in ``region`` as ``user`` may see it: published figures
    for every logged-in user; who has not published only for the region's reviewers."""
    authorize(Action.COMPARE_READ, user=user)
    if not valid_region(region):
        raise ValidationFailed(
            [], "Die Region ist ein Schlüssel mit 2, 3 oder 5 Ziffern (Land, Bezirk, Kreis)."
        )
    cycle = cycles.get_cycle(cycle_code)
    found = members(cycle, region)
    actor_order = content.taxonomy.codes("actor_types")
    matrix = rules.build(
        rule_members(found),
        facts(cycle, region),
        dimension,
        columns(content, dimension),
        actor_order,
        rural_only(content),
    )
    profiles = register.profiles(found)
    positions = {
        key: (p.lat, p.lon)
        for key, p in profiles.items()
        if p.lat is not None and p.lon is not None
    }
    not_published: list[Municipality] | None = None
    published = {m.key for m in found}
    own = own_participation_key(user)
    if own is not None:  # a reporter: its own municipality only, when within the region
        not_published = [
            m
            for m in db.session.scalars(cycles.expected_query(cycle, within=own))
            if m.key == own and own.startswith(region) and m.key not in published
        ]
    elif can(user, Action.PARTICIPATION_READ, region):
        not_published = [
            m
            for m in db.session.scalars(cycles.expected_query(cycle, within=region or None))
            if m.key not in published
        ]
    return Coverage(
        cycle=cycle,
        region=region,
        dimension=dimension,
        matrix=matrix,
        members={m.key: m for m in found},
        names=register.display_names(found),
        positions=positions,
        not_published=not_published,
        participation_own=own is not None,
    )


def default_region(user: Any, cycle: Cycle) -> str:
    """The region a page opens with: a reviewer's own, a reporter's Land, else the cycle's
    only region (or all of Germany)."""
    scope = str(getattr(user, "scope", None) or "")
    if scope and valid_region(scope):
        return scope
    key = str(getattr(user, "municipality_key", None) or "")
    if key:
        return key[:2]
    prefixes = cycle.prefixes
    return prefixes[0] if len(prefixes) == 1 and valid_region(prefixes[0]) else ""
