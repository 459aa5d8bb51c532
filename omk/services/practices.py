"""Published practices as their own records: the latest published version of a lineage, its
versions over the cycles with what changed, and the indicators it explains.

Only published revisions count (DOMAIN.md): a draft, a submitted or returned revision and a
correction in progress are never read here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from itertools import pairwise
from typing import Any

from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import contains_eager, selectinload

from omk import exchange
from omk.document_types import Change, PracticeDocument, ReportDocument
from omk.errors import NotFound
from omk.extensions import db
from omk.messages import msg
from omk.models.reporting import Cycle, IndicatorValue, Practice, Report
from omk.policy import Action, authorize
from omk.services import reports


@dataclass
class Version:
    """One published version of a practice: the cycle, its report and the changes since the
    version before."""

    cycle: Cycle
    report: Report
    practice: Practice
    document: PracticeDocument
    changes: list[Change] = field(default_factory=list)


@dataclass
class PublishedPractice:
    """A practice's lineage as readers see it: newest version first in ``versions``."""

    practice_id: str
    versions: list[Version]
    indicators: list[tuple[str, float]]  # indicators of the latest version's report it explains

    @property
    def latest(self) -> Version:
        return self.versions[0]

    @property
    def cycles(self) -> list[str]:
        return [v.cycle.code for v in reversed(self.versions)]


def _published_rows(practice_id: str) -> list[tuple[Practice, Report]]:
    rows = db.session.execute(
        select(Practice, Report)
        .join(Report, Practice.revision_id == Report.published_revision_id)
        .join(Cycle, Report.cycle_id == Cycle.id)
        .where(Practice.uuid == practice_id.lower())
        .options(selectinload(Practice.actors))
        .order_by(Cycle.period_end.desc(), Cycle.code.desc())
    ).all()
    return [(p, r) for p, r in rows]


def published_reports(practice_id: str) -> list[Report]:
    """The reports of a practice's published versions, newest first (cycle and municipality
    loaded with them): what a page needs to ask the policy and to recognise a cached
    rendering, in one statement built once."""
    return list(db.session.scalars(_published_reports(), {"uuid": practice_id.lower()}))


@cache
def _published_reports() -> Select[Report]:
    return (
        select(Report)
        .join(Practice, Practice.revision_id == Report.published_revision_id)
        .join(Cycle, Report.cycle_id == Cycle.id)
        .where(Practice.uuid == bindparam("uuid"))
        .options(contains_eager(Report.cycle))
        .order_by(Cycle.period_end.desc(), Cycle.code.desc())
    )


def get_published(user: Any, practice_id: str) -> PublishedPractice:
    """The published lineage of a practice; NotFound when no version is published (whether
    a draft holds it is nobody's business)."""
    rows = _published_rows(practice_id)
    if not rows:
        raise NotFound(msg("Diese Maßnahme gibt es nicht oder sie ist nicht veröffentlicht."))
    authorize(Action.PRACTICE_READ, rows[0][1], user=user)
    versions = [
        Version(r.cycle, r, p, exchange.canonical_practice(reports.practice_to_dict(p)))
        for p, r in rows
    ]
    for newer, older in pairwise(versions):
        newer.changes = _changes(older.document, newer.document)
    latest = versions[0]
    values = db.session.scalars(
        select(IndicatorValue).where(IndicatorValue.revision_id == latest.practice.revision_id)
    ).all()
    explained = [
        (v.code, v.value) for v in values if latest.practice.uuid in (v.practice_ids or [])
    ]
    return PublishedPractice(latest.practice.uuid, versions, explained)


def _changes(old: PracticeDocument, new: PracticeDocument) -> list[Change]:
    """Field changes of one practice between two versions (paths without the practice ref)."""
    changes = exchange.diff(_holding(old), _holding(new))
    prefix = f"practices[{new['id']}]."
    return [
        {"field": c["field"].removeprefix(prefix), "old": c["old"], "new": c["new"]}
        for c in changes
    ]


def _holding(practice: PracticeDocument) -> ReportDocument:
    """A document holding just ``practice`` (nothing else of it is compared)."""
    return {
        "format": exchange.FORMAT,
        "municipality": "",
        "cycle": "",
        "indicators": {},
        "practices": [practice],
    }
