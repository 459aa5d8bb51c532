"""A page per practice (/massnahmen/<id>): its latest published version, its versions over
the cycles with what changed, and similar practices elsewhere."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template
from flask.typing import ResponseReturnValue

from omk.content import Content
from omk.policy import Action, actor, can, permission
from omk.services import outbox, practices, similarity
from omk.synergies import candidates, peer_review, validation
from omk.synergies import content as synergy_content
from omk.synergies.partner_provider import names_of
from omk.views import fragments

bp = Blueprint("practices", __name__, url_prefix="/massnahmen")


@bp.get("/<practice_id>")
@permission(Action.PRACTICE_READ, per_object=True)
def detail(practice_id: str) -> ResponseReturnValue:
    """The latest published version of a practice, its lineage and similar practices."""
    user = actor()
    published = practices.get_published(user, practice_id)
    content: Content = current_app.extensions["omk_content"]
    report = published.latest.report
    may_validate = can(user, Action.PRACTICE_VALIDATE, report)
    reviews = peer_review.for_practice(user, published.practice_id)
    names = names_of(
        {k for r in reviews for k in (r.municipality_key, *r.invited_keys)}
        | {c.municipality_key for r in reviews for c in r.comments}
    )
    shown = {  # what the practice says: the same for every reader
        "published": published,
        "latest": published.latest,
        "p": published.latest.document,
        "catalogue": content.indicators,
        "taxonomy": content.taxonomy,
        "template": content.template(published.latest.report.template_version),
    }
    # kept until the next publication (a new version) or import (names); the cycle titles
    # the parts show change without either: part of the key
    key = (
        published.practice_id,
        published.latest.practice.revision_id,
        tuple((v.cycle.code, v.cycle.title) for v in published.versions),
    )
    return render_template(
        "practices/detail.html",
        practice_head=fragments.cached(
            "practices.head", key, lambda: fragments.rendered("practices/_head.html", **shown)
        ),
        practice_versions=fragments.cached(
            "practices.versions",
            key,
            lambda: fragments.rendered("practices/_versions.html", **shown),
        ),
        p=published.latest.document,
        published=published,
        similar_section=fragments.cached(
            "practices.similar",
            # stored by the similarity consumer after a publication: its position is part of
            # the key, so the list appears once the consumer has caught up
            (published.practice_id, outbox.position(similarity.CONSUMER)),
            lambda: fragments.rendered(
                "practices/_similar.html",
                similar=similarity.similar(published.practice_id, per_page=5)["items"],
            ),
        ),
        validations=validation.history(published.practice_id),
        rubric=synergy_content.rubric(),
        reviews=reviews,
        review_names=names,
        may_validate=may_validate,
        may_open_review=can(user, Action.PEER_REVIEW_MANAGE, report),
        is_own=getattr(user, "municipality_key", None) == report.municipality_key,
        score=candidates.score_of(published.practice_id) if may_validate else None,
    )
