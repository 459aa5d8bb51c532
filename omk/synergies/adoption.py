"""A confirmed transfer suggestion turned into the learning trace (issue 12 item 5).

The reporters of the municipality with the gap (side ``a`` of a transfer suggestion) record,
once a reviewer has confirmed the suggestion, that one of their practices was adopted from
the suggested practice: the practice's ``adopted_from`` in their editable report of the newest
open cycle, written through ``reports.save_document`` (the one path of report content; it
checks the reporter's right to edit and is audited as ``report.save``). Drafts stay private:
only the municipality's own reporters may write them (DOMAIN.md), so neither a reviewer nor
an admin records it on their behalf.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from omk.errors import Conflict, FieldError, Forbidden, ValidationFailed
from omk.extensions import db
from omk.messages import msg
from omk.models.reporting import Cycle, Report
from omk.policy import Action, authorize
from omk.services import reports
from omk.services.reports._shared import EDITABLE
from omk.synergies import judgements, learning
from omk.synergies.suggestions import Suggestion


@dataclass(frozen=True)
class Choice:
    """A practice of the own editable report that may be marked as adopted."""

    practice_id: str
    title: str


def own_report(user: Any) -> Report | None:
    """The user's municipality's editable report of the newest open cycle, if any."""
    key = getattr(user, "municipality_key", None)
    if not key:
        return None
    rows = db.session.scalars(
        select(Report)
        .join(Cycle, Cycle.id == Report.cycle_id)
        .where(
            Report.municipality_key == key,
            Cycle.status == "open",
            Report.state.in_(EDITABLE),
        )
        .order_by(Cycle.period_end.desc())
    )
    return next(iter(rows), None)


def choices(user: Any) -> list[Choice]:
    """The practices of :func:`own_report` (empty without one)."""
    report = own_report(user)
    if report is None:
        return []
    return [
        Choice(str(p["id"]), str(p["title"])) for p in reports.working_document(report)["practices"]
    ]


def adoptable(user: Any, suggestion: Suggestion) -> bool:
    """Whether this user may turn this suggestion into an adoption (shown on the page)."""
    key = getattr(user, "municipality_key", None)
    return bool(
        key
        and suggestion.kind == "transfer"
        and suggestion.status == "confirmed"
        and suggestion.a["id"] == key
        and suggestion.practice_id
    )


def record(user: Any, cycle: Cycle, origin_id: str, practice_id: str) -> Report:
    """Mark ``practice_id`` of the own editable report as adopted from ``origin_id``, which
    must be the practice of a transfer suggestion for the own municipality confirmed in
    ``cycle``."""
    key = getattr(user, "municipality_key", None)
    if not key:
        raise Forbidden(msg("Nur Berichtende einer Kommune erfassen Übernahmen."))
    authorize(Action.REPORT_EDIT, key, user=user)  # the own municipality's reporters only
    confirmed = [
        s
        for s in judgements.view(cycle, key, "transfer")
        if adoptable(user, s) and s.practice_id == origin_id
    ]
    origin = learning.origin(origin_id) if confirmed else None
    if origin is None:
        raise Conflict(
            msg("Nur ein bestätigter Übertragungsvorschlag für Ihre Kommune wird zur Übernahme.")
        )
    report = own_report(user)
    if report is None:
        raise Conflict(msg("Ihre Kommune hat in der laufenden Runde keinen bearbeitbaren Bericht."))
    document = copy.deepcopy(reports.working_document(report))
    practice = next((p for p in document["practices"] if p["id"] == practice_id), None)
    if practice is None:
        raise ValidationFailed(
            [FieldError("practice", msg("Bitte eine Maßnahme Ihres Berichts wählen."))]
        )
    practice["adopted_from"] = {
        "practice": origin.practice_id,
        "municipality": origin.municipality_key,
    }
    reports.save_document(user, report, document, edit_version=report.edit_version)
    return report
