"""Lists of reports: what a user may see, filtered and a page at a time.

One query serves the HTML list of published reports and the API's list. Which rows a user
sees, and whether a row shows its real state or only its published revision, come from the
policy's rules (:func:`omk.policy.report_filter`), evaluated in SQL for the whole page.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, Select, case, func, literal, select
from sqlalchemy.orm import aliased, contains_eager

from omk.extensions import db
from omk.models.register import Municipality
from omk.models.reporting import Cycle, Report, ReportState, Revision
from omk.policy import Action, report_filter
from omk.services import register

#: Rows of a page in the HTML list of published reports.
PER_PAGE = 50


class Order(StrEnum):
    """How a list is sorted (ties are broken by the report's id, so pages are stable)."""

    NEWEST = "newest"  # newest cycle first, then municipality name
    KEY = "key"  # by the municipality's key (for clients paging through everything)


@dataclass(frozen=True)
class ReportFilters:
    """What a list is narrowed to; an empty field does not narrow it."""

    cycle: str | None = None  # a cycle code
    land: str | None = None  # a Land key (2 digits)
    region: str | None = None  # an AGS prefix
    q: str = ""  # part of the municipality's name
    municipality: str | None = None  # exactly this municipality (its register key)
    state: str | None = None  # the state as the user sees it (see ListedReport.state)
    published: bool = False  # only reports with a published revision


@dataclass(frozen=True)
class ListedReport:
    """A report as one user may see it in a list."""

    report: Report
    #: Whether the user sees the report's history (its municipality, its reviewers); others
    #: see only the published revision: state "accepted" and the published number.
    sees_history: bool
    state: str
    revisions: int
    published_revision: int | None

    @property
    def ags(self) -> str:
        return self.report.municipality.reporting_ags or self.report.municipality_key

    @property
    def name(self) -> str:
        return self.report.municipality.name


@dataclass(frozen=True)
class Page:
    """One page of a list, with the total number of rows."""

    items: list[ListedReport]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def _shown(user: Any) -> tuple[ColumnElement[bool], ColumnElement[str], ColumnElement[int], Any]:
    """Per row: whether the user sees its history, the state and number of revisions shown,
    and the published revision (joined as an alias)."""
    sees = report_filter(user, Action.REPORT_READ)
    published = aliased(Revision)
    state = case((sees, Report.state), else_=literal(ReportState.ACCEPTED.value))
    revisions = case((sees, Report.revision_count), else_=func.coalesce(published.number, 0))
    return sees, state, revisions, published


def _conditions(
    user: Any, filters: ReportFilters, shown_state: ColumnElement[str]
) -> list[ColumnElement[bool]]:
    conditions = [report_filter(user)]
    if filters.published:
        conditions.append(Report.published_revision_id.is_not(None))
    if filters.cycle:
        conditions.append(Cycle.code == filters.cycle)
    if filters.land:
        conditions.append(Municipality.land_key == filters.land)
    if filters.region:
        conditions.append(Report.municipality_key.startswith(filters.region, autoescape=True))
    if filters.municipality:
        conditions.append(Report.municipality_key == filters.municipality)
    if filters.q.strip():
        conditions.append(register.name_matches(filters.q))
    if filters.state:
        conditions.append(shown_state == filters.state)
    return conditions


def _joined(query: Select[Any]) -> Select[Any]:
    return query.join(Report.municipality).join(Report.cycle)


def visible_report_ids(user: Any, filters: ReportFilters | None = None) -> set[int]:
    """The ids of every report the list shows ``user`` (all pages), for checks and tests."""
    filters = filters or ReportFilters()
    _, state, _, published = _shown(user)
    query = _joined(select(Report.id)).outerjoin(
        published, published.id == Report.published_revision_id
    )
    return set(db.session.scalars(query.where(*_conditions(user, filters, state))))


def list_reports(
    user: Any,
    filters: ReportFilters | None = None,
    page: int = 1,
    per_page: int = PER_PAGE,
    order: Order = Order.KEY,
) -> Page:
    """The reports ``user`` may see (draft, history or published revision), filtered, one
    page. Rows the user sees only through their published revision show that revision."""
    filters = filters or ReportFilters()
    sees, state, revisions, published = _shown(user)
    conditions = _conditions(user, filters, state)
    counted = _joined(select(func.count(Report.id))).outerjoin(
        published, published.id == Report.published_revision_id
    )
    total = db.session.scalar(counted.where(*conditions)) or 0
    sort = (
        (Cycle.period_start.desc(), Municipality.name, Report.id)
        if order == Order.NEWEST
        else (Report.municipality_key, Report.id)
    )
    query = (
        _joined(select(Report, sees, state, revisions, published.number))
        .outerjoin(published, published.id == Report.published_revision_id)
        .options(contains_eager(Report.municipality), contains_eager(Report.cycle))
        .where(*conditions)
        .order_by(*sort)
        .offset((page - 1) * per_page)
        .limit(per_page)
    )
    items = [
        ListedReport(
            report=report,
            sees_history=bool(row_sees),
            state=row_state,
            revisions=row_revisions,
            published_revision=number,
        )
        for report, row_sees, row_state, row_revisions, number in db.session.execute(query)
    ]
    return Page(items=items, total=total, page=page, per_page=per_page)


def list_published(
    user: Any, filters: ReportFilters | None = None, page: int = 1, per_page: int = PER_PAGE
) -> Page:
    """Published reports the user may read, newest cycle first, then by name."""
    narrowed = replace(filters or ReportFilters(), published=True)
    return list_reports(user, narrowed, page, per_page, order=Order.NEWEST)
