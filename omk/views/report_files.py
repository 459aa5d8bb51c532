"""The offline path: download a report as an Excel workbook, upload a workbook or JSON file."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from flask_wtf import FlaskForm

from omk import downloads, workbook
from omk.content import ReportTemplate
from omk.document_types import ReportDocument
from omk.errors import Conflict, ValidationFailed
from omk.policy import Action, authorize_or_404, permission
from omk.services import cycles, report_files, reports
from omk.views import changes

bp = Blueprint("report_files", __name__, url_prefix="/berichte")


class CsrfForm(FlaskForm):
    """CSRF only: the file is read from ``request.files``."""


def _user() -> Any:
    return current_user._get_current_object()


def _xlsx(filename: str, data: bytes) -> Response:
    return downloads.attachment(data, filename, workbook.MIME_TYPE, cache_control="no-store")


@bp.get("/<cycle>/vorlage.xlsx")
@permission(Action.REPORT_EDIT, per_object=True)
def blank_workbook(cycle: str) -> ResponseReturnValue:
    """The empty workbook of a cycle (no municipality's data in it)."""
    user = _user()
    the_cycle = cycles.get_cycle(cycle)
    authorize_or_404(Action.REPORT_EDIT, user.municipality_key or "-")
    filename, data = report_files.blank_workbook(user, the_cycle)
    return _xlsx(filename, data)


@bp.get("/<cycle>/<ags>/vorlage.xlsx")
@permission(Action.REPORT_READ_DRAFT, per_object=True)
def draft_workbook(cycle: str, ags: str) -> ResponseReturnValue:
    """The workbook of the municipality's draft, for its reporters only."""
    t = report_files.target(cycle, ags)
    authorize_or_404(Action.REPORT_READ_DRAFT, t.policy_target)
    filename, data = report_files.draft_workbook(_user(), t)
    return _xlsx(filename, data)


def summary(result: report_files.UploadResult) -> str:
    """What an upload did, in one German sentence with counts."""
    if not result.changed:
        return str(_("Die Datei enthält keine Änderungen gegenüber dem Entwurf."))
    c = result.changes
    parts = []
    if c.indicators:
        parts.append(
            ngettext("%(num)d Kennzahl geändert", "%(num)d Kennzahlen geändert", c.indicators)
        )
    if c.added:
        parts.append(ngettext("%(num)d Maßnahme neu", "%(num)d Maßnahmen neu", c.added))
    if c.changed:
        parts.append(ngettext("%(num)d Maßnahme geändert", "%(num)d Maßnahmen geändert", c.changed))
    if c.removed:
        parts.append(ngettext("%(num)d Maßnahme entfernt", "%(num)d Maßnahmen entfernt", c.removed))
    if c.links:
        parts.append(
            ngettext(
                "%(num)d Zuordnung Kennzahl–Maßnahme geändert",
                "%(num)d Zuordnungen Kennzahl–Maßnahme geändert",
                c.links,
            )
        )
    if not parts:
        parts.append(_("Reihenfolge der Maßnahmen geändert"))
    return str(
        _(
            "Datei übernommen: %(changes)s. Der Entwurf ist gespeichert, aber nicht eingereicht.",
            changes=", ".join(parts),
        )
    )


@bp.route("/<cycle>/<ags>/hochladen", methods=["GET", "POST"])
@permission(Action.REPORT_EDIT, per_object=True)
def upload(cycle: str, ags: str) -> ResponseReturnValue:
    """Upload an Excel workbook or an omk-report/1 JSON file into the draft."""
    t = report_files.target(cycle, ags)
    authorize_or_404(Action.REPORT_EDIT, t.policy_target)
    problem = report_files.editable_problem(_user(), t)
    errors: list[Any] = []
    message, status, offer_replace = None, 200, False
    lost: list[str] = []
    if request.method == "POST" and problem is None:
        if not CsrfForm().validate_on_submit():
            abort(400)
        file = request.files.get("file")
        if file is None or not file.filename:
            message, status = _("Bitte wählen Sie eine Datei aus."), 422
        else:
            data = file.stream.read(report_files.upload_limit() + 1)
            try:
                result = report_files.upload(
                    _user(),
                    t,
                    file.filename,
                    data,
                    edit_version=request.form.get("edit_version", type=int),
                    replace=request.form.get("replace") == "1",
                )
            except ValidationFailed as exc:
                errors, message, status = exc.errors, _(exc.message), 422
            except report_files.DraftChanged as exc:
                message, status, offer_replace = _(exc.message), 409, True
                lost = exc.described
            except Conflict as exc:
                message, status = _(exc.message), 409
            else:
                flash(summary(result), "success")
                return redirect(
                    url_for("reports.detail", cycle=t.cycle.code, ags=t.ags) + "#massnahmen"
                )
    elif request.method == "POST":
        message, status = _(problem or ""), 409
    return (
        render_template(
            "report_files/upload.html",
            t=t,
            problem=problem,
            errors=errors,
            message=message,
            offer_replace=offer_replace,
            lost=lost,
            edit_version=t.report.edit_version if t.report is not None else "",
            limit=report_files.size_label(report_files.upload_limit()),
            upload_label=_error_labeller(t),
            form=CsrfForm(),
        ),
        status,
    )


def _error_labeller(t: report_files.Target) -> Callable[[str], str]:
    """The upload error table's first column: a path in words, titles from the draft."""
    found: list[tuple[ReportTemplate, ReportDocument | None]] = []

    def label(path: str) -> str:
        if not found:  # looked up once, when the first error is shown
            if t.report is not None:
                found.append((reports.template_of(t.report), reports.working_document(t.report)))
            else:
                template = reports.content().template(t.cycle.template_version)
                found.append((template, None))
        template, doc = found[0]
        return changes.upload_label(path, doc, reports.content(), template)

    return label
