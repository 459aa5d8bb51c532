"""The workflow: start, save, submit, return, accept, reopen, reply, the per-change edits of
the working copy and the synthetic flag.

Transitions are conditional updates (``WHERE state = … AND edit_version = …``), so of
simultaneous attempts exactly one succeeds and the others get a Conflict.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select, text

from omk import documents, exchange
from omk.document_types import PracticeDocument, ReportDocument
from omk.errors import Conflict, FieldError, NotFound, ValidationFailed
from omk.extensions import db
from omk.messages import msg
from omk.models.register import Municipality
from omk.models.reporting import (
    Cycle,
    Practice,
    Report,
    ReportState,
    ReviewComment,
    Revision,
)
from omk.models.types import utcnow
from omk.policy import Action, Actor, authorize
from omk.services import accounts, audit, cycles, notify, outbox, register
from omk.services.reports._shared import (
    EDITABLE,
    _claim,
    _event,
    _expect,
    _locked,
    content,
    template_of,
)
from omk.services.reports.documents import (
    _clear_working_copy,
    _write_rows,
    completeness,
    prepare,
    revision_document,
    working_document,
)
from omk.services.reports.lookup import find_report, latest_revision
from omk.services.transaction import after_commit, unit_of_work
from omk.synergies import learning

# --- workflow ---------------------------------------------------------------------------------


def foreign_practice_ids(report: Report, doc: ReportDocument) -> list[FieldError]:
    """Practices of ``doc`` whose id another municipality has already used (submitted or
    published). A practice id belongs to one municipality: its lineage never crosses over.

    Only frozen revisions count, never another municipality's working copy: refusing an id
    because of someone else's draft would reveal that draft.
    """
    ids = {p["id"]: i for i, p in enumerate(doc.get("practices") or []) if p.get("id")}
    if not ids:
        return []
    taken = set(
        db.session.scalars(
            select(Practice.uuid)
            .join(Report, Practice.report_id == Report.id)
            .where(
                Practice.uuid.in_(list(ids)),
                Practice.revision_id.is_not(None),
                Report.municipality_key != report.municipality_key,
            )
            .distinct()
        )
    )
    return [
        FieldError(
            f"practices[{pid}].id",
            msg(
                "Diese ID gehört zu einer Maßnahme einer anderen Kommune. Eine übernommene "
                "Maßnahme bekommt eine eigene ID und nennt ihr Vorbild unter „Übernommen von“."
            ),
        )
        for pid in ids
        if pid in taken
    ]


def _refuse_foreign_ids(report: Report, doc: ReportDocument) -> None:
    errors = foreign_practice_ids(report, doc)
    if errors:
        raise ValidationFailed(errors, msg("Das Dokument ist ungültig; nichts wurde gespeichert."))


def _new_report(actor: Actor | None, cycle: Cycle, municipality: Municipality) -> Report:
    """Create the report row (inside the unit of work in progress)."""
    report = Report(
        cycle_id=cycle.id,
        municipality_key=municipality.key,
        state=ReportState.DRAFT.value,
        template_version=cycle.template_version,
        updated_by_id=getattr(actor, "id", None),
    )
    db.session.add(report)
    db.session.flush()
    _event(report, actor, "created", None, ReportState.DRAFT.value)
    return report


def start_report(actor: Actor | None, cycle: Cycle, municipality: Municipality) -> Report:
    """Start the report of a municipality in a cycle (idempotent: returns an existing one)."""
    existing = find_report(cycle, municipality.key)
    if existing is not None:
        return existing
    authorize(Action.REPORT_EDIT, municipality.key, user=actor)
    if cycle.status != "open":
        raise Conflict(msg("Diese Berichtsrunde ist geschlossen."))
    if not cycles.covers(cycle, municipality.key):
        raise Conflict(
            msg(
                "Die Runde %(code)s umfasst %(name)s nicht.",
                code=cycle.code,
                name=municipality.name,
            )
        )
    with unit_of_work():
        # Read again inside: a concurrent start may have created it meanwhile.
        existing = find_report(cycle, municipality.key)
        report = existing or _new_report(actor, cycle, municipality)
    return report


def save_document(
    actor: Actor | None, report: Report, doc: Any, *, edit_version: int | None
) -> bool:
    """Replace the working copy with ``doc`` (validated whole). Returns False when nothing
    changed. Conflict when the report is not editable or someone saved meanwhile."""
    authorize(Action.REPORT_EDIT, report, user=actor)
    with unit_of_work():
        report = _locked(report)
        canonical_doc = prepare(doc, report)
        _expect(report, EDITABLE, edit_version)
        _refuse_foreign_ids(report, canonical_doc)
        if canonical_doc == working_document(report):
            return False
        state = report.state
        _claim(report, EDITABLE, state, None, updated_by_id=getattr(actor, "id", None))
        _clear_working_copy(report)
        _write_rows(report, canonical_doc, None)
        audit.record(actor, "report.save", report, to_state=state)
    return True


def submit(actor: Actor | None, report: Report, *, edit_version: int | None = None) -> Revision:
    """Check completeness, freeze the next revision and mark the report submitted.

    The working copy is read after the report is locked, in the transaction that freezes it:
    the revision holds exactly what the working copy holds when it is submitted.
    """
    authorize(Action.REPORT_SUBMIT, report, user=actor)
    with unit_of_work():
        report = _locked(report)
        _expect(report, EDITABLE, edit_version)
        doc = working_document(report)
        missing = completeness(report, doc)
        # the learning trace must name a published practice of another municipality
        missing += learning.check_adopted_from(doc).errors
        if missing:
            raise ValidationFailed(missing, msg("Der Bericht ist noch nicht vollständig."))
        _refuse_foreign_ids(report, doc)
        before = report.state
        _claim(
            report,
            EDITABLE,
            ReportState.SUBMITTED.value,
            None,
            revision_count=Report.revision_count + 1,
            submitted_at=utcnow(),
        )
        revision = Revision(
            report_id=report.id,
            number=report.revision_count,
            template_version=report.template_version,
            submitted_by_id=getattr(actor, "id", None),
        )
        db.session.add(revision)
        db.session.flush()
        _write_rows(report, doc, revision.id)
        _event(
            report, actor, "submitted", before, ReportState.SUBMITTED.value, revision_id=revision.id
        )
        number = revision.number
        after_commit(lambda: notify.submitted(report, number))
    return revision


def _comment_fields(doc: ReportDocument) -> set[str]:
    """Paths a review comment may point at in a revision's document."""
    fields = {"report", "practices"}
    fields.update(f"indicators.{c}" for c in content().indicators)
    fields.update(f"indicator_practices.{c}" for c in content().indicators)
    for p in doc.get("practices") or []:
        ref = f"practices[{p['id']}]"
        fields.add(ref)
        fields.update(f"{ref}.{name}" for name in exchange.PRACTICE_FIELDS if name != "id")
        for n in range(len(p.get("actors") or [])):
            fields.update(
                f"{ref}.actors[{n}]{suffix}" for suffix in ("", ".name", ".type", ".lead")
            )
    return fields


