"""Reports: the working copy, revisions, the review workflow, import and export.

Every change of content goes through one path: an ``omk-report/1`` document is checked
(:func:`omk.exchange.check_document`) and written with :func:`save_document`. Transitions are
conditional updates (``WHERE state = … AND edit_version = …``), so of simultaneous attempts
exactly one succeeds and the others get a Conflict.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import selectinload

from omk import documents, exchange
from omk.content import Content, ReportTemplate
from omk.errors import Conflict, FieldError, NotFound, ValidationFailed
from omk.extensions import db
from omk.models.accounts import Role, User
from omk.models.register import Level, Municipality
from omk.models.reporting import (
    Cycle,
    IndicatorValue,
    Practice,
    PracticeActor,
    Report,
    ReportState,
    ReviewComment,
    ReviewEvent,
    Revision,
)
from omk.models.types import utcnow
from omk.policy import Action, authorize, authorize_or_404, can, in_scope
from omk.services import accounts, audit, cycles, notify, outbox, register
from omk.services.transaction import after_commit, lock, unit_of_work

log = logging.getLogger("omk.reports")

EDITABLE = (ReportState.DRAFT.value, ReportState.RETURNED.value)


def content() -> Content:
    result: Content = current_app.extensions["omk_content"]
    return result


def template_of(report: Report) -> ReportTemplate:
    return content().template(report.template_version)


# --- lookups ------------------------------------------------------------------------------


def resolve_municipality(ags: str) -> Municipality:
    """The register entry a report key stands for: a Gemeinde (8 digits) or a Kreis (+000)."""
    ags = (ags or "").strip()
    entry = db.session.get(Municipality, ags) if ags.isdigit() and len(ags) == 8 else None
    if entry is None and len(ags) == 8 and ags.endswith("000"):
        entry = db.session.get(Municipality, ags[:5])
    if entry is None or entry.level not in (Level.GEMEINDE, Level.KREIS):
        raise NotFound(f"{ags!r} ist keine Gemeinde und kein Kreis des Gemeindeverzeichnisses.")
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
        raise NotFound("Für diese Kommune gibt es in dieser Runde keinen Bericht.")
    return report


def get_report_as(user: Any, cycle_code: str, ags: str) -> Report:
    """A report by cycle code and municipality key, looked up on behalf of ``user``.

    When there is none, someone outside the municipality gets the same NotFound as for a
    report they may not see: whether a municipality has a draft is nobody's business
    outside it."""
    cycle = cycles.get_cycle(cycle_code)
    municipality = resolve_municipality(ags)
    report = find_report(cycle, municipality.key)
    if report is None:
        authorize_or_404(Action.REPORT_READ_DRAFT, municipality.key, user=user)
        raise NotFound("Für diese Kommune gibt es in dieser Runde keinen Bericht.")
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
        raise NotFound(f"Revision {number} gibt es nicht.")
    return revision


def latest_revision(report: Report) -> Revision | None:
    if not report.revision_count:
        return None
    return get_revision(report, report.revision_count)


# --- documents --------------------------------------------------------------------------------


def _rows_document(report: Report, revision_id: int | None) -> dict[str, Any]:
    indicators = db.session.scalars(
        select(IndicatorValue).where(
            IndicatorValue.report_id == report.id, _revision_is(IndicatorValue, revision_id)
        )
    ).all()
    practices = db.session.scalars(
        select(Practice)
        .where(Practice.report_id == report.id, _revision_is(Practice, revision_id))
        .options(selectinload(Practice.actors))  # one query for all actors, not one each
        .order_by(Practice.position)
    ).all()
    doc = {
        "format": exchange.FORMAT,
        "municipality": report.municipality.reporting_ags,
        "cycle": report.cycle.code,
        "indicators": {iv.code: iv.value for iv in indicators},
        "indicator_practices": {
            iv.code: list(iv.practice_ids) for iv in indicators if iv.practice_ids
        },
        "practices": [practice_to_dict(p) for p in practices],
    }
    return exchange.canonical(doc, template_of(report))


def _revision_is(model: Any, revision_id: int | None) -> Any:
    column = model.revision_id
    return column.is_(None) if revision_id is None else column == revision_id


def practice_to_dict(p: Practice) -> dict[str, Any]:
    """A stored practice as a practice of the exchange format."""
    data: dict[str, Any] = {
        "id": p.uuid,
        "title": p.title,
        "criterion": p.criterion,
        "fields": list(p.fields or []),
        "recommendations": list(p.recommendations or []),
        "summary": p.summary,
        "description": p.description,
        "site": p.site,
        "actors": [{"name": a.name, "type": a.type, "lead": a.is_lead} for a in p.actors],
        "target_groups": list(p.target_groups or []),
        "started": p.started,
        "ended": p.ended,
        "status": p.status,
        "budget_eur": p.budget_eur,
        "staff_fte": p.staff_fte,
        "funding": p.funding,
        "outcomes": p.outcomes,
        "transferability": p.transferability,
        "contact": p.contact,
        "sources": list(p.sources or []),
        "adopted_from": (
            {"practice": p.adopted_from_practice, "municipality": p.adopted_from_municipality}
            if p.adopted_from_practice
            else None
        ),
    }
    data.update(p.extra or {})
    return data


def working_document(report: Report) -> dict[str, Any]:
    """The working copy (the draft) as a document. Only for the report's own municipality."""
    return _rows_document(report, None)


