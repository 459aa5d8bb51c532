"""What the search index holds, built from the database: one record per published version
of a practice (a practice's lineage has one version per cycle it was published in).

Only published revisions enter (DOMAIN.md, "Published"): a practice's version in a cycle is
its row in the accepted revision of that cycle's report. A correction in progress changes
nothing here until it is accepted. The newest version (by the cycle's period end) is the one
search shows; the others are found with a cycle filter.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from omk.chunks import sorted_chunks
from omk.compare.definitions import size_class
from omk.extensions import db
from omk.models.register import Municipality
from omk.models.reporting import Cycle, Practice, Report
from omk.models.synergies import PracticeValidation

#: The facets of the search page and the API, in the order shown: record field → URL name.
FACETS: dict[str, str] = {
    "criterion": "criterion",
    "fields": "field",
    "recommendations": "recommendation",
    "land": "land",
    "kreis": "kreis",
    "urbanisation": "urbanisation",
    "size_class": "size_class",
    "cycles": "cycle",
    "actor_types": "actor_type",
    "target_groups": "target_group",
    "status": "status",
    "validated": "validated",
}
#: The value of the ``validated`` facet on every version of a lineage whose newest validation
#: makes it a good practice (``omk.synergies.validation``; outbox kind practice.validated).
VALIDATED = "1"


@dataclass
class PracticeRecord:
    """One published version of a practice, as the index stores it."""

    practice_id: str  # the lineage id (UUID)
    cycle: str  # the cycle of this version
    is_latest: bool  # the newest published version of the lineage
    report_id: int
    revision_id: int
    ags: str  # the reporting key (8 digits)
    municipality_key: str
    name: str  # register name (display name is resolved when shown)
    title: str
    summary: str
    description: str
    outcomes: str
    transferability: str
    actors: str  # actor names, one per line
    period_end: str  # ISO date of the cycle's end: "newest" sorts by it
    accepted_at: str  # ISO timestamp of the acceptance
    # facets
    criterion: list[str] = field(default_factory=list)
    fields: list[str] = field(default_factory=list)
    recommendations: list[str] = field(default_factory=list)
    land: list[str] = field(default_factory=list)
    kreis: list[str] = field(default_factory=list)
    urbanisation: list[str] = field(default_factory=list)
    size_class: list[str] = field(default_factory=list)
    cycles: list[str] = field(default_factory=list)  # every cycle the lineage was published in
    actor_types: list[str] = field(default_factory=list)
    target_groups: list[str] = field(default_factory=list)
    status: list[str] = field(default_factory=list)
    validated: list[str] = field(default_factory=list)  # [VALIDATED] or []

    @property
    def key(self) -> str:
        """The index's unique key: lineage and cycle."""
        return f"{self.practice_id}@{self.cycle}"

    @property
    def stamp(self) -> str:
        """A fingerprint of everything indexed: differs whenever the record would."""
        # vars() is asdict() without its deep copy: every field is a str, int, bool or a
        # list of str, so the JSON text (and the stamp) is the same
        data = json.dumps(vars(self), sort_keys=True, ensure_ascii=False)
        return hashlib.sha1(data.encode(), usedforsecurity=False).hexdigest()[:16]


def _iso(value: datetime | None) -> str:
    return value.isoformat() if value else ""


def _versions(practice_ids: Sequence[str] | None) -> list[tuple[Practice, Report]]:
    query = (
        select(Practice, Report)
        .join(Report, Practice.revision_id == Report.published_revision_id)
        .options(selectinload(Practice.actors))
        .order_by(Practice.uuid)
    )
    if practice_ids is None:
        return [(p, r) for p, r in db.session.execute(query).all()]
    return [
        (p, r)
        for piece in sorted_chunks(practice_ids)
        for p, r in db.session.execute(query.where(Practice.uuid.in_(piece))).all()
    ]


def _validated(practice_ids: Iterable[str]) -> set[str]:
    """The lineages whose newest validation says good practice (a query per ``IN_LIMIT``)."""
    newest: dict[str, str] = {}
    for piece in sorted_chunks(practice_ids):
        for practice_id, verdict in db.session.execute(
            select(PracticeValidation.practice_id, PracticeValidation.verdict)
            .where(PracticeValidation.practice_id.in_(piece))
            .order_by(PracticeValidation.validated_at.desc(), PracticeValidation.id.desc())
        ):
            newest.setdefault(practice_id, verdict)
    return {p for p, verdict in newest.items() if verdict == "validated"}


