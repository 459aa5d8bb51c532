"""A page per practice (/massnahmen/<id>): its latest published version, its versions over
the cycles with what changed, and similar practices elsewhere."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template
from flask.typing import ResponseReturnValue

from omk.content import Content
from omk.policy import Action, actor, permission
from omk.services import practices, similarity

bp = Blueprint("practices", __name__, url_prefix="/massnahmen")


@bp.get("/<practice_id>")
@permission(Action.PRACTICE_READ, per_object=True)
def detail(practice_id: str) -> ResponseReturnValue:
    """The latest published version of a practice, its lineage and similar practices."""
    published = practices.get_published(actor(), practice_id)
    content: Content = current_app.extensions["omk_content"]
    return render_template(
        "practices/detail.html",
        published=published,
        latest=published.latest,
        p=published.latest.document,
        catalogue=content.indicators,
        taxonomy=content.taxonomy,
        template=content.template(published.latest.report.template_version),
        similar=similarity.similar(published.practice_id, per_page=5)["items"],
    )
