"""What a municipality's page lists besides its register data: its reports and practices.

Everything comes from the one list of reports a user may see (services/listing.py) and the
published practices, so the page shows nobody a draft or a revision they may not read: a
municipality's own reporters see their working copy, its reviewers the real state, everyone
else who may read reports the published ones, anonymous visitors nothing but a hint.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from omk.extensions import db
from omk.models.register import Municipality
from omk.models.reporting import Cycle, Practice, Report
from omk.policy import Action, can
from omk.services import listing

#: At most this many reports and practices on the page (a municipality has a few cycles).
LIMIT = 100


@dataclass(frozen=True)
class PracticeLink:
    """The newest published version of one of the municipality's practices."""

    practice_id: str
    title: str
    cycle_code: str
    cycle_title: str
    status: str | None


@dataclass(frozen=True)
class Activity:
    """A municipality's reports (as the user may see them) and published practices."""

    reports: list[listing.ListedReport]
    practices: list[PracticeLink]
    may_read_reports: bool
    may_read_practices: bool


def activity(user: Any, entry: Municipality) -> Activity:
    """The reports ``user`` may see of ``entry`` (newest cycle first) and its published
    practices (newest version per lineage, by title)."""
    may_reports = can(user, Action.REPORT_READ)
    may_practices = can(user, Action.PRACTICE_READ)
    if entry.reporting_ags is None:  # Länder, Regierungsbezirke … do not report
        return Activity([], [], may_reports, may_practices)
    reports: list[listing.ListedReport] = []
    if may_reports:
        reports = listing.list_reports(
            user,
            listing.ReportFilters(municipality=entry.key),
            per_page=LIMIT,
            order=listing.Order.NEWEST,
        ).items
    practices: list[PracticeLink] = []
    if may_practices:
        rows = db.session.execute(
            select(Practice.uuid, Practice.title, Practice.status, Cycle.code, Cycle.title)
            .join(Report, Practice.revision_id == Report.published_revision_id)
            .join(Cycle, Report.cycle_id == Cycle.id)
            .where(Report.municipality_key == entry.key)
            .order_by(Cycle.period_end.desc(), Cycle.code.desc())
        ).all()
        newest: dict[str, PracticeLink] = {}
        for uuid, title, status, code, cycle_title in rows:
            newest.setdefault(uuid, PracticeLink(uuid, title, code, cycle_title, status))
        practices = sorted(newest.values(), key=lambda p: p.title.casefold())[:LIMIT]
    return Activity(reports, practices, may_reports, may_practices)
