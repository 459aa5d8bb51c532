"""Import and export of ``omk-report/1`` documents, continuation of a report into the next
cycle and counts per state.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import func, select, update

from omk import documents, exchange
from omk.document_types import ReportDocument
from omk.errors import FieldError, NotFound, ValidationFailed
from omk.extensions import db
from omk.messages import msg
from omk.models.accounts import User
from omk.models.reporting import (
    Cycle,
    Report,
    ReportState,
    Revision,
)
from omk.models.types import utcnow
from omk.policy import Action, Actor, authorize, can, in_scope
from omk.services import cycles, outbox, register
from omk.services.reports._shared import _claim, _event, _locked, content, template_of
from omk.services.reports.documents import (
    _clear_working_copy,
    _write_rows,
    check,
    prepare,
    published_document,
    revision_document,
    working_document,
)
from omk.services.reports.lookup import find_report, latest_revision, resolve_municipality
from omk.services.reports.workflow import (
    _new_report,
    _refuse_foreign_ids,
    save_document,
    start_report,
)
from omk.services.transaction import unit_of_work
from omk.synergies import learning

# --- import and export -------------------------------------------------------------------------


log = logging.getLogger("omk.reports")


def import_document(
    actor: Actor | None, doc: Any, *, publish: bool = False, edit_version: int | None = None
) -> tuple[Report, bool]:
    """Import one document: into the draft (reporters, API), or straight as the published
    revision (``publish``, admin use when moving data between instances). Returns the report
    and whether anything changed; importing the same document again changes nothing."""
    if not isinstance(doc, dict):
        raise ValidationFailed(
            [FieldError("document", msg("Erwartet wird ein JSON-Objekt im Format omk-report/1."))]
        )
    errors: list[FieldError] = []
    municipality = cycle = None
    try:
        municipality = resolve_municipality(str(doc.get("municipality", "")))
    except NotFound as exc:
        errors.append(FieldError("municipality", exc.message))
    try:
        cycle = cycles.get_cycle(str(doc.get("cycle", "")))
    except NotFound as exc:
        errors.append(FieldError("cycle", exc.message))
    if errors or municipality is None or cycle is None:
        # Report schema problems too, so the sender sees everything at once.
        errors += [
            e
            for e in exchange.check_document(
                doc, content(), content().template(content().current_template.version)
            )
            if e.field not in ("municipality", "cycle") and not e.field.startswith("indicators")
        ]
        raise ValidationFailed(errors, msg("Das Dokument ist ungültig; nichts wurde importiert."))
    with unit_of_work():  # one import is one transaction: nothing is left half-done
        report = find_report(cycle, municipality.key)
        template = template_of(report) if report else content().template(cycle.template_version)
        check(doc, template, municipality, cycle)  # before anything is created
        if not publish:
            if report is None:
                report = start_report(actor, cycle, municipality)
            changed = save_document(actor, report, doc, edit_version=edit_version)
            return report, changed
        authorize(Action.REPORT_IMPORT_PUBLISHED, report or municipality.key, user=actor)
        if report is None:
            report = _new_report(actor, cycle, municipality)
        report = _locked(report)
        canonical_doc = prepare(doc, report)
        _refuse_foreign_ids(report, canonical_doc)
        # an operator's import may name practices this instance does not know (a warning)
        adopted = learning.check_adopted_from(canonical_doc, allow_unknown=True)
        if adopted.errors:
            raise ValidationFailed(
                adopted.errors, msg("Das Dokument ist ungültig; nichts wurde importiert.")
            )
        for warning in adopted.warnings:
            log.warning(
                "import of %s: %s: %s", report.municipality_key, warning.field, warning.message
            )
        if report.state == ReportState.ACCEPTED and published_document(report) == canonical_doc:
            return report, False
        before, previous_id = report.state, report.published_revision_id
        _claim(
            report,
            tuple(s.value for s in ReportState),
            ReportState.ACCEPTED.value,
            None,
            revision_count=Report.revision_count + 1,
        )
        revision = Revision(
            report_id=report.id,
            number=report.revision_count,
            template_version=report.template_version,
            submitted_by_id=getattr(actor, "id", None),
            outcome="accepted",
            decided_at=utcnow(),
            decided_by_id=getattr(actor, "id", None),
        )
        db.session.add(revision)
        register.stamp_denominator(revision, municipality)
        db.session.flush()
        _clear_working_copy(report)
        _write_rows(report, canonical_doc, None)
        _write_rows(report, canonical_doc, revision.id)
        db.session.execute(
            update(Report)
            .where(Report.id == report.id)
            .values(published_revision_id=revision.id, accepted_at=utcnow(), submitted_at=utcnow())
        )
        _event(
            report,
            actor,
            "imported",
            before,
            ReportState.ACCEPTED.value,
            revision_id=revision.id,
            published=True,
        )
        outbox.published(report, revision, previous_id)
    db.session.refresh(report)
    return report, True


def export_documents(actor: Actor | None, cycle: Cycle, region: str = "") -> list[ReportDocument]:
    """The published documents of a cycle (optionally within an AGS prefix). Drafts never."""
    if actor is not None:
        authorize(Action.REPORT_EXPORT, region or "", user=actor)
    query = (
        select(Report)
        .where(Report.cycle_id == cycle.id, Report.published_revision_id.is_not(None))
        .order_by(Report.municipality_key)
    )
    if region:
        query = query.where(Report.municipality_key.startswith(region))
    result = []
    for report in db.session.scalars(query):
        if actor is not None and not can(actor, Action.REPORT_READ_PUBLISHED, report):
            continue
        document = published_document(report)
        if document is not None:
            result.append(document)
    return result


def previous_report(report: Report) -> Report | None:
    """The municipality's report in the latest earlier cycle that has a revision."""
    return db.session.scalar(
        select(Report)
        .join(Cycle, Report.cycle_id == Cycle.id)
        .where(
            Report.municipality_key == report.municipality_key,
            Report.id != report.id,
            Report.revision_count > 0,
            Cycle.period_start < report.cycle.period_start,
        )
        .order_by(Cycle.period_start.desc())
        .limit(1)
    )


def source_of_continuation(previous: Report) -> ReportDocument:
    """The document practices are continued from: the published revision, else the latest."""
    published = published_document(previous)
    if published is not None:
        return published
    latest = latest_revision(previous)
    if latest is None:
        raise NotFound(msg("Der frühere Bericht hat keine eingereichte Fassung."))
    return revision_document(latest)


def carry_forward(
    actor: Actor | None, report: Report, practice_ids: list[str], *, edit_version: int | None
) -> int:
    """Continue practices of the previous report in this one, keeping their ids (lineage)."""
    authorize(Action.REPORT_EDIT, report, user=actor)
    with unit_of_work():
        report = _locked(report)
        previous = previous_report(report)
        if previous is None:
            raise NotFound(msg("Es gibt keinen früheren Bericht dieser Kommune."))
        source = source_of_continuation(previous)
        doc, added = documents.continue_practices(working_document(report), source, practice_ids)
        if not added:
            return 0
        save_document(actor, report, doc, edit_version=edit_version)
    return added


def report_counts(cycle: Cycle, scope: str = "") -> dict[str, int]:
    """Number of reports per state in a cycle (within a region)."""
    query = select(Report.state, func.count(Report.id)).where(Report.cycle_id == cycle.id)
    if scope:
        query = query.where(Report.municipality_key.startswith(scope))
    return {state: n for state, n in db.session.execute(query.group_by(Report.state)).all()}


def reviewer_may(actor: User, report: Report) -> bool:
    return in_scope(actor.scope, report.municipality_key)