def return_report(
    actor: Actor | None,
    report: Report,
    comments: list[tuple[str, str]],
    *,
    edit_version: int | None = None,
) -> list[ReviewComment]:
    """Return a submitted report with comments on its fields; at least one comment."""
    authorize(Action.REPORT_REVIEW, report, user=actor)
    comments = [(f.strip(), t.strip()) for f, t in comments if t and t.strip()]
    if not comments:
        raise ValidationFailed(
            [
                FieldError(
                    "comments",
                    msg("Eine Rückgabe braucht mindestens einen Hinweis mit Begründung."),
                )
            ],
            msg("Eine Rückgabe ohne Begründung ist nicht möglich."),
        )
    with unit_of_work():
        report = _locked(report)
        _expect(report, (ReportState.SUBMITTED.value,), edit_version)
        revision = latest_revision(report)
        if revision is None:
            raise Conflict(msg("Der Bericht hat keine eingereichte Fassung."))
        frozen = revision_document(revision)
        allowed = _comment_fields(frozen)
        errors = [
            FieldError(
                f"comments[{i}].field",
                msg("Das Feld %(field)s gibt es in dieser Revision nicht.", field=repr(field)),
            )
            for i, (field, _) in enumerate(comments)
            if field not in allowed
        ]
        errors += [
            FieldError(f"comments[{i}].text", msg("Höchstens 5.000 Zeichen."))
            for i, (_, text) in enumerate(comments)
            if len(text) > 5000
        ]
        if errors:
            raise ValidationFailed(errors)
        _claim(report, (ReportState.SUBMITTED.value,), ReportState.RETURNED.value, None)
        revision.outcome, revision.decided_at = "returned", utcnow()
        revision.decided_by_id = getattr(actor, "id", None)
        created = [
            ReviewComment(
                report_id=report.id,
                revision_id=revision.id,
                field=field,
                text=text,
                author_id=getattr(actor, "id", None),
            )
            for field, text in comments
        ]
        db.session.add_all(created)
        _event(
            report,
            actor,
            "returned",
            ReportState.SUBMITTED.value,
            ReportState.RETURNED.value,
            revision_id=revision.id,
            comments=len(created),
        )
        labels = {
            field: exchange.describe(field, frozen, content(), template_of(report))
            for field, _ in comments
        }
        after_commit(lambda: notify.returned(report, created, labels))
    return created


