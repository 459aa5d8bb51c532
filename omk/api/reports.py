"""The report API: exchange documents in and out, and the review workflow for regional bodies."""

from __future__ import annotations

import json
from typing import Any, TypeVar

from flask import current_app, jsonify, request
from flask.typing import ResponseReturnValue
from pydantic import BaseModel, ValidationError

from omk import exchange
from omk.api import bp
from omk.api.openapi import operation
from omk.api.schemas import (
    DiffOut,
    DiffQuery,
    Error,
    ReopenRequest,
    ReportList,
    ReportListQuery,
    ReportMeta,
    ReportSummary,
    ReturnRequest,
    SaveResult,
    TransitionResult,
    VersionList,
)
from omk.api.validation import field_errors, query_args
from omk.document_types import ReportDocument
from omk.errors import Conflict, FieldError, NotFound, ValidationFailed
from omk.extensions import db
from omk.models.reporting import Report, Revision
from omk.policy import Action, actor, authorize, authorize_or_404, can, permission
from omk.services import cycles, listing, reports

TAGS = ("Berichte",)


def _schema() -> dict[str, Any]:
    content = current_app.extensions["omk_content"]
    schema: dict[str, Any] = json.loads(exchange.schema_path(content).read_text(encoding="utf-8"))
    return schema


def _json_body() -> Any:
    """The request body as JSON, parsed strictly (exchange.parse_json): NaN, huge numbers,
    unpaired surrogates and NUL are refused with their path."""
    if not request.is_json:
        raise ValidationFailed(
            [FieldError("body", "Erwartet wird JSON (Content-Type: application/json).")]
        )
    return exchange.parse_json(request.get_data(cache=True))


M = TypeVar("M", bound=BaseModel)


def _body_as(model: type[M], message: str) -> M:
    """The JSON body validated as ``model``; ValidationFailed with every field and ``message``."""
    try:
        return model.model_validate(_json_body())
    except ValidationError as exc:
        raise ValidationFailed(field_errors(exc), message) from exc


def etag(report: Report) -> str:
    return f'"{report.id}.{report.edit_version}"'


def _if_match(report: Report) -> int | None:
    """The edit version a client's If-Match names; Conflict when it no longer matches."""
    header = request.headers.get("If-Match")
    if not header:
        return None
    if header.strip() == "*":
        return None
    candidates = [h.strip().removeprefix("W/") for h in header.split(",")]
    if etag(report) not in candidates:
        raise Conflict(
            "Der Bericht wurde seit Ihrem Abruf geändert (If-Match passt nicht). "
            "Bitte rufen Sie ihn erneut ab."
        )
    return report.edit_version


def _report(ags: str, cycle: str) -> Report:
    return reports.get_report_as(actor(), cycle, ags)


def _meta(report: Report, content: str) -> dict[str, Any]:
    published = (
        db.session.get(Revision, report.published_revision_id)
        if report.published_revision_id
        else None
    )
    return ReportMeta(
        state=report.state,
        template_version=report.template_version,
        edit_version=report.edit_version,
        revisions=report.revision_count,
        published_revision=published.number if published else None,
        content=content,
    ).model_dump()


def _transition_result(report: Report) -> dict[str, Any]:
    return TransitionResult(
        municipality=report.municipality.reporting_ags or report.municipality_key,
        cycle=report.cycle.code,
        state=report.state,
        revision=report.revision_count or None,
    ).model_dump()


@bp.post("/reports")
@permission(Action.REPORT_EDIT, per_object=True)
@operation(
    "post",
    "/api/v1/reports",
    "Einen Bericht als Entwurf speichern (ersetzt den Entwurf ganz)",
    body_schema={"$ref": "#/components/schemas/OmkReport1"},
    responses={200: SaveResult, 201: SaveResult, 401: Error, 403: Error, 409: Error, 422: Error},
    auth=True,
    tags=TAGS,
)
def save_report() -> ResponseReturnValue:
    doc = _json_body()
    user = actor()
    existing = None
    if isinstance(doc, dict):
        try:
            existing = reports.get_report(
                str(doc.get("cycle", "")), str(doc.get("municipality", ""))
            )
        except NotFound:
            existing = None
    if existing is not None:
        authorize(Action.REPORT_EDIT, existing)
        version = _if_match(existing)
    else:
        version = None
        try:
            municipality = reports.resolve_municipality(str(doc.get("municipality", "")))
        except (NotFound, AttributeError):
            municipality = None  # import_document answers 422 with every problem
        if municipality is not None:
            authorize(Action.REPORT_EDIT, municipality.key)
    report, changed = reports.import_document(user, doc, edit_version=version)
    db.session.refresh(report)
    body = SaveResult(
        municipality=report.municipality.reporting_ags or report.municipality_key,
        cycle=report.cycle.code,
        state=report.state,
        changed=changed,
        edit_version=report.edit_version,
    ).model_dump()
    response = jsonify(body)
    response.status_code = 201 if existing is None else 200
    response.headers["ETag"] = etag(report)
    return response