def revision_document(revision: Revision) -> dict[str, Any]:
    """A frozen revision as a document."""
    return _rows_document(revision.report, revision.id)


def published_document(report: Report) -> dict[str, Any] | None:
    """The published (accepted) revision as a document, if there is one."""
    if report.published_revision_id is None:
        return None
    revision = db.session.get(Revision, report.published_revision_id)
    return revision_document(revision) if revision else None


def _write_rows(report: Report, doc: dict[str, Any], revision_id: int | None) -> None:
    """Store a canonical document as the working copy (revision_id None) or a revision."""
    links = doc.get("indicator_practices") or {}
    for code, value in (doc.get("indicators") or {}).items():
        if value is None:
            continue
        db.session.add(
            IndicatorValue(
                report_id=report.id,
                revision_id=revision_id,
                code=code,
                value=float(value),
                practice_ids=list(links.get(code) or []),
            )
        )
    known = set(exchange.PRACTICE_FIELDS)
    for position, p in enumerate(doc.get("practices") or []):
        adopted = p.get("adopted_from") or {}
        practice = Practice(
            uuid=p["id"],
            report_id=report.id,
            revision_id=revision_id,
            position=position,
            title=p["title"],
            criterion=p["criterion"],
            fields=list(p.get("fields") or []),
            recommendations=list(p.get("recommendations") or []),
            summary=p["summary"],
            description=p["description"],
            site=p.get("site"),
            target_groups=list(p.get("target_groups") or []),
            started=p.get("started"),
            ended=p.get("ended"),
            status=p.get("status"),
            budget_eur=p.get("budget_eur"),
            staff_fte=p.get("staff_fte"),
            funding=p.get("funding"),
            outcomes=p.get("outcomes"),
            transferability=p.get("transferability"),
            contact=p.get("contact"),
            sources=list(p.get("sources") or []),
            adopted_from_practice=adopted.get("practice"),
            adopted_from_municipality=adopted.get("municipality"),
            extra={k: v for k, v in p.items() if k not in known},
            actors=[
                PracticeActor(position=n, name=a["name"], type=a["type"], is_lead=bool(a["lead"]))
                for n, a in enumerate(p.get("actors") or [])
            ],
        )
        db.session.add(practice)


def _clear_working_copy(report: Report) -> None:
    for model in (IndicatorValue, Practice):
        ids = select(model.id).where(model.report_id == report.id, model.revision_id.is_(None))
        if model is Practice:
            db.session.execute(delete(PracticeActor).where(PracticeActor.practice_id.in_(ids)))
        db.session.execute(
            delete(model).where(model.report_id == report.id, model.revision_id.is_(None))
        )
    db.session.expire_all()


