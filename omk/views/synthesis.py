"""Synthesis reports (Syntheseberichte): the overview, the region's shared draft (generate,
introduction and chapter comments with a preview, publish after a confirmation), the
published versions and their downloads (PDF, Markdown, ZIP of CSV files, printable HTML)."""

from __future__ import annotations

from typing import Any, cast

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from markupsafe import Markup

from omk import downloads
from omk import synthesis as producer
from omk.errors import Conflict, NotFound, ValidationFailed
from omk.models.synthesis import SynthesisDraft, SynthesisVersion
from omk.policy import Action, actor, authorize, can, permission
from omk.services import synthesis as service
from omk.synthesis import ChapterTexts, SynthesisDocument
from omk.views.helpers import bounded_int
from omk.views.reports import CsrfForm

bp = Blueprint("synthesis", __name__, url_prefix="/synthese")


def _checked_form() -> None:
    if not CsrfForm().validate_on_submit():
        abort(400)


def _url(endpoint: str, cycle: str, region: str, **kw: Any) -> str:
    return url_for(endpoint, cycle=cycle, region=service.region_segment(region), **kw)


def _document(record: SynthesisDraft | SynthesisVersion) -> SynthesisDocument | None:
    return cast(SynthesisDocument | None, record.document)  # stored as the producer's JSON


def _rendered(document: SynthesisDocument | None, texts: ChapterTexts) -> Markup | None:
    """The report's body as HTML: the producer's autoescaped template, the reviewers' texts
    through omk.markdown (sanitised), charts as the app's own SVG."""
    if document is None:
        return None
    return Markup(producer.to_html(document, texts, standalone=False))  # noqa: S704


@bp.get("/bericht.css")
@permission(Action.PUBLIC)
def stylesheet() -> ResponseReturnValue:
    """The report's stylesheet (pages, the printable page): no inline style under the CSP."""
    response = Response(producer.stylesheet(), mimetype="text/css")
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


@bp.get("/")
@permission(Action.SYNTHESIS_READ)
def index() -> ResponseReturnValue:
    """Published syntheses per cycle and region, and the drafts the user manages."""
    return render_template(
        "synthesis/index.html",
        overview=service.overview(actor()),
        segment=service.region_segment,
    )


