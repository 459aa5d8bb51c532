"""Report pages: the municipality's forms, the review, revisions and diffs, the published report."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from flask_wtf import FlaskForm
from markupsafe import Markup

from omk import documents, exchange, numbers
from omk.document_types import Change, ReportDocument
from omk.errors import Conflict, FieldError, NotFound, ValidationFailed
from omk.extensions import db
from omk.markdown import render as render_markdown
from omk.models.reporting import Cycle, Report, ReportState, ReviewComment
from omk.policy import Action, authorize, authorize_or_404, can, permission
from omk.services import accounts, cycles, listing, publication, register, reports
from omk.synergies import learning
from omk.views import changes as changes_view
from omk.views import fragments
from omk.views.practice_form import (
    ACTOR_ROWS_EXTRA,
    NUMBER_FIELDS,
    field_of,
    practice_from_form,
    typed_from_practice,
)
from omk.views.review_queue import QUEUE_ORDERS, queue_rows
from omk.wording import quoted

bp = Blueprint("reports", __name__, url_prefix="/berichte")


@bp.app_template_global()
def practice_origin(practice_id: str) -> learning.Origin | None:
    """The published practice a practice was adopted from (title, municipality, cycle), for
    its "Übernommen von"; None when it is not published (then its municipality is named)."""
    return learning.origin(practice_id) if practice_id else None


class CsrfForm(FlaskForm):
    """CSRF only: the report forms are generated from the template and parsed by hand."""


def _user() -> Any:
    return current_user._get_current_object()


def _report(cycle: str, ags: str) -> Report:
    return reports.get_report(cycle, ags)


def _url(endpoint: str, report: Report, **kw: Any) -> str:
    return url_for(
        endpoint,
        cycle=report.cycle.code,
        ags=report.municipality.reporting_ags or report.municipality_key,
        **kw,
    )


def field_id(path: str) -> str:
    """An HTML id for a document path (anchors from error lists and comments)."""
    return "f-" + re.sub(r"[^A-Za-z0-9_-]+", "-", path).strip("-")


def _comments_by_field(report: Report) -> dict[str, list[reports.CommentStatus]]:
    result: dict[str, list[reports.CommentStatus]] = {}
    for status in reports.open_comments(report):
        result.setdefault(status.comment.field, []).append(status)
    return result


# --- overview --------------------------------------------------------------------------------


@bp.get("/")
@permission(Action.LOGGED_IN)
def index() -> ResponseReturnValue:
    """My reports (reporters), the review queue (reviewers, admins), published reports (all)."""
    user = _user()
    every = cycles.all_cycles()
    context: dict[str, Any] = {"cycles": cycles.visible_cycles(user, every)}
    if can(user, Action.REPORT_EDIT) and user.municipality is not None:
        mine = []
        for cycle in context["cycles"]:
            report = reports.find_report(cycle, user.municipality_key)
            mine.append((cycle, report, report is not None and cycles.is_overdue(report)))
        context["mine"] = mine
    if can(user, Action.REPORT_REVIEW):
        order = request.args.get("sortierung", "frist")
        order = order if order in QUEUE_ORDERS else "frist"
        context["queue"] = queue_rows(reports.review_queue(user), order)
        context["queue_order"] = order
        context["in_revision"] = reports.review_queue(user, ReportState.RETURNED.value)
    context.update(_published_listing(user, every))
    return render_template("reports/index.html", **context)


def _published_listing(user: Any, all_cycles: list[Cycle]) -> dict[str, Any]:
    """Published reports, filtered by cycle, Land and name, a page at a time."""
    land = request.args.get("land") or None
    filters = listing.ReportFilters(
        cycle=request.args.get("cycle") or None,
        land=land if land and land.isdigit() else None,
        q=request.args.get("q", "").strip()[:100],
    )
    page = max(1, min(request.args.get("page", 1, type=int) or 1, 10_000))
    shown = {"cycle": filters.cycle, "land": land, "q": filters.q}

    def published() -> Markup:
        result = listing.list_published(user, filters, page)
        reports = [item.report for item in result.items]
        return fragments.rendered(
            "reports/_published.html",
            published=reports,
            names=register.display_names(r.municipality for r in reports),
            published_total=result.total,
            filters=shown,
            page=result.page,
            pages=result.pages,
        )

    # Everyone who may read published reports sees the same list (policy: REPORT_READ_PUBLISHED
    # is every role's, on every published report); cycle titles are part of the key.
    titles = tuple((c.code, c.title) for c in all_cycles)
    key = (filters.cycle, filters.land, filters.q, page, titles)
    return {
        "published_list": (
            fragments.cached("reports.published_list", key, published)
            if can(user, Action.REPORT_READ_PUBLISHED)
            else published()
        ),
        "filters": shown,
        "lands": register.lands(),
        "all_cycles": all_cycles,
    }


@bp.route("/<cycle>/<ags>/", methods=["GET"])
@permission(Action.LOGGED_IN, per_object=True)
def detail(cycle: str, ags: str) -> ResponseReturnValue:
    """A report's page for its municipality and reviewers; others go to the published one."""
    user = _user()
    try:
        report = _report(cycle, ags)
    except NotFound:
        municipality = reports.resolve_municipality(ags)
        the_cycle = cycles.get_cycle(cycle)
        # The same answer as for someone else's draft: a 404, never "no access".
        authorize_or_404(Action.REPORT_EDIT, municipality.key)
        return render_template(
            "reports/start.html", cycle=the_cycle, municipality=municipality, form=CsrfForm()
        )
    if not can(user, Action.REPORT_READ, report) and can(
        user, Action.REPORT_READ_PUBLISHED, report
    ):
        authorize_or_404(Action.REPORT_READ_PUBLISHED, report)
        return redirect(_url("reports.published", report))
    authorize_or_404(Action.REPORT_READ, report)
    own = can(user, Action.REPORT_READ_DRAFT, report)
    doc = reports.working_document(report) if own else None
    missing = reports.completeness(report, doc) if doc is not None else []
    return render_template(
        "reports/detail.html",
        report=report,
        doc=doc,
        own=own,
        missing=missing,
        overdue=cycles.is_overdue(report),
        comments=reports.comments(report),
        open_comments=reports.open_comments(report),
        revisions=reports.revisions(report),
        events=reports.events(report),
        previous=reports.previous_report(report) if own else None,
        form=CsrfForm(),
    )