def assign_ids(doc: dict[str, Any], current: dict[str, Any]) -> dict[str, Any]:
    """Give practices without an id the id of the current practice with the same title,
    else a new UUID (so importing the same id-less document twice changes nothing)."""
    by_title = {p["title"].strip().casefold(): p["id"] for p in current.get("practices") or []}
    used = {p.get("id").lower() for p in doc.get("practices") or [] if p.get("id")}
    for p in doc.get("practices") or []:
        if p.get("id"):
            p["id"] = p["id"].lower()
            continue
        match = by_title.get(str(p.get("title", "")).strip().casefold())
        p["id"] = match if match and match not in used else str(uuid.uuid4())
        used.add(p["id"])
    links = doc.get("indicator_practices") or {}
    for code, refs in links.items():
        links[code] = [r.lower() for r in refs]
    return doc


def check(doc: Any, template: ReportTemplate, municipality: Municipality, cycle: Cycle) -> None:
    """Validate a document for one municipality's report in one cycle; ValidationFailed
    lists every problem."""
    errors = exchange.check_document(doc, content(), template)
    if not errors:
        expected = municipality.reporting_ags
        if doc.get("municipality") != expected:
            errors.append(FieldError("municipality", f"Der Bericht gehört zu {expected}."))
        if doc.get("cycle") != cycle.code:
            errors.append(FieldError("cycle", f"Der Bericht gehört zur Runde {cycle.code}."))
    if errors:
        raise ValidationFailed(errors, "Das Dokument ist ungültig; nichts wurde gespeichert.")


def prepare(doc: Any, report: Report) -> dict[str, Any]:
    """Validate a document for ``report`` and return it canonical, with practice ids."""
    check(doc, template_of(report), report.municipality, report.cycle)
    doc = assign_ids(doc, working_document(report))
    return exchange.canonical(doc, template_of(report))


def new_practice_id() -> str:
    """A fresh practice id (UUID) for a practice typed in a form."""
    return str(uuid.uuid4())


# --- completeness ------------------------------------------------------------------------------

_PRACTICE_EMPTY_MESSAGES = {
    "actors": "Mindestens ein Akteur ist anzugeben.",
    "target_groups": "Mindestens eine Zielgruppe ist anzugeben.",
}


def completeness(report: Report, doc: dict[str, Any]) -> list[FieldError]:
    """What is missing before a report can be submitted (template's required fields)."""
    template = template_of(report)
    errors: list[FieldError] = []
    indicators = doc.get("indicators") or {}
    catalogue = content().indicators
    for code in template.required_indicators():
        if indicators.get(code) is None:
            errors.append(
                FieldError(f"indicators.{code}", f"Pflichtangabe fehlt: {catalogue[code].label}.")
            )
    practices = doc.get("practices") or []
    if len(practices) < template.min_practices:
        errors.append(
            FieldError("practices", f"Mindestens {template.min_practices} Maßnahme(n) beschreiben.")
        )
    for i, p in enumerate(practices):
        ref = exchange.practice_ref(p, i)
        for f in template.practice_fields:
            if not f.required:
                continue
            value = p.get(f.name)
            if value in (None, "", []):
                message = _PRACTICE_EMPTY_MESSAGES.get(f.name, f"Pflichtangabe fehlt: {f.label}.")
                errors.append(FieldError(f"{ref}.{f.name}", message))
    return errors


# --- workflow ---------------------------------------------------------------------------------


def _event(
    report: Report, actor: Any, action: str, before: str | None, after: str | None, **kw: Any
) -> None:
    db.session.add(
        ReviewEvent(
            report_id=report.id,
            revision_id=kw.pop("revision_id", None),
            action=action,
            from_state=before,
            to_state=after,
            actor_id=getattr(actor, "id", None),
            message=kw.pop("message", None),
        )
    )
    audit.record(actor, f"report.{action}", report, from_state=before, to_state=after, **kw)


