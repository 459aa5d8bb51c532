"""Start page, help pages, the taxonomy and indicator pages, and the language switch."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    send_from_directory,
    session,
)
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from markupsafe import Markup

from omk.compare.bases import BASIS_LABELS
from omk.content import Content
from omk.policy import Action, can, permission
from omk.views import fragments
from omk.views.helpers import safe_next

bp = Blueprint("main", __name__)

#: How long a browser keeps /favicon.ico (a day: the address has no fingerprint).
FAVICON_MAX_AGE = 24 * 3600


class _CsrfForm(FlaskForm):
    """The CSRF token of the start page's "open a saved search" buttons."""


#: What kind of number an indicator takes.
TYPE_LABELS = {
    "count": _l("ganze Zahl ab 0"),
    "number": _l("Zahl ab 0"),
    "percent": _l("Prozent (0–100)"),
    "money": _l("Euro"),
}

#: The three groups of recommendations of the source study, by the code's letter.
RECOMMENDATION_GROUPS = {
    "A": _l("Verwaltung der Kommunen"),
    "B": _l("Sprache, Bildung und Arbeitsmarkt"),
    "C": _l("Zivilgesellschaft und Ehrenamt"),
}


def _content() -> Content:
    content: Content = current_app.extensions["omk_content"]
    return content


@bp.get("/")
@permission(Action.PUBLIC)
def index() -> ResponseReturnValue:
    """The OMC idea in brief, the open cycles and the criteria."""
    from omk.services import cycles, reports

    open_cycles = cycles.open_cycles()
    user = current_user
    mine: dict[
        int, Any
    ] = {}  # a reporter's report per cycle: (report or None, overdue, open hints)
    queue: dict[int, int] = {}  # a reviewer's submitted reports per cycle
    queue_cycles: dict[int, Any] = {}  # those cycles, open or not (a closed one is still checked)
    if can(user, Action.REPORT_EDIT) and user.municipality is not None:
        for cycle in open_cycles:
            if cycles.covers(cycle, user.municipality_key):
                report = reports.find_report(cycle, user.municipality_key)
                overdue = report is not None and cycles.is_overdue(report)
                hints = len(reports.open_comments(report)) if report is not None else 0
                mine[cycle.id] = (report, overdue, hints)
    if can(user, Action.REPORT_REVIEW):
        for report in reports.review_queue(user):
            queue[report.cycle_id] = queue.get(report.cycle_id, 0) + 1
            queue_cycles.setdefault(report.cycle_id, report.cycle)
    followed = []
    if can(user, Action.PRACTICE_READ):
        from omk.services import following

        followed = following.followed(user)
    invitations = []  # open peer reviews the reporter's municipality is invited to: (id, title)
    if can(user, Action.PEER_REVIEW_COMMENT) and user.municipality_key:
        from omk.synergies import peer_review, published

        reviews = peer_review.open_for_municipality(user.municipality_key)
        titles = {
            v.practice_id: v.practice.title
            for v in published.latest(practice_ids={r.practice_id for r in reviews})
        }
        invitations = [(r.id, titles[r.practice_id]) for r in reviews if r.practice_id in titles]
    return render_template(
        "main/index.html",
        invitations=invitations,
        open_cycles=open_cycles,
        taxonomy=_content().taxonomy,
        mine=mine,
        queue=queue,
        queue_cycles=list(queue_cycles.values()),
        followed=followed,
        follow_form=_CsrfForm(),
    )


@bp.get("/favicon.ico")
@permission(Action.PUBLIC)
def favicon() -> ResponseReturnValue:
    """The tab icon at the address browsers ask for on their own (pages without the base
    layout, a PDF, a JSON answer); pages with the layout name the SVG one."""
    return send_from_directory(
        current_app.static_folder or "", "favicon.ico", max_age=FAVICON_MAX_AGE
    )


@bp.get("/hilfe/")
@permission(Action.PUBLIC)
def help_index() -> ResponseReturnValue:
    return render_template("main/help_index.html", pages=_content().help_pages.values())


@bp.get("/hilfe/<slug>")
@permission(Action.PUBLIC)
def help_page(slug: str) -> ResponseReturnValue:
    pages = _content().help_pages
    page = pages.get(slug)
    if page is None:
        abort(404)
    return render_template("main/help_page.html", page=page, pages=pages.values())


@bp.get("/kriterien")
@permission(Action.PUBLIC)
def taxonomy() -> ResponseReturnValue:
    """Criteria, fields of action and recommendations, straight from content/taxonomy.yaml."""
    tax = _content().taxonomy
    groups = {
        letter: [r for r in tax.recommendations if r.code.startswith(letter)]
        for letter in RECOMMENDATION_GROUPS
    }
    return render_template(
        "main/taxonomy.html",
        taxonomy=tax,
        recommendation_groups=groups,
        group_labels=RECOMMENDATION_GROUPS,
    )


@bp.get("/kennzahlen")
@permission(Action.PUBLIC)
def indicators() -> ResponseReturnValue:
    """The indicator catalogue by criterion, with unit, basis and the template's guidance."""
    content = _content()

    def catalogue() -> Markup:
        template = content.current_template
        guidance = {i.code: i for s in template.sections for i in s.indicators}
        by_criterion = [
            (criterion, [i for i in content.indicators.values() if i.criterion == criterion.code])
            for criterion in content.taxonomy.criteria
        ]
        return fragments.rendered(
            "main/_indicators.html",
            by_criterion=by_criterion,
            guidance=guidance,
            template=template,
            normalise_labels=BASIS_LABELS,  # message ids, translated in the template
            type_labels=TYPE_LABELS,
        )

    # content/ is read once at start: the catalogue changes only with the process
    return render_template(
        "main/indicators.html", catalogue=fragments.constant("main.indicators", catalogue)
    )


@bp.post("/sprache")
@permission(Action.PUBLIC)
def language() -> ResponseReturnValue:
    """Switch the interface language (de/en) for this browser session."""
    lang = request.form.get("lang", "de")
    if lang in current_app.config["LANGUAGES"]:
        session["lang"] = lang
    return redirect(safe_next(request.form.get("next")))