@bp.post("/<cycle>/<ags>/starten")
@permission(Action.REPORT_EDIT, per_object=True)
def start(cycle: str, ags: str) -> ResponseReturnValue:
    municipality = reports.resolve_municipality(ags)
    authorize(Action.REPORT_EDIT, municipality.key)
    if not CsrfForm().validate_on_submit():
        abort(400)
    report = reports.start_report(_user(), cycles.get_cycle(cycle), municipality)
    flash(
        _("Der Bericht ist angelegt. Sie können jetzt Kennzahlen und Maßnahmen eintragen."),
        "success",
    )
    return redirect(_url("reports.detail", report))


# --- indicators --------------------------------------------------------------------------------


def _indicator_form_values(doc: ReportDocument) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for code, value in doc["indicators"].items():
        values[f"ind-{code}"] = numbers.format_field(value)
    for code, refs in doc.get("indicator_practices", {}).items():
        values[f"ind-{code}-practices"] = list(refs)
    return values


@bp.route("/<cycle>/<ags>/kennzahlen", methods=["GET", "POST"])
@permission(Action.REPORT_EDIT, per_object=True)
def indicators(cycle: str, ags: str) -> ResponseReturnValue:
    """All indicators of the template on one page, with the practices that explain each."""
    report = reports.get_report_for(_user(), Action.REPORT_EDIT, cycle, ags)
    template = reports.template_of(report)
    catalogue = reports.content().indicators
    doc = reports.working_document(report)
    errors: dict[str, list[str]] = {}
    status = 200
    message = None
    values = _indicator_form_values(doc)
    edit_version = report.edit_version
    understood: dict[str, str] = {}
    if request.method == "POST":
        form = CsrfForm()
        if not form.validate_on_submit():
            abort(400)
        edit_version = request.form.get("edit_version", type=int) or 0
        indicators: dict[str, float | int] = {}
        links: dict[str, list[str]] = {}
        values = {}
        practice_ids = set(documents.practice_ids(doc))
        for code in template.indicator_codes():
            raw = request.form.get(f"ind-{code}", "")[:50]
            values[f"ind-{code}"] = raw
            value, problem = numbers.indicator_value(raw, catalogue[code])
            if problem:
                errors.setdefault(f"indicators.{code}", []).append(_(problem))
            elif value is not None:
                indicators[code] = value
                read_as = numbers.understood(raw)
                if read_as is not None:
                    understood[f"indicators.{code}"] = read_as
            links[code] = request.form.getlist(f"ind-{code}-practices")
            values[f"ind-{code}-practices"] = [r for r in links[code] if r in practice_ids]
        if not errors:
            try:
                changed = reports.save_indicators(
                    _user(), report, indicators, links, edit_version=edit_version
                )
            except ValidationFailed as exc:
                for e in exc.errors:
                    errors.setdefault(e.field, []).append(_(e.message))
            except Conflict as exc:
                message, status = _(exc.message), 409
                # Offer the current edit check: saving again is a conscious decision now.
                db.session.refresh(report)
                edit_version = report.edit_version
            else:
                flash(
                    _("Kennzahlen gespeichert.") if changed else _("Keine Änderungen."), "success"
                )
                if not understood:
                    return redirect(_url("reports.indicators", report))
                # Saved; the page is shown again to say how each number with a dot was read.
                doc = reports.working_document(report)
                values = _indicator_form_values(doc)
                edit_version = report.edit_version
        if errors:
            status = 422
    return (
        render_template(
            "reports/indicators.html",
            report=report,
            template=template,
            catalogue=catalogue,
            doc=doc,
            values=values,
            errors=errors,
            message=message,
            edit_version=edit_version,
            comments=_comments_by_field(report),
            understood=understood if not errors else {},
            form=CsrfForm(),
        ),
        status,
    )


