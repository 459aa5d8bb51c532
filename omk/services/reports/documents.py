"""The ``omk-report/1`` document of a report: read from and written to rows, checked,
prepared and measured for completeness.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import selectinload

from omk import exchange
from omk.content import ReportTemplate
from omk.document_types import (
    AdoptedFrom,
    PracticeDocument,
    ReportDocument,
    extra_fields,
    practice_of,
    validated,
)
from omk.errors import FieldError, ValidationFailed
from omk.extensions import db
from omk.messages import msg
from omk.models.register import Municipality
from omk.models.reporting import (
    Cycle,
    IndicatorValue,
    Practice,
    PracticeActor,
    Report,
    Revision,
)
from omk.services.reports._shared import content, template_of

# --- documents --------------------------------------------------------------------------------


def _rows_document(report: Report, revision_id: int | None) -> ReportDocument:
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


def practice_to_dict(p: Practice) -> PracticeDocument:
    """A stored practice as a practice of the exchange format, its unknown keys
    (``Practice.extra``) carried after the known ones."""
    data: PracticeDocument = {
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
        "adopted_from": _adopted_from(p),
    }
    # as before the types: a stored extra key wins (``_write_rows`` stores unknown keys only)
    return practice_of({**data, **(p.extra or {})})


def _adopted_from(p: Practice) -> AdoptedFrom | None:
    # Both columns are written together from a validated ``adopted_from`` (both keys required).
    if p.adopted_from_practice and p.adopted_from_municipality:
        return {"practice": p.adopted_from_practice, "municipality": p.adopted_from_municipality}
    return None


def working_document(report: Report) -> ReportDocument:
    """The working copy (the draft) as a document. Only for the report's own municipality."""
    return _rows_document(report, None)


def revision_document(revision: Revision) -> ReportDocument:
    """A frozen revision as a document."""
    return _rows_document(revision.report, revision.id)


def published_document(report: Report) -> ReportDocument | None:
    """The published (accepted) revision as a document, if there is one."""
    if report.published_revision_id is None:
        return None
    revision = db.session.get(Revision, report.published_revision_id)
    return revision_document(revision) if revision else None


def _write_rows(report: Report, doc: ReportDocument, revision_id: int | None) -> None:
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
    known = exchange.PRACTICE_FIELDS
    for position, p in enumerate(doc.get("practices") or []):
        adopted = p.get("adopted_from")
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
            adopted_from_practice=adopted["practice"] if adopted else None,
            adopted_from_municipality=adopted["municipality"] if adopted else None,
            extra=extra_fields(p, known),
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


def assign_ids(doc: ReportDocument, current: ReportDocument) -> ReportDocument:
    """Give practices without an id the id of the current practice with the same title,
    else a new UUID (so importing the same id-less document twice changes nothing).
    Changes ``doc`` (validated) in place and returns it."""
    by_title = {p["title"].strip().casefold(): p["id"] for p in current.get("practices") or []}
    used = {pid.lower() for p in doc.get("practices") or [] if (pid := p.get("id"))}
    for p in doc.get("practices") or []:
        if pid := p.get("id"):
            p["id"] = pid.lower()
            continue
        match = by_title.get(str(p.get("title", "")).strip().casefold())
        new_id = match if match and match not in used else str(uuid.uuid4())
        p["id"] = new_id
        used.add(new_id)
    links = doc.get("indicator_practices") or {}
    for code, refs in links.items():
        links[code] = [r.lower() for r in refs]
    return doc


def check(doc: Any, template: ReportTemplate, municipality: Municipality, cycle: Cycle) -> None:
    """Validate a document (any JSON value, not validated yet) for one municipality's report
    in one cycle; ValidationFailed lists every problem."""
    errors = exchange.check_document(doc, content(), template)
    if not errors:
        expected = municipality.reporting_ags
        if doc.get("municipality") != expected:
            errors.append(
                FieldError(
                    "municipality", msg("Der Bericht gehört zu %(expected)s.", expected=expected)
                )
            )
        if doc.get("cycle") != cycle.code:
            errors.append(
                FieldError("cycle", msg("Der Bericht gehört zur Runde %(code)s.", code=cycle.code))
            )
    if errors:
        raise ValidationFailed(errors, msg("Das Dokument ist ungültig; nichts wurde gespeichert."))


def prepare(doc: Any, report: Report) -> ReportDocument:
    """Validate a document (any JSON value) for ``report`` and return it canonical, with
    practice ids."""
    check(doc, template_of(report), report.municipality, report.cycle)
    valid = assign_ids(validated(doc), working_document(report))
    return exchange.canonical(valid, template_of(report))


def new_practice_id() -> str:
    """A fresh practice id (UUID) for a practice typed in a form."""
    return str(uuid.uuid4())


# --- completeness ------------------------------------------------------------------------------

_PRACTICE_EMPTY_MESSAGES = {
    "actors": msg("Mindestens ein Akteur ist anzugeben."),
    "target_groups": msg("Mindestens eine Zielgruppe ist anzugeben."),
}


def completeness(report: Report, doc: ReportDocument) -> list[FieldError]:
    """What is missing before a report can be submitted (template's required fields)."""
    template = template_of(report)
    errors: list[FieldError] = []
    indicators = doc.get("indicators") or {}
    catalogue = content().indicators
    for code in template.required_indicators():
        if indicators.get(code) is None:
            errors.append(
                FieldError(
                    f"indicators.{code}",
                    msg("Pflichtangabe fehlt: %(label)s.", label=catalogue[code].label),
                )
            )
    practices = doc.get("practices") or []
    if len(practices) < template.min_practices:
        errors.append(
            FieldError(
                "practices",
                msg(
                    "Mindestens %(min_practices)s Maßnahme(n) beschreiben.",
                    min_practices=template.min_practices,
                ),
            )
        )
    for i, p in enumerate(practices):
        ref = exchange.practice_ref(p, i)
        for f in template.practice_fields:
            if not f.required:
                continue
            value = p.get(f.name)
            if value in (None, "", []):
                message = _PRACTICE_EMPTY_MESSAGES.get(
                    f.name, msg("Pflichtangabe fehlt: %(label)s.", label=f.label)
                )
                errors.append(FieldError(f"{ref}.{f.name}", message))
    return errors