def accept(actor: Actor | None, report: Report, *, edit_version: int | None = None) -> Revision:
    """Accept the submitted revision: it becomes the published one.

    The revision is read after the report is locked: what is published is the revision that
    is submitted when the acceptance commits, never one a concurrent return replaced.
    """
    authorize(Action.REPORT_REVIEW, report, user=actor)
    with unit_of_work():
        report = _locked(report)
        _expect(report, (ReportState.SUBMITTED.value,), edit_version)
        accounts.check_not_own_invitee(actor, report)  # four eyes: not by whoever invited
        revision = latest_revision(report)
        if revision is None:
            raise Conflict(msg("Der Bericht hat keine eingereichte Fassung."))
        previous_id = report.published_revision_id
        _claim(
            report,
            (ReportState.SUBMITTED.value,),
            ReportState.ACCEPTED.value,
            None,
            published_revision_id=revision.id,
            accepted_at=utcnow(),
            is_correction=False,
        )
        revision.outcome, revision.decided_at = "accepted", utcnow()
        revision.decided_by_id = getattr(actor, "id", None)
        register.stamp_denominator(revision, report.municipality)
        _event(
            report,
            actor,
            "accepted",
            ReportState.SUBMITTED.value,
            ReportState.ACCEPTED.value,
            revision_id=revision.id,
        )
        outbox.published(report, revision, previous_id)
        _refresh_statistics()
        after_commit(lambda: notify.accepted(report))
    return revision


def _refresh_statistics() -> None:
    """Planner statistics for the reports tables (SQLite only; PostgreSQL's autovacuum keeps
    its own). Without them SQLite guesses a million reports and drives every list of reports
    from the 16,068 register entries instead (15 ms for 250 reports); a publication is rare
    and this takes a few milliseconds."""
    if db.engine.dialect.name == "sqlite":
        db.session.execute(text("ANALYZE report"))


def reopen(
    actor: Actor | None, report: Report, reason: str, *, edit_version: int | None = None
) -> None:
    """Reopen an accepted report for a correction; the accepted revision stays published."""
    authorize(Action.REPORT_REVIEW, report, user=actor)
    if not reason.strip():
        raise ValidationFailed([FieldError("reason", msg("Bitte begründen Sie die Korrektur."))])
    with unit_of_work():
        report = _locked(report)
        _expect(report, (ReportState.ACCEPTED.value,), edit_version)
        _claim(
            report,
            (ReportState.ACCEPTED.value,),
            ReportState.RETURNED.value,
            None,
            is_correction=True,
        )
        revision = latest_revision(report)
        notes: list[ReviewComment] = []
        if revision is not None:
            notes.append(
                ReviewComment(
                    report_id=report.id,
                    revision_id=revision.id,
                    field="report",
                    text=reason.strip(),
                    author_id=getattr(actor, "id", None),
                )
            )
            db.session.add_all(notes)
        _event(
            report,
            actor,
            "reopened",
            ReportState.ACCEPTED.value,
            ReportState.RETURNED.value,
            message=reason.strip(),
        )
        after_commit(lambda: notify.returned(report, notes, {"report": "Bericht insgesamt"}))