# --- practices ---------------------------------------------------------------------------------


@bp.route("/<cycle>/<ags>/massnahmen/neu", methods=["GET", "POST"], defaults={"practice_id": None})
@bp.route("/<cycle>/<ags>/massnahmen/<practice_id>", methods=["GET", "POST"])
@permission(Action.REPORT_EDIT, per_object=True)
def practice(cycle: str, ags: str, practice_id: str | None) -> ResponseReturnValue:
    """Add or edit one practice with every field of the format; Markdown with a preview."""
    report = reports.get_report_for(_user(), Action.REPORT_EDIT, cycle, ags)
    doc = reports.working_document(report)
    existing = documents.find_practice(doc, practice_id) if practice_id else None
    if practice_id is not None and existing is None:
        abort(404)
    pid = practice_id or request.form.get("new_id") or reports.new_practice_id()
    errors: dict[str, list[str]] = {}
    typed = typed_from_practice(existing or {}, documents.explained_by(doc, pid))
    status, message, preview = 200, None, None
    origins: list[learning.Origin] | None = None
    origin_query = ""
    edit_version = report.edit_version
    # After a save: how the numbers typed with a dot were read (see below).
    shown: Mapping[str, Any] = existing or {}  # read by field name
    understood = {
        name: numbers.format_number(shown.get(name))
        for name in request.args.getlist("verstanden")
        if name in NUMBER_FIELDS and shown.get(name) is not None
    }
    if request.method == "POST":
        understood = {}
        if not CsrfForm().validate_on_submit():
            abort(400)
        edit_version = request.form.get("edit_version", type=int) or 0
        p, errors, typed = practice_from_form(request.form, pid)
        if request.form.get("action") == "find_origin":
            origin_query = request.form.get("origin_query", "")
            origins = learning.find_origins(origin_query, exclude_key=report.municipality_key)
            message = _("Suche nach der Herkunft – noch nicht gespeichert.")
        elif request.form.get("action") == "preview":
            preview = {
                name: render_markdown(typed[name], heading_offset=2)
                for name in exchange.MARKDOWN_FIELDS
            }
            message = _("Vorschau – noch nicht gespeichert.")
        elif not errors:
            try:
                reports.save_practice(
                    _user(),
                    report,
                    p,
                    explains=typed["moves"],
                    is_new=existing is None,
                    edit_version=edit_version,
                )
            except ValidationFailed as exc:
                ref = f"practices[{pid}]"
                for e in exc.errors:
                    errors.setdefault(field_of(e.field, ref), []).append(_(e.message))
            except Conflict as exc:
                message, status = _(exc.message), 409
                # Offer the current edit check: saving again is a conscious decision now.
                db.session.refresh(report)
                edit_version = report.edit_version
            else:
                flash(_("Maßnahme %(title)s gespeichert.", title=quoted(p["title"])), "success")
                read = [n for n in NUMBER_FIELDS if numbers.understood(typed[n]) is not None]
                if read:  # say next to the field how a number with a dot was read
                    return redirect(
                        url_for(
                            "reports.practice",
                            cycle=report.cycle.code,
                            ags=report.municipality.reporting_ags,
                            practice_id=pid,
                            verstanden=read,
                        )
                    )
                return redirect(_url("reports.detail", report) + "#massnahmen")
        if errors:
            status = 422
    taxonomy = reports.content().taxonomy
    return (
        render_template(
            "reports/practice.html",
            report=report,
            practice_id=pid,
            is_new=existing is None,
            typed=typed,
            errors=errors,
            message=message,
            preview=preview,
            edit_version=edit_version,
            taxonomy=taxonomy,
            template=reports.template_of(report),
            catalogue=reports.content().indicators,
            actor_rows=max(len(typed["actors"]), 1) + ACTOR_ROWS_EXTRA,
            comments=_comments_by_field(report),
            understood=understood,
            form=CsrfForm(),
            origins=origins,
            origin_query=origin_query,
            origin=learning.origin(typed["adopted_from_practice"])
            if typed["adopted_from_practice"]
            else None,
        ),
        status,
    )