def _record(
    practice: Practice, report: Report, cycles: list[Cycle], latest: bool, validated: bool
) -> PracticeRecord:
    municipality: Municipality = report.municipality
    klass = size_class(municipality.population)
    return PracticeRecord(
        practice_id=practice.uuid,
        cycle=report.cycle.code,
        is_latest=latest,
        report_id=report.id,
        revision_id=practice.revision_id or 0,
        ags=municipality.reporting_ags or municipality.key,
        municipality_key=municipality.key,
        name=municipality.name,
        title=practice.title,
        summary=practice.summary,
        description=practice.description,
        outcomes=practice.outcomes or "",
        transferability=practice.transferability or "",
        actors="\n".join(a.name for a in practice.actors),
        period_end=report.cycle.period_end.isoformat(),
        accepted_at=_iso(report.accepted_at),
        criterion=[practice.criterion],
        fields=list(practice.fields or []),
        recommendations=list(practice.recommendations or []),
        land=[municipality.key[:2]],
        kreis=[municipality.key[:5]] if len(municipality.key) >= 5 else [],
        urbanisation=[str(municipality.urbanisation)] if municipality.urbanisation else [],
        size_class=[klass.code] if klass else [],
        cycles=[c.code for c in cycles],
        actor_types=sorted({a.type for a in practice.actors}),
        target_groups=list(practice.target_groups or []),
        status=[practice.status] if practice.status else [],
        validated=[VALIDATED] if validated else [],
    )


def records(practice_ids: Sequence[str] | None = None) -> list[PracticeRecord]:
    """The records of these lineages (all when None), every published version of each."""
    by_lineage: dict[str, list[tuple[Practice, Report]]] = {}
    for practice, report in _versions(practice_ids):
        by_lineage.setdefault(practice.uuid, []).append((practice, report))
    result: list[PracticeRecord] = []
    validated = _validated(by_lineage)
    for lineage, versions in by_lineage.items():
        versions.sort(key=lambda v: (v[1].cycle.period_end, v[1].cycle.code))
        cycles = [report.cycle for _, report in versions]
        for n, (practice, report) in enumerate(versions):
            last = n == len(versions) - 1
            result.append(_record(practice, report, cycles, last, lineage in validated))
    return result


def all_lineages() -> list[str]:
    """Every practice id with a published version."""
    return list(
        db.session.scalars(
            select(Practice.uuid)
            .join(Report, Practice.revision_id == Report.published_revision_id)
            .distinct()
            .order_by(Practice.uuid)
        )
    )


def lineages_of(municipality_keys: Iterable[str]) -> list[str]:
    """Practice ids with a published version reported by these municipalities."""
    found: set[str] = set()
    for piece in sorted_chunks(municipality_keys):
        found.update(
            db.session.scalars(
                select(Practice.uuid)
                .join(Report, Practice.revision_id == Report.published_revision_id)
                .where(Report.municipality_key.in_(piece))
            )
        )
    return sorted(found)


def batches(practice_ids: Sequence[str], size: int = 500) -> Iterator[list[PracticeRecord]]:
    """Records of many lineages, a batch at a time (for a full reindex)."""
    for start in range(0, len(practice_ids), size):
        yield records(practice_ids[start : start + size])
        db.session.expire_all()


def published_pairs(pairs: Iterable[tuple[str, int]]) -> set[tuple[str, int]]:
    """Which (practice id, revision id) pairs are published right now (one query)."""
    pairs = list(pairs)
    if not pairs:
        return set()
    found: set[tuple[str, int]] = set()
    for piece in sorted_chunks(r for _, r in pairs):
        rows = db.session.execute(
            select(Practice.uuid, Practice.revision_id)
            .join(Report, Practice.revision_id == Report.published_revision_id)
            .where(Practice.revision_id.in_(piece))
        ).all()
        found |= {(u, int(r)) for u, r in rows if r is not None}
    return {p for p in pairs if p in found}
