"""Published practices as the synergy features read them: the latest published version of
each lineage, optionally of one cycle and one region. Only accepted revisions count."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from omk.chunks import sorted_chunks
from omk.extensions import db
from omk.models.reporting import Cycle, Practice, Report


@dataclass(frozen=True)
class Version:
    """One published version of a practice with its report and cycle."""

    practice: Practice
    report: Report
    cycle: Cycle

    @property
    def practice_id(self) -> str:
        return self.practice.uuid

    @property
    def municipality_key(self) -> str:
        return self.report.municipality_key


def versions(
    region: str = "",
    cycle: Cycle | None = None,
    practice_ids: Iterable[str] | None = None,
    *,
    adopted: bool = False,
) -> list[Version]:
    """Every published version (newest cycle first) of the practices of ``region``; with a
    cycle only that cycle's versions; with ``adopted`` only those naming an origin."""
    query = (
        select(Practice, Report, Cycle)
        .join(Report, Practice.revision_id == Report.published_revision_id)
        .join(Cycle, Report.cycle_id == Cycle.id)
        .options(selectinload(Practice.actors))
        .order_by(Cycle.period_end.desc(), Cycle.code.desc(), Practice.position)
    )
    if region:
        query = query.where(Report.municipality_key.startswith(region, autoescape=True))
    if cycle is not None:
        query = query.where(Report.cycle_id == cycle.id)
    if adopted:
        query = query.where(Practice.adopted_from_practice.is_not(None))
    if practice_ids is None:
        return [Version(p, r, c) for p, r, c in db.session.execute(query).all()]
    found = [
        Version(p, r, c)
        for piece in sorted_chunks(practice_ids)
        for p, r, c in db.session.execute(query.where(Practice.uuid.in_(piece))).all()
    ]
    # the query's order over all pieces: newest cycle first, then the report's order
    found.sort(key=lambda v: v.practice.position)
    found.sort(key=lambda v: (v.cycle.period_end, v.cycle.code), reverse=True)
    return found


def latest(
    region: str = "", cycle: Cycle | None = None, practice_ids: Iterable[str] | None = None
) -> list[Version]:
    """The newest published version of each practice (within the cycle, if given)."""
    seen: set[str] = set()
    found = []
    for v in versions(region, cycle, practice_ids):
        if v.practice_id not in seen:
            seen.add(v.practice_id)
            found.append(v)
    return found


def cycles_of(practice_ids: Iterable[str]) -> dict[str, list[str]]:
    """The cycles (codes, oldest first) in which each practice was published."""
    rows = [
        row
        for piece in sorted_chunks(practice_ids)
        for row in db.session.execute(
            select(Practice.uuid, Cycle.code, Cycle.period_end)
            .join(Report, Practice.revision_id == Report.published_revision_id)
            .join(Cycle, Report.cycle_id == Cycle.id)
            .where(Practice.uuid.in_(piece))
        ).all()
    ]
    rows.sort(key=lambda row: (row[2], row[1]))
    found: dict[str, list[str]] = defaultdict(list)
    for uuid, code, _end in rows:
        if code not in found[uuid]:
            found[uuid].append(code)
    return found


def adopters_of(practice_ids: Iterable[str]) -> dict[str, list[Version]]:
    """Published practices of other municipalities that name each practice as their origin
    (``adopted_from``), newest version of each."""
    rows = [
        row
        for piece in sorted_chunks(practice_ids)
        for row in db.session.execute(
            select(Practice, Report, Cycle)
            .join(Report, Practice.revision_id == Report.published_revision_id)
            .join(Cycle, Report.cycle_id == Cycle.id)
            .where(Practice.adopted_from_practice.in_(piece))
        ).all()
    ]
    rows.sort(key=lambda row: row[2].period_end, reverse=True)
    found: dict[str, list[Version]] = defaultdict(list)
    seen: set[str] = set()
    for p, r, c in rows:
        if p.uuid in seen or p.adopted_from_practice is None:
            continue
        seen.add(p.uuid)
        found[p.adopted_from_practice].append(Version(p, r, c))
    return found
