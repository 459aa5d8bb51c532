"""Finding municipalities, reports and revisions, with the permission checks of a request."""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import contains_eager

from omk.errors import NotFound
from omk.extensions import db
from omk.messages import msg
from omk.models.register import Level, Municipality
from omk.models.reporting import (
    Cycle,
    Report,
    Revision,
)
from omk.policy import Action, authorize, authorize_or_404, can
from omk.services import cycles

# --- lookups ------------------------------------------------------------------------------


def resolve_municipality(ags: str) -> Municipality:
    """The register entry a report key stands for: a Gemeinde (8 digits) or a Kreis (+000)."""
    ags = (ags or "").strip()
    entry = db.session.get(Municipality, ags) if ags.isdigit() and len(ags) == 8 else None
    if entry is None and len(ags) == 8 and ags.endswith("000"):
        entry = db.session.get(Municipality, ags[:5])
    if entry is None or entry.level not in (Level.GEMEINDE, Level.KREIS):
        raise NotFound(
            msg(
                "%(ags)s ist keine Gemeinde und kein Kreis des Gemeindeverzeichnisses.",
                ags=repr(ags),
            )
        )
    return entry


def find_report(cycle: Cycle, municipality_key: str) -> Report | None:
    return db.session.scalar(
        select(Report).where(
            Report.cycle_id == cycle.id, Report.municipality_key == municipality_key
        )
    )


def get_report(cycle_code: str, ags: str) -> Report:
    """A report by cycle code and municipality key; NotFound if there is none."""
    cycle = cycles.get_cycle(cycle_code)
    municipality = resolve_municipality(ags)
    report = find_report(cycle, municipality.key)
    if report is None:
        raise NotFound(msg("Für diese Kommune gibt es in dieser Runde keinen Bericht."))
    return report


def _find_directly(cycle_code: str, ags: str) -> Report | None:
    """The report of a Gemeinde's own key (8 digits) in one statement, or None: then the
    step by step look-up decides (a Kreis under its +000 key, and the words of a refusal)."""
    ags = (ags or "").strip()
    if not (ags.isdigit() and len(ags) == 8):
        return None
    return db.session.scalar(_report_by_keys(), {"code": cycle_code, "ags": ags})


@cache
def _report_by_keys() -> Select[Report]:
    """The statement of :func:`_find_directly`, built once (building costs more than running)."""
    return (
        select(Report)
        .join(Cycle, Report.cycle_id == Cycle.id)
        .join(Municipality, Report.municipality_key == Municipality.key)
        .where(
            Cycle.code == bindparam("code"),
            Report.municipality_key == bindparam("ags"),
            Municipality.level.in_((Level.GEMEINDE, Level.KREIS)),
        )
        .options(contains_eager(Report.cycle), contains_eager(Report.municipality))
    )


def get_report_as(user: Any, cycle_code: str, ags: str) -> Report:
    """A report by cycle code and municipality key, looked up on behalf of ``user``.

    When there is none, someone outside the municipality gets the same NotFound as for a
    report they may not see: whether a municipality has a draft is nobody's business
    outside it."""
    found = _find_directly(cycle_code, ags)
    if found is not None:
        return found
    cycle = cycles.get_cycle(cycle_code)
    municipality = resolve_municipality(ags)
    report = find_report(cycle, municipality.key)
    if report is None:
        authorize_or_404(Action.REPORT_READ_DRAFT, municipality.key, user=user)
        raise NotFound(msg("Für diese Kommune gibt es in dieser Runde keinen Bericht."))
    return report


def get_report_for(user: Any, action: Action, cycle_code: str, ags: str) -> Report:
    """A report the user is about to act on. Someone who may not even see the report gets
    NotFound (as if there were none), so that a draft's existence is never revealed; someone
    who sees it but may not do ``action`` gets Forbidden."""
    report = get_report_as(user, cycle_code, ags)
    visible = any(
        can(user, a, report)
        for a in (Action.REPORT_READ_DRAFT, Action.REPORT_READ, Action.REPORT_READ_PUBLISHED)
    )
    if not visible:
        authorize_or_404(action, report, user=user)
    authorize(action, report, user=user)
    return report


def get_revision(report: Report, number: int) -> Revision:
    revision = db.session.scalar(
        select(Revision).where(Revision.report_id == report.id, Revision.number == number)
    )
    if revision is None:
        raise NotFound(msg("Revision %(number)s gibt es nicht.", number=number))
    return revision


def latest_revision(report: Report) -> Revision | None:
    if not report.revision_count:
        return None
    return get_revision(report, report.revision_count)
