"""Start page, help pages and the language switch."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, redirect, render_template, request, session
from flask.typing import ResponseReturnValue

from omk.policy import Action, permission
from omk.views.helpers import safe_next

bp = Blueprint("main", __name__)


@bp.get("/")
@permission(Action.PUBLIC)
def index() -> ResponseReturnValue:
    """The OMC idea in brief, and the open cycles."""
    from omk.services import cycles

    return render_template("main/index.html", open_cycles=cycles.open_cycles())


@bp.get("/hilfe/")
@permission(Action.PUBLIC)
def help_index() -> ResponseReturnValue:
    pages = current_app.extensions["omk_content"].help_pages
    return render_template("main/help_index.html", pages=pages.values())


@bp.get("/hilfe/<slug>")
@permission(Action.PUBLIC)
def help_page(slug: str) -> ResponseReturnValue:
    page = current_app.extensions["omk_content"].help_pages.get(slug)
    if page is None:
        abort(404)
    return render_template("main/help_page.html", page=page)


@bp.post("/sprache")
@permission(Action.PUBLIC)
def language() -> ResponseReturnValue:
    """Switch the interface language (de/en) for this browser session."""
    lang = request.form.get("lang", "de")
    if lang in current_app.config["LANGUAGES"]:
        session["lang"] = lang
    return redirect(safe_next(request.form.get("next")))