def reply(actor: Actor | None, comment: ReviewComment, text: str) -> None:
    """The municipality answers a review comment."""
    report = db.session.get(Report, comment.report_id)
    authorize(Action.REPORT_EDIT, report, user=actor)
    if len(text) > 5000:
        raise ValidationFailed([FieldError("reply", msg("Höchstens 5.000 Zeichen."))])
    with unit_of_work():
        comment.reply, comment.replied_at = text.strip() or None, utcnow()
        audit.record(actor, "report.reply", report, comment=comment.id)


# --- editing the working copy, one change at a time ---------------------------------------------


def _edit(
    actor: Actor | None,
    report: Report,
    change: Callable[[ReportDocument], ReportDocument],
    *,
    edit_version: int | None,
    skip_unchanged: bool = False,
) -> bool:
    """Apply one edit of :mod:`omk.documents` to the working copy and save the result.

    Without an edit check the version read together with the working copy is the check: a
    save by someone else in between is a Conflict, never silently overwritten."""
    authorize(Action.REPORT_EDIT, report, user=actor)
    # The version the caller's form was built from; without one, the version as read now.
    version = report.edit_version if edit_version is None else edit_version
    with unit_of_work():
        report = _locked(report)
        doc = working_document(report)
        try:
            new = change(doc)
        except documents.PracticeNotFound as exc:
            raise NotFound(msg("Diese Maßnahme gibt es in diesem Bericht nicht.")) from exc
        if skip_unchanged and new == doc:
            return False
        return save_document(actor, report, new, edit_version=version)


def save_practice(
    actor: Actor | None,
    report: Report,
    practice: PracticeDocument,
    *,
    explains: list[str],
    is_new: bool,
    edit_version: int | None,
) -> bool:
    """Add a practice to the working copy (``is_new``) or replace the one with its id, named
    as explaining exactly the indicators in ``explains``. Returns False when nothing changed."""
    codes = template_of(report).indicator_codes()
    edit = documents.add_practice if is_new else documents.update_practice
    return _edit(
        actor,
        report,
        lambda doc: edit(doc, practice, explains=explains, indicator_codes=codes),
        edit_version=edit_version,
    )


def remove_practice(
    actor: Actor | None, report: Report, practice_id: str, *, edit_version: int | None
) -> bool:
    """Remove a practice from the working copy, and every indicator's link to it."""
    return _edit(
        actor,
        report,
        lambda doc: documents.remove_practice(doc, practice_id),
        edit_version=edit_version,
    )


def move_practice(
    actor: Actor | None,
    report: Report,
    practice_id: str,
    direction: documents.Direction,
    *,
    edit_version: int | None,
) -> bool:
    """Move a practice one place up or down in the working copy (nothing at either end)."""
    return _edit(
        actor,
        report,
        lambda doc: documents.move_practice(doc, practice_id, direction),
        edit_version=edit_version,
        skip_unchanged=True,
    )


def save_indicators(
    actor: Actor | None,
    report: Report,
    values: dict[str, float | int],
    links: dict[str, list[str]],
    *,
    edit_version: int | None,
) -> bool:
    """Replace the working copy's indicator values and the practices that explain them."""
    return _edit(
        actor,
        report,
        lambda doc: documents.set_indicators(doc, values, links),
        edit_version=edit_version,
    )


# --- the synthetic flag -------------------------------------------------------------------------


def mark_synthetic(actor: Actor | None, report: Report) -> None:
    """Flag a report's indicator values as synthetic (every page showing them says so)."""
    if report.has_synthetic_indicators:
        return
    with unit_of_work():
        report.has_synthetic_indicators = True
        audit.record(actor, "report.mark_synthetic", report)