def _claim(
    report: Report,
    states: tuple[str, ...],
    to_state: str,
    expected_version: int | None,
    **values: Any,
) -> None:
    """Move the report to ``to_state`` if it is in one of ``states`` and at ``expected_version``;
    otherwise Conflict. One conditional UPDATE: of concurrent callers exactly one wins."""
    version = report.edit_version if expected_version is None else expected_version
    result = db.session.execute(
        update(Report)
        .where(Report.id == report.id, Report.state.in_(states), Report.edit_version == version)
        .values(state=to_state, edit_version=Report.edit_version + 1, updated_at=utcnow(), **values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        fresh = db.session.scalar(
            select(Report).where(Report.id == report.id).execution_options(populate_existing=True)
        )
        if fresh is not None and fresh.state not in states:
            raise Conflict(_state_message(fresh.state))
        raise Conflict(_EDITED_MEANWHILE)
    db.session.refresh(report)


_EDITED_MEANWHILE = (
    "Der Bericht wurde inzwischen von jemand anderem gespeichert. Ihre Eingaben sind "
    "noch da: bitte prüfen Sie die aktuelle Fassung und speichern Sie erneut."
)


def _locked(report: Report) -> Report:
    """``report`` locked for the unit of work in progress and read afresh: everything read
    after this decides the write that follows, and no other writer can change it meanwhile."""
    fresh = lock(Report, report.id)
    if fresh is None:
        raise NotFound("Für diese Kommune gibt es in dieser Runde keinen Bericht.")
    return fresh


def _expect(report: Report, states: tuple[str, ...], edit_version: int | None) -> None:
    """Conflict unless the (locked) report is in one of ``states`` and at ``edit_version``."""
    if report.state not in states:
        raise Conflict(_state_message(report.state))
    if edit_version is not None and edit_version != report.edit_version:
        raise Conflict(_EDITED_MEANWHILE)


def _state_message(state: str) -> str:
    return {
        ReportState.SUBMITTED: (
            "Der Bericht ist eingereicht und kann erst nach der Prüfung wieder bearbeitet werden."
        ),
        ReportState.ACCEPTED: (
            "Der Bericht ist angenommen; für eine Korrektur muss die Prüfstelle ihn wieder öffnen."
        ),
        ReportState.DRAFT: "Der Bericht ist ein Entwurf und noch nicht eingereicht.",
        ReportState.RETURNED: "Der Bericht wurde zurückgegeben und ist in Überarbeitung.",
    }.get(ReportState(state), "Diese Aktion ist im aktuellen Zustand nicht möglich.")


def foreign_practice_ids(report: Report, doc: dict[str, Any]) -> list[FieldError]:
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
            "Diese ID gehört zu einer Maßnahme einer anderen Kommune. Eine übernommene "
            "Maßnahme bekommt eine eigene ID und nennt ihr Vorbild unter „Übernommen von“.",
        )
        for pid in ids
        if pid in taken
    ]


def _refuse_foreign_ids(report: Report, doc: dict[str, Any]) -> None:
    errors = foreign_practice_ids(report, doc)
    if errors:
        raise ValidationFailed(errors, "Das Dokument ist ungültig; nichts wurde gespeichert.")


def _new_report(actor: Any, cycle: Cycle, municipality: Municipality) -> Report:
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


def start_report(actor: Any, cycle: Cycle, municipality: Municipality) -> Report:
    """Start the report of a municipality in a cycle (idempotent: returns an existing one)."""
    existing = find_report(cycle, municipality.key)
    if existing is not None:
        return existing
    authorize(Action.REPORT_EDIT, municipality.key, user=actor)
    if cycle.status != "open":
        raise Conflict("Diese Berichtsrunde ist geschlossen.")
    if not cycles.covers(cycle, municipality.key):
        raise Conflict(f"Die Runde {cycle.code} umfasst {municipality.name} nicht.")
    with unit_of_work():
        # Read again inside: a concurrent start may have created it meanwhile.
        existing = find_report(cycle, municipality.key)
        report = existing or _new_report(actor, cycle, municipality)
    return report


def save_document(actor: Any, report: Report, doc: Any, *, edit_version: int | None) -> bool:
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


def submit(actor: Any, report: Report, *, edit_version: int | None = None) -> Revision:
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
        if missing:
            raise ValidationFailed(missing, "Der Bericht ist noch nicht vollständig.")
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