@bp.post("/<cycle>/<ags>/massnahmen/<practice_id>/loeschen")
@permission(Action.REPORT_EDIT, per_object=True)
def delete_practice(cycle: str, ags: str, practice_id: str) -> ResponseReturnValue:
    report = reports.get_report_for(_user(), Action.REPORT_EDIT, cycle, ags)
    if not CsrfForm().validate_on_submit():
        abort(400)
    try:
        reports.remove_practice(_user(), report, practice_id, edit_version=_edit_version())
    except (Conflict, ValidationFailed) as exc:
        flash(_(exc.message), "error")
    return redirect(_url("reports.detail", report) + "#massnahmen")


@bp.post("/<cycle>/<ags>/massnahmen/<practice_id>/verschieben")
@permission(Action.REPORT_EDIT, per_object=True)
def move_practice(cycle: str, ags: str, practice_id: str) -> ResponseReturnValue:
    report = reports.get_report_for(_user(), Action.REPORT_EDIT, cycle, ags)
    if not CsrfForm().validate_on_submit():
        abort(400)
    direction: documents.Direction = "up" if request.form.get("direction") == "up" else "down"
    try:
        reports.move_practice(_user(), report, practice_id, direction, edit_version=_edit_version())
    except (Conflict, ValidationFailed) as exc:
        flash(_(exc.message), "error")
    return redirect(_url("reports.detail", report) + "#massnahmen")


def _edit_version() -> int | None:
    """The edit check a form sent (None: the version read with the working copy)."""
    return request.form.get("edit_version", type=int)


@bp.route("/<cycle>/<ags>/fortfuehren", methods=["GET", "POST"])
@permission(Action.REPORT_EDIT, per_object=True)
def carry_forward(cycle: str, ags: str) -> ResponseReturnValue:
    """Continue practices of the previous report (they keep their id: their lineage)."""
    report = reports.get_report_for(_user(), Action.REPORT_EDIT, cycle, ags)
    previous = reports.previous_report(report)
    if previous is None:
        flash(
            _("Es gibt keinen früheren Bericht, aus dem Maßnahmen übernommen werden können."),
            "info",
        )
        return redirect(_url("reports.detail", report))
    authorize_or_404(Action.REPORT_READ, previous)
    source = reports.source_of_continuation(previous)
    present = {p["id"] for p in reports.working_document(report)["practices"]}
    if request.method == "POST":
        if not CsrfForm().validate_on_submit():
            abort(400)
        try:
            count = reports.carry_forward(
                _user(),
                report,
                request.form.getlist("practice"),
                edit_version=request.form.get("edit_version", type=int),
            )
        except (Conflict, ValidationFailed) as exc:
            flash(_(exc.message), "error")
        else:
            flash(_("%(n)s Maßnahme(n) fortgeführt.", n=count), "success")
            return redirect(_url("reports.detail", report) + "#massnahmen")
    return render_template(
        "reports/carry_forward.html",
        report=report,
        previous=previous,
        source=source,
        present=present,
        form=CsrfForm(),
    )