@bp.get("/reports")
@permission(Action.LOGGED_IN)
@operation(
    "get",
    "/api/v1/reports",
    "Berichte, die das Konto sehen darf",
    query=ReportListQuery,
    responses={200: ReportList, 401: Error, 422: Error},
    auth=True,
    tags=TAGS,
)
def list_reports() -> ResponseReturnValue:
    args = query_args(ReportListQuery)
    if args.cycle:
        cycles.get_cycle(args.cycle)  # an unknown cycle is a 404, not an empty list
    filters = listing.ReportFilters(cycle=args.cycle, state=args.state, region=args.region)
    result = listing.list_reports(actor(), filters, args.page, args.per_page)
    # Others see a report only through its published revision: no draft state leaks.
    items = [
        ReportSummary(
            municipality=item.ags,
            name=item.name,
            cycle=item.report.cycle.code,
            state=item.state,
            revisions=item.revisions,
            published_revision=item.published_revision,
        ).model_dump()
        for item in result.items
    ]
    return jsonify({"total": result.total, "items": items})


@bp.get("/reports/<ags>/<cycle>")
@permission(Action.LOGGED_IN, per_object=True)
@operation(
    "get",
    "/api/v1/reports/{ags}/{cycle}",
    "Ein Bericht: der Entwurf für die eigene Kommune, die letzte Revision für die Prüfstelle, "
    "sonst die veröffentlichte Fassung",
    responses={200: None, 401: Error, 404: Error},
    auth=True,
    tags=TAGS,
)
def get_report(ags: str, cycle: str) -> ResponseReturnValue:
    report = _report(ags, cycle)
    user = actor()
    if can(user, Action.REPORT_READ_DRAFT, report):
        authorize(Action.REPORT_READ_DRAFT, report)
        doc: ReportDocument | None
        doc, kind = reports.working_document(report), "draft"
    elif can(user, Action.REPORT_READ, report):
        authorize(Action.REPORT_READ, report)
        latest = reports.latest_revision(report)
        assert latest is not None
        doc, kind = reports.revision_document(latest), "revision"
    elif can(user, Action.REPORT_READ_PUBLISHED, report):
        authorize(Action.REPORT_READ_PUBLISHED, report)
        doc, kind = reports.published_document(report), "published"
    else:
        authorize_or_404(Action.REPORT_READ_PUBLISHED, report)
        raise NotFound("Für diese Kommune gibt es in dieser Runde keinen Bericht.")
    body = dict(doc or {})
    body["meta"] = _meta(report, kind)
    response = jsonify(body)
    if kind == "draft":
        response.headers["ETag"] = etag(report)
    return response


@bp.post("/reports/<ags>/<cycle>/submit")
@permission(Action.REPORT_SUBMIT, per_object=True)
@operation(
    "post",
    "/api/v1/reports/{ags}/{cycle}/submit",
    "Einreichen: Vollständigkeit prüfen und eine Revision einfrieren",
    responses={200: TransitionResult, 401: Error, 403: Error, 404: Error, 409: Error, 422: Error},
    auth=True,
    tags=TAGS,
)
def submit_report(ags: str, cycle: str) -> ResponseReturnValue:
    report = reports.get_report_for(actor(), Action.REPORT_SUBMIT, cycle, ags)
    reports.submit(actor(), report, edit_version=_if_match(report))
    db.session.refresh(report)
    return jsonify(_transition_result(report))