def _draft_page(
    cycle_code: str,
    region: str,
    *,
    typed: dict[str, Any] | None = None,
    errors: dict[str, list[str]] | None = None,
    message: str | None = None,
    preview: dict[str, Markup] | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    user = actor()
    cycle, draft = service.find_draft(user, cycle_code, region)
    document = _document(draft) if draft is not None else None
    saved_texts = service.texts_of(draft) if draft is not None else None
    chapters = (
        [{"id": c["id"], "title": c["title"]} for c in document["chapters"]] if document else []
    )
    return (
        render_template(
            "synthesis/draft.html",
            cycle=cycle,
            region=region,
            segment=service.region_segment(region),
            region_name=service.region_name(region),
            draft=draft,
            chapters=chapters,
            saved=saved_texts,
            typed=typed,
            errors=errors or {},
            message=message,
            preview=preview,
            body=_rendered(document, saved_texts or {"introduction": "", "comments": {}}),
            versions=service.versions(cycle, region),
            form=CsrfForm(),
        ),
        status,
    )


def _typed_texts(chapters: list[str]) -> dict[str, Any]:
    form = request.form
    return {
        "introduction": form.get("introduction", ""),
        "comments": {c: form.get(f"comment-{c}", "") for c in chapters},
        "names_shown": form.get("names_shown") == "1",
    }


@bp.route("/<cycle>/<region>/entwurf", methods=["GET", "POST"])
@permission(Action.SYNTHESIS_MANAGE, per_object=True)
def draft(cycle: str, region: str) -> ResponseReturnValue:
    """The region's shared draft: the generated report, the introduction and a comment per
    chapter; ``Vorschau`` shows the texts rendered without saving them."""
    code, prefix = cycle, service.region_from_segment(region)
    if request.method == "GET":
        return _draft_page(code, prefix)
    _checked_form()
    _cycle, found = service.find_draft(actor(), code, prefix)
    chapters = service.chapter_ids(found.document if found else None)
    typed = _typed_texts(chapters)
    if request.form.get("action") == "preview":
        from omk.markdown import render

        preview = {"introduction": render(typed["introduction"], heading_offset=2)}
        preview.update(
            {
                f"comment-{c}": render(text, heading_offset=3)
                for c, text in typed["comments"].items()
            }
        )
        typed["edit_version"] = request.form.get("edit_version", "")
        return _draft_page(code, prefix, typed=typed, preview=preview)
    edit_version = bounded_int(
        request.form.get("edit_version"), name="edit_version", upper=10**9, default=0
    )
    try:
        service.save_texts(
            actor(),
            code,
            prefix,
            introduction=typed["introduction"],
            comments=typed["comments"],
            names_shown=typed["names_shown"],
            edit_version=edit_version,
        )
    except ValidationFailed as exc:
        errors: dict[str, list[str]] = {}
        for e in exc.errors:
            errors.setdefault(e.field, []).append(_(e.message))
        typed["edit_version"] = str(edit_version)
        return _draft_page(code, prefix, typed=typed, errors=errors, status=422)
    except Conflict as exc:
        # Nothing is lost: the texts come back, with the current edit check, so that saving
        # again is a conscious decision after comparing with the saved version.
        return _draft_page(code, prefix, typed=typed, message=_(exc.message), status=409)
    flash(_("Der Entwurf ist gespeichert."), "success")
    return redirect(_url("synthesis.draft", code, prefix))


@bp.post("/<cycle>/<region>/entwurf/erzeugen")
@permission(Action.SYNTHESIS_MANAGE, per_object=True)
def generate(cycle: str, region: str) -> ResponseReturnValue:
    """Generate (or regenerate) the draft's report from the published reports now."""
    _checked_form()
    prefix = service.region_from_segment(region)
    service.generate(actor(), cycle, prefix)
    flash(_("Der Bericht ist neu erzeugt; Einleitung und Kommentare bleiben erhalten."), "success")
    return redirect(_url("synthesis.draft", cycle, prefix))


@bp.route("/<cycle>/<region>/entwurf/veroeffentlichen", methods=["GET", "POST"])
@permission(Action.SYNTHESIS_MANAGE, per_object=True)
def publish(cycle: str, region: str) -> ResponseReturnValue:
    """Ask for confirmation, then publish the draft as the next version."""
    prefix = service.region_from_segment(region)
    user = actor()
    found_cycle, found = service.find_draft(user, cycle, prefix)
    if request.method == "POST":
        _checked_form()
        if request.form.get("confirm") != "1":  # not confirmed: ask (again)
            return redirect(_url("synthesis.publish", cycle, prefix))
        edit_version = bounded_int(
            request.form.get("edit_version"), name="edit_version", upper=10**9, default=0
        )
        try:
            version = service.publish(user, cycle, prefix, edit_version=edit_version)
        except Conflict as exc:
            flash(_(exc.message), "error")
            return redirect(_url("synthesis.draft", cycle, prefix)), 303
        flash(
            _(
                "Version %(n)d ist veröffentlicht und für alle Angemeldeten lesbar.",
                n=version.number,
            ),
            "success",
        )
        return redirect(_url("synthesis.published", cycle, prefix))
    if found is None or found.document is None:
        flash(_("Bitte erzeugen Sie den Bericht, bevor Sie ihn veröffentlichen."), "error")
        return redirect(_url("synthesis.draft", cycle, prefix))
    versions = service.versions(found_cycle, prefix)
    return render_template(
        "synthesis/publish.html",
        cycle=found_cycle,
        region=prefix,
        segment=service.region_segment(prefix),
        region_name=service.region_name(prefix),
        draft=found,
        next_number=(versions[0].number if versions else 0) + 1,
        form=CsrfForm(),
    )


def _version_arg() -> int | None:
    raw = request.args.get("version")
    if raw in (None, ""):
        return None
    return bounded_int(raw, name="version", upper=100_000, lower=1, default=1)


@bp.get("/<cycle>/<region>/")
@permission(Action.SYNTHESIS_READ, per_object=True)
def published(cycle: str, region: str) -> ResponseReturnValue:
    """The newest published version (``?version=N``: that one), with the list of versions."""
    prefix = service.region_from_segment(region)
    user = actor()
    version = service.published(user, cycle, prefix, _version_arg())
    return render_template(
        "synthesis/published.html",
        version=version,
        cycle=version.cycle,
        region=prefix,
        segment=service.region_segment(prefix),
        region_name=service.region_name(prefix),
        versions=service.versions(version.cycle, prefix),
        may_manage=can(user, Action.SYNTHESIS_MANAGE, prefix),
        body=_rendered(_document(version), service.texts_of(version)),
        document_locale=(version.document or {}).get("locale", "de"),
    )


def _record_for_download(cycle: str, prefix: str) -> SynthesisDraft | SynthesisVersion:
    """The published version asked for, or (``?entwurf=1``) the draft for its managers."""
    user = actor()
    if request.args.get("entwurf") == "1":
        _cycle, found = service.find_draft(user, cycle, prefix)
        if found is None or found.document is None:
            raise NotFound(_("Der Entwurf ist noch nicht erzeugt."))
        authorize(Action.SYNTHESIS_MANAGE, found, user=user)
        return found
    return service.published(user, cycle, prefix, _version_arg())


def _download(cycle: str, region: str, fmt: str) -> ResponseReturnValue:
    record = _record_for_download(cycle, service.region_from_segment(region))
    data, name, mimetype = service.rendered_file(record, fmt)
    return downloads.attachment(data, name, mimetype)


@bp.get("/<cycle>/<region>/synthesebericht.pdf")
@permission(Action.SYNTHESIS_READ, per_object=True)
def pdf(cycle: str, region: str) -> ResponseReturnValue:
    """The synthesis as a tagged PDF (PDF/UA-1)."""
    return _download(cycle, region, "pdf")


@bp.get("/<cycle>/<region>/synthesebericht.md")
@permission(Action.SYNTHESIS_READ, per_object=True)
def markdown(cycle: str, region: str) -> ResponseReturnValue:
    """The synthesis as Markdown."""
    return _download(cycle, region, "md")


@bp.get("/<cycle>/<region>/tabellen.zip")
@permission(Action.SYNTHESIS_READ, per_object=True)
def tables(cycle: str, region: str) -> ResponseReturnValue:
    """Every table of the synthesis as a CSV file, in one ZIP."""
    return _download(cycle, region, "zip")


@bp.get("/<cycle>/<region>/druck")
@permission(Action.SYNTHESIS_READ, per_object=True)
def printable(cycle: str, region: str) -> ResponseReturnValue:
    """The synthesis as one printable page, without the app's navigation (its stylesheet
    is linked: the CSP allows no inline style; the HTML file with it inside is the API's
    ``format=html``)."""
    record = _record_for_download(cycle, service.region_from_segment(region))
    return render_template(
        "synthesis/print.html",
        body=_rendered(_document(record), service.texts_of(record)),
        title=_("Synthesebericht") + f" {record.cycle.code} – {service.region_name(record.region)}",
        lang=(record.document or {}).get("locale", "de"),
    )