# --- submit, reply -----------------------------------------------------------------------------


@bp.post("/<cycle>/<ags>/einreichen")
@permission(Action.REPORT_SUBMIT, per_object=True)
def submit(cycle: str, ags: str) -> ResponseReturnValue:
    report = reports.get_report_for(_user(), Action.REPORT_SUBMIT, cycle, ags)
    if not CsrfForm().validate_on_submit():
        abort(400)
    if request.form.get("confirm") != "1":
        return _confirm_page(
            report,
            title=_("Bericht einreichen?"),
            text=_(
                "Der Bericht geht als neue Revision an die Prüfstelle, die ihn annimmt oder mit "
                "Hinweisen zurückgibt. Bis dahin kann er nicht bearbeitet werden."
            ),
            action=_url("reports.submit", report),
            button=_("Ja, Bericht einreichen"),
            back=_url("reports.detail", report),
        )
    try:
        revision = reports.submit(
            _user(), report, edit_version=request.form.get("edit_version", type=int)
        )
    except ValidationFailed:
        flash(
            _("Der Bericht ist noch nicht vollständig – die fehlenden Angaben stehen unten."),
            "error",
        )
    except Conflict as exc:
        flash(_(exc.message), "error")
    else:
        flash(
            _("Eingereicht: Revision %(n)s. Die Prüfstelle ist benachrichtigt.", n=revision.number),
            "success",
        )
    return redirect(_url("reports.detail", report))


@bp.post("/<cycle>/<ags>/hinweise/<int:comment_id>/antwort")
@permission(Action.REPORT_EDIT, per_object=True)
def reply(cycle: str, ags: str, comment_id: int) -> ResponseReturnValue:
    report = reports.get_report_for(_user(), Action.REPORT_EDIT, cycle, ags)
    comment = db.session.get(ReviewComment, comment_id)
    if comment is None or comment.report_id != report.id:
        abort(404)
    if not CsrfForm().validate_on_submit():
        abort(400)
    try:
        reports.reply(_user(), comment, request.form.get("reply", ""))
    except ValidationFailed as exc:
        flash(_(exc.errors[0].message), "error")
    else:
        flash(_("Antwort gespeichert."), "success")
    return redirect(_url("reports.detail", report))


# --- review -------------------------------------------------------------------------------------


@bp.get("/<cycle>/<ags>/pruefung")
@permission(Action.REPORT_REVIEW, per_object=True)
def review(cycle: str, ags: str) -> ResponseReturnValue:
    """The reviewer's page: the submitted revision with a comment box on every field; its
    form returns the report (with the comments) or accepts it."""
    report = reports.get_report_for(_user(), Action.REPORT_REVIEW, cycle, ags)
    return _review_page(report)


def _review_page(
    report: Report, typed: dict[str, str] | None = None, error: str | None = None, status: int = 200
) -> ResponseReturnValue:
    """The review page, after a refused decision with the error and what was typed."""
    latest = reports.latest_revision(report)
    if latest is None:
        abort(404)
    previous_changes = None
    answered = []
    old_doc = None
    if latest.number > 1:
        old_doc = reports.revision_document(reports.get_revision(report, latest.number - 1))
        previous_changes = reports.revision_diff(report, latest.number - 1, latest.number)
        answered = [c for c in reports.comments(report) if c.revision_number == latest.number - 1]
    return (
        render_template(
            "reports/review.html",
            report=report,
            revision=latest,
            doc=reports.revision_document(latest),
            typed=typed or {},
            error=error,
            changes=previous_changes,
            answered=answered,
            old_doc=old_doc,
            accept_refusal=accounts.accept_refusal(_user(), report),
            form=CsrfForm(),
        ),
        status,
    )


def _reviewed(cycle: str, ags: str) -> Report:
    """The report a reviewer decides on, once the form's CSRF token is checked."""
    report = reports.get_report_for(_user(), Action.REPORT_REVIEW, cycle, ags)
    if not CsrfForm().validate_on_submit():
        abort(400)
    return report