@bp.post("/reports/<ags>/<cycle>/return")
@permission(Action.REPORT_REVIEW, per_object=True)
@operation(
    "post",
    "/api/v1/reports/{ags}/{cycle}/return",
    "Zurückgeben mit Hinweisen zu Feldern (mindestens ein Hinweis)",
    body=ReturnRequest,
    responses={200: TransitionResult, 401: Error, 403: Error, 404: Error, 409: Error, 422: Error},
    auth=True,
    tags=TAGS,
)
def return_report(ags: str, cycle: str) -> ResponseReturnValue:
    report = reports.get_report_for(actor(), Action.REPORT_REVIEW, cycle, ags)
    body = _body_as(
        ReturnRequest, "Eine Rückgabe braucht mindestens einen Hinweis mit Feld und Text."
    )
    reports.return_report(
        actor(), report, [(c.field, c.text) for c in body.comments], edit_version=_if_match(report)
    )
    db.session.refresh(report)
    return jsonify(_transition_result(report))


@bp.post("/reports/<ags>/<cycle>/accept")
@permission(Action.REPORT_REVIEW, per_object=True)
@operation(
    "post",
    "/api/v1/reports/{ags}/{cycle}/accept",
    "Annehmen: die eingereichte Revision wird veröffentlicht",
    responses={200: TransitionResult, 401: Error, 403: Error, 404: Error, 409: Error},
    auth=True,
    tags=TAGS,
)
def accept_report(ags: str, cycle: str) -> ResponseReturnValue:
    report = reports.get_report_for(actor(), Action.REPORT_REVIEW, cycle, ags)
    reports.accept(actor(), report, edit_version=_if_match(report))
    db.session.refresh(report)
    return jsonify(_transition_result(report))


@bp.post("/reports/<ags>/<cycle>/reopen")
@permission(Action.REPORT_REVIEW, per_object=True)
@operation(
    "post",
    "/api/v1/reports/{ags}/{cycle}/reopen",
    "Zur Korrektur öffnen: ein angenommener Bericht geht mit Begründung an die Kommune "
    "zurück; die angenommene Revision bleibt veröffentlicht, bis die Korrektur angenommen ist",
    body=ReopenRequest,
    responses={200: TransitionResult, 401: Error, 403: Error, 404: Error, 409: Error, 422: Error},
    auth=True,
    tags=TAGS,
)
def reopen_report(ags: str, cycle: str) -> ResponseReturnValue:
    report = reports.get_report_for(actor(), Action.REPORT_REVIEW, cycle, ags)
    body = _body_as(ReopenRequest, "Eine Korrektur braucht eine Begründung (reason).")
    reports.reopen(actor(), report, body.reason, edit_version=_if_match(report))
    db.session.refresh(report)
    return jsonify(_transition_result(report))


@bp.get("/reports/<ags>/<cycle>/versions")
@permission(Action.REPORT_READ, per_object=True)
@operation(
    "get",
    "/api/v1/reports/{ags}/{cycle}/versions",
    "Die Revisionen eines Berichts (ab 1)",
    responses={200: VersionList, 401: Error, 403: Error, 404: Error},
    auth=True,
    tags=TAGS,
)
def versions(ags: str, cycle: str) -> ResponseReturnValue:
    report = reports.get_report_for(actor(), Action.REPORT_READ, cycle, ags)
    items = [
        {
            "number": r.number,
            "submitted_at": r.submitted_at.isoformat(),
            "outcome": r.outcome,
            "decided_at": r.decided_at.isoformat() if r.decided_at else None,
            "published": r.id == report.published_revision_id,
        }
        for r in reports.revisions(report)
    ]
    return jsonify({"versions": items})


@bp.get("/reports/<ags>/<cycle>/diff")
@permission(Action.REPORT_READ, per_object=True)
@operation(
    "get",
    "/api/v1/reports/{ags}/{cycle}/diff",
    "Änderungen zwischen zwei Revisionen",
    query=DiffQuery,
    responses={200: DiffOut, 401: Error, 403: Error, 404: Error, 422: Error},
    auth=True,
    tags=TAGS,
)
def diff(ags: str, cycle: str) -> ResponseReturnValue:
    report = reports.get_report_for(actor(), Action.REPORT_READ, cycle, ags)
    args = query_args(DiffQuery)
    return jsonify({"changes": reports.revision_diff(report, args.from_, args.to)})


def openapi_components() -> dict[str, Any]:
    """The shipped JSON Schema of the exchange format as OpenAPI components."""
    schema = _schema()
    defs = schema.pop("$defs", {})
    schema.pop("$schema", None)
    schema.pop("$id", None)

    def relink(node: Any) -> Any:
        text = json.dumps(node).replace("#/$defs/", "#/components/schemas/OmkReport1_")
        return json.loads(text)

    result = {"OmkReport1": relink(schema)}
    result.update({f"OmkReport1_{name}": relink(sub) for name, sub in defs.items()})
    return result