def _comment_fields(doc: dict[str, Any]) -> set[str]:
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
    actor: Any, report: Report, comments: list[tuple[str, str]], *, edit_version: int | None = None
) -> list[ReviewComment]:
    """Return a submitted report with comments on its fields; at least one comment."""
    authorize(Action.REPORT_REVIEW, report, user=actor)
    comments = [(f.strip(), t.strip()) for f, t in comments if t and t.strip()]
    if not comments:
        raise ValidationFailed(
            [
                FieldError(
                    "comments", "Eine Rückgabe braucht mindestens einen Hinweis mit Begründung."
                )
            ],
            "Eine Rückgabe ohne Begründung ist nicht möglich.",
        )
    with unit_of_work():
        report = _locked(report)
        _expect(report, (ReportState.SUBMITTED.value,), edit_version)
        revision = latest_revision(report)
        if revision is None:
            raise Conflict("Der Bericht hat keine eingereichte Fassung.")
        frozen = revision_document(revision)
        allowed = _comment_fields(frozen)
        errors = [
            FieldError(
                f"comments[{i}].field", f"Das Feld {field!r} gibt es in dieser Revision nicht."
            )
            for i, (field, _) in enumerate(comments)
            if field not in allowed
        ]
        errors += [
            FieldError(f"comments[{i}].text", "Höchstens 5.000 Zeichen.")
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


def accept(actor: Any, report: Report, *, edit_version: int | None = None) -> Revision:
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
            raise Conflict("Der Bericht hat keine eingereichte Fassung.")
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
        after_commit(lambda: notify.accepted(report))
    return revision


def reopen(actor: Any, report: Report, reason: str, *, edit_version: int | None = None) -> None:
    """Reopen an accepted report for a correction; the accepted revision stays published."""
    authorize(Action.REPORT_REVIEW, report, user=actor)
    if not reason.strip():
        raise ValidationFailed([FieldError("reason", "Bitte begründen Sie die Korrektur.")])
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


def reply(actor: Any, comment: ReviewComment, text: str) -> None:
    """The municipality answers a review comment."""
    report = db.session.get(Report, comment.report_id)
    authorize(Action.REPORT_EDIT, report, user=actor)
    if len(text) > 5000:
        raise ValidationFailed([FieldError("reply", "Höchstens 5.000 Zeichen.")])
    with unit_of_work():
        comment.reply, comment.replied_at = text.strip() or None, utcnow()
        audit.record(actor, "report.reply", report, comment=comment.id)


# --- reading: revisions, diffs, comments ------------------------------------------------------


def revisions(report: Report) -> list[Revision]:
    return list(
        db.session.scalars(
            select(Revision).where(Revision.report_id == report.id).order_by(Revision.number)
        )
    )


def revision_diff(report: Report, from_number: int, to_number: int) -> list[dict[str, Any]]:
    """Changes between two revisions of a report."""
    old = revision_document(get_revision(report, from_number))
    new = revision_document(get_revision(report, to_number))
    return exchange.diff(old, new)


@dataclass
class CommentStatus:
    """A review comment and whether the next revision (or a reply) answered it."""

    comment: ReviewComment
    revision_number: int
    answered: bool
    changes: list[dict[str, Any]]


def comments(report: Report) -> list[CommentStatus]:
    """Every review comment of the report, oldest revision first, with its answer status."""
    by_revision = {r.id: r for r in revisions(report)}
    rows = db.session.scalars(
        select(ReviewComment).where(ReviewComment.report_id == report.id).order_by(ReviewComment.id)
    ).all()
    docs: dict[int, dict[str, Any]] = {}

    def doc_of(number: int) -> dict[str, Any] | None:
        if number not in docs:
            rev = next((r for r in by_revision.values() if r.number == number), None)
            if rev is None:
                return None
            docs[number] = revision_document(rev)
        return docs[number]

    diffs: dict[int, list[dict[str, Any]]] = {}

    def diff_after(number: int) -> list[dict[str, Any]]:
        """Changes from revision ``number`` to the next one (computed once per revision)."""
        if number not in diffs:
            old, new = doc_of(number), doc_of(number + 1)
            diffs[number] = exchange.diff(old, new) if old and new else []
        return diffs[number]

    result = []
    for c in rows:
        number = by_revision[c.revision_id].number
        changes = [ch for ch in diff_after(number) if exchange.touches(ch["field"], c.field)]
        result.append(CommentStatus(c, number, bool(changes) or bool(c.reply), changes))
    return result


def open_comments(report: Report) -> list[CommentStatus]:
    """Comments of the latest returned revision (what the municipality has to look at now)."""
    if report.state not in EDITABLE or not report.revision_count:
        return []
    return [c for c in comments(report) if c.revision_number == report.revision_count]


def events(report: Report) -> list[ReviewEvent]:
    return list(
        db.session.scalars(
            select(ReviewEvent).where(ReviewEvent.report_id == report.id).order_by(ReviewEvent.id)
        )
    )


def review_queue(reviewer: Any, state: str = ReportState.SUBMITTED.value) -> list[Report]:
    """Reports of the reviewer's region in a state (submitted by default), oldest first."""
    query = select(Report).where(Report.state == state).order_by(Report.submitted_at)
    if getattr(reviewer, "role", None) != Role.ADMIN:
        query = query.where(Report.municipality_key.startswith(reviewer.scope or "-"))
    return list(db.session.scalars(query))


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


def source_of_continuation(previous: Report) -> dict[str, Any]:
    """The document practices are continued from: the published revision, else the latest."""
    published = published_document(previous)
    if published is not None:
        return published
    latest = latest_revision(previous)
    if latest is None:
        raise NotFound("Der frühere Bericht hat keine eingereichte Fassung.")
    return revision_document(latest)


def carry_forward(
    actor: Any, report: Report, practice_ids: list[str], *, edit_version: int | None
) -> int:
    """Continue practices of the previous report in this one, keeping their ids (lineage)."""
    authorize(Action.REPORT_EDIT, report, user=actor)
    with unit_of_work():
        report = _locked(report)
        previous = previous_report(report)
        if previous is None:
            raise NotFound("Es gibt keinen früheren Bericht dieser Kommune.")
        source = source_of_continuation(previous)
        doc, added = documents.continue_practices(working_document(report), source, practice_ids)
        if not added:
            return 0
        save_document(actor, report, doc, edit_version=edit_version)
    return added


# --- editing the working copy, one change at a time ---------------------------------------------


def _edit(
    actor: Any,
    report: Report,
    change: Callable[[dict[str, Any]], dict[str, Any]],
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
            raise NotFound("Diese Maßnahme gibt es in diesem Bericht nicht.") from exc
        if skip_unchanged and new == doc:
            return False
        return save_document(actor, report, new, edit_version=version)


def save_practice(
    actor: Any,
    report: Report,
    practice: dict[str, Any],
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
    actor: Any, report: Report, practice_id: str, *, edit_version: int | None
) -> bool:
    """Remove a practice from the working copy, and every indicator's link to it."""
    return _edit(
        actor,
        report,
        lambda doc: documents.remove_practice(doc, practice_id),
        edit_version=edit_version,
    )


def move_practice(
    actor: Any,
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
    actor: Any,
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


# --- import and export -------------------------------------------------------------------------


def import_document(
    actor: Any, doc: Any, *, publish: bool = False, edit_version: int | None = None
) -> tuple[Report, bool]:
    """Import one document: into the draft (reporters, API), or straight as the published
    revision (``publish``, admin use when moving data between instances). Returns the report
    and whether anything changed; importing the same document again changes nothing."""
    if not isinstance(doc, dict):
        raise ValidationFailed(
            [FieldError("document", "Erwartet wird ein JSON-Objekt im Format omk-report/1.")]
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
        raise ValidationFailed(errors, "Das Dokument ist ungültig; nichts wurde importiert.")
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


def export_documents(actor: Any, cycle: Cycle, region: str = "") -> list[dict[str, Any]]:
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


def report_counts(cycle: Cycle, scope: str = "") -> dict[str, int]:
    """Number of reports per state in a cycle (within a region)."""
    query = select(Report.state, func.count(Report.id)).where(Report.cycle_id == cycle.id)
    if scope:
        query = query.where(Report.municipality_key.startswith(scope))
    return {state: n for state, n in db.session.execute(query.group_by(Report.state)).all()}


def reviewer_may(actor: User, report: Report) -> bool:
    return in_scope(actor.scope, report.municipality_key)