def _confirm_page(
    report: Report, *, title: str, text: str, action: str, button: str, back: str
) -> ResponseReturnValue:
    """Ask once more before a step that cannot be taken back by the person taking it (no
    script: a page with the same form, confirmed)."""
    return render_template(
        "reports/confirm.html",
        report=report,
        title=title,
        text=text,
        action=action,
        button=button,
        back=back,
        edit_version=request.form.get("edit_version", ""),
        form=CsrfForm(),
    )


@bp.post("/<cycle>/<ags>/zurueckgeben")
@permission(Action.REPORT_REVIEW, per_object=True)
def return_report(cycle: str, ags: str) -> ResponseReturnValue:
    """Return the submitted revision with the comments typed on the review page."""
    report = _reviewed(cycle, ags)
    typed = {k[len("comment::") :]: v for k, v in request.form.items() if k.startswith("comment::")}
    comments = [(field, text) for field, text in typed.items() if text.strip()]
    try:
        reports.return_report(_user(), report, comments, edit_version=_edit_version())
    except ValidationFailed as exc:
        return _review_page(report, typed, "; ".join(_(e.message) for e in exc.errors), 422)
    except Conflict as exc:
        return _review_page(report, typed, _(exc.message), 409)
    flash(
        ngettext(
            "Zurückgegeben mit %(num)s Hinweis. Die Kommune ist benachrichtigt.",
            "Zurückgegeben mit %(num)s Hinweisen. Die Kommune ist benachrichtigt.",
            len(comments),
        ),
        "success",
    )
    return redirect(_url("reports.detail", report))


@bp.post("/<cycle>/<ags>/annehmen")
@permission(Action.REPORT_REVIEW, per_object=True)
def accept(cycle: str, ags: str) -> ResponseReturnValue:
    """Accept the submitted revision: it becomes the published one."""
    report = _reviewed(cycle, ags)
    if request.form.get("confirm") != "1":
        return _confirm_page(
            report,
            title=_("Annehmen und veröffentlichen?"),
            text=_(
                "Die eingereichte Revision wird angenommen und für alle angemeldeten Fachkräfte "
                "veröffentlicht; die Kommune wird benachrichtigt. Eine spätere Korrektur ist "
                "möglich, die veröffentlichte Fassung bleibt bis dahin sichtbar."
            ),
            action=_url("reports.accept", report),
            button=_("Ja, annehmen und veröffentlichen"),
            back=_url("reports.review", report),
        )
    try:
        reports.accept(_user(), report, edit_version=_edit_version())
    except Conflict as exc:
        return _review_page(report, error=_(exc.message), status=409)
    flash(_("Angenommen: der Bericht ist veröffentlicht."), "success")
    return redirect(_url("reports.detail", report))


@bp.post("/<cycle>/<ags>/wieder-oeffnen")
@permission(Action.REPORT_REVIEW, per_object=True)
def reopen(cycle: str, ags: str) -> ResponseReturnValue:
    """Reopen an accepted report for a correction, with a reason (from the report's page)."""
    report = _reviewed(cycle, ags)
    try:
        reports.reopen(
            _user(), report, request.form.get("reason", ""), edit_version=_edit_version()
        )
    except ValidationFailed as exc:
        flash("; ".join(_(e.message) for e in exc.errors), "error")
        return redirect(_url("reports.detail", report) + "#reopen-h")
    except Conflict as exc:
        flash(_(exc.message), "error")
        return redirect(_url("reports.detail", report))
    flash(
        _("Der Bericht ist zur Korrektur geöffnet; die angenommene Fassung bleibt veröffentlicht."),
        "success",
    )
    return redirect(_url("reports.detail", report))


# --- revisions, diffs, published ----------------------------------------------------------------


@bp.get("/<cycle>/<ags>/revisionen/<int:number>")
@permission(Action.REPORT_READ, per_object=True)
def revision(cycle: str, ags: str, number: int) -> ResponseReturnValue:
    report = reports.get_report_for(_user(), Action.REPORT_READ, cycle, ags)
    rev = reports.get_revision(report, number)
    return render_template(
        "reports/revision.html",
        report=report,
        revision=rev,
        doc=reports.revision_document(rev),
        comments=[c for c in reports.comments(report) if c.revision_number == number],
    )


@bp.get("/<cycle>/<ags>/vergleich")
@permission(Action.REPORT_READ, per_object=True)
def diff(cycle: str, ags: str) -> ResponseReturnValue:
    report = reports.get_report_for(_user(), Action.REPORT_READ, cycle, ags)
    to = request.args.get("to", type=int) or report.revision_count
    frm = request.args.get("from", type=int) or max(1, to - 1)
    try:
        changes = reports.revision_diff(report, frm, to)
    except NotFound:
        abort(404)
    comments = [c for c in reports.comments(report) if c.revision_number == frm]
    return render_template(
        "reports/diff.html",
        report=report,
        changes=changes,
        frm=frm,
        to=to,
        comments=comments,
        doc=reports.revision_document(reports.get_revision(report, to)),
        old_doc=reports.revision_document(reports.get_revision(report, frm)),
    )


@bp.get("/<cycle>/<ags>/veroeffentlicht")
@permission(Action.REPORT_READ_PUBLISHED, per_object=True)
def published(cycle: str, ags: str) -> ResponseReturnValue:
    """The published report for staff: indicators with the practices that explain them."""
    report = reports.get_report_for(_user(), Action.REPORT_READ_PUBLISHED, cycle, ags)
    document_url = publication.document_url(report)
    parts: dict[str, Markup] = {}

    def render(name: str) -> Markup:
        if not parts:  # the accepted revision, never the draft
            pub = publication.published_report(report)
            for part in ("head", "body"):
                parts[part] = fragments.rendered(
                    f"publication/_{part}.html",
                    pub=pub,
                    document_url=document_url,
                    practice_url=_practice_path,
                )
        return parts[name]

    # The same for everyone who may read it: kept until the next publication or import (or
    # an edit of the cycle it shows, which writes no outbox entry: part of the key).
    c = report.cycle
    key = (report.id, report.published_revision_id, c.title, c.period_start, c.period_end)
    return render_template(
        "reports/published.html",
        report=report,
        head=fragments.cached("reports.published.head", key, lambda: render("head")),
        body=fragments.cached("reports.published.body", key, lambda: render("body")),
    )


def _practice_path(practice_id: str) -> str:
    """A practice page's path: the published report's page links it on this site (its PDF
    uses the public address, ``publication.practice_url``)."""
    return url_for("practices.detail", practice_id=practice_id)


def field_label(path: str, report: Report, *docs: ReportDocument | None) -> str:
    """A document path in words, looking practice titles up in the given documents."""
    return changes_view.label(path, docs, reports.content(), reports.template_of(report))


def change_rows(
    changes: list[Change], report: Report, *docs: ReportDocument | None
) -> list[changes_view.ChangeRow]:
    """The change view's rows: German labels, values as Germans write them (newest doc first)."""
    return changes_view.rows(changes, reports.content(), reports.template_of(report), *docs)


def municipality_name(key: str | None) -> str:
    """The name shown for a municipality key (an adopted practice's origin); the key when
    the register does not know it."""
    if not key:
        return ""
    try:
        return str(register.display_name(register.get(key)).render(_))
    except NotFound:
        return key


def region_name(prefix: str | None) -> str:
    """A region (a key prefix: a Land, a Regierungsbezirk, a Kreis) by its name, with its key
    for those who know keys: "Nordrhein-Westfalen (05)"; the whole country for ""."""
    if not prefix:
        return str(_("ganz Deutschland"))
    try:
        return f"{register.display_name(register.get(prefix)).render(_)} ({prefix})"
    except NotFound:
        return prefix


def register_filters(app: Any) -> None:
    app.jinja_env.globals["region_name"] = region_name
    app.jinja_env.filters["field_id"] = field_id
    app.jinja_env.globals["municipality_name"] = municipality_name
    app.jinja_env.globals["change_rows"] = change_rows
    app.jinja_env.globals["field_label"] = field_label
    app.jinja_env.globals["practice_label"] = changes_view.practice_label
    app.jinja_env.globals["FieldError"] = FieldError
    app.jinja_env.globals["current_app"] = current_app
