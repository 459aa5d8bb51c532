"""A page per practice (/massnahmen/<id>): its latest published version, its versions over
the cycles with what changed, and similar practices elsewhere."""

from __future__ import annotations

from typing import TypedDict

from flask import Blueprint, current_app, render_template
from flask.typing import ResponseReturnValue
from markupsafe import Markup

from omk.content import Content
from omk.errors import NotFound
from omk.messages import msg
from omk.policy import Action, actor, authorize, can, permission
from omk.services import outbox, practices, similarity
from omk.synergies import candidates, peer_review, validation
from omk.synergies import content as synergy_content
from omk.synergies.partner_provider import names_of
from omk.views import changes, fragments

bp = Blueprint("practices", __name__, url_prefix="/massnahmen")


class PracticeParts(TypedDict):
    """What a practice's page shows the same to every reader, rendered once per publication
    (every publication and validation writes the outbox), language and cycle titles."""

    title: str
    head: Markup
    versions: Markup
    validation: Markup


@bp.get("/<practice_id>")
@permission(Action.PRACTICE_READ, per_object=True)
def detail(practice_id: str) -> ResponseReturnValue:
    """The latest published version of a practice, its lineage and similar practices."""
    user = actor()
    # Asked every time: the published versions' reports (the policy's target, and what
    # recognises the cached parts); drafts and unpublished revisions never appear here.
    versions = practices.published_reports(practice_id)
    if not versions:
        raise NotFound(msg("Diese Maßnahme gibt es nicht oder sie ist nicht veröffentlicht."))
    report = versions[0]
    authorize(Action.PRACTICE_READ, report, user=user)
    practice_id = practice_id.lower()
    may_validate = can(user, Action.PRACTICE_VALIDATE, report)
    reviews = peer_review.for_practice(user, practice_id)  # depends on who asks
    names = (
        names_of(
            {k for r in reviews for k in (r.municipality_key, *r.invited_keys)}
            | {c.municipality_key for r in reviews for c in r.comments}
        )
        if reviews
        else {}
    )
    # cycle titles change without an outbox entry: part of the key
    key = (
        practice_id,
        report.published_revision_id,
        tuple((r.cycle.code, r.cycle.title, r.id) for r in versions),
    )
    parts = fragments.remembered("practices.page", key, lambda: _parts(practice_id))
    return render_template(
        "practices/detail.html",
        title=parts["title"],
        practice_head=parts["head"],
        practice_versions=parts["versions"],
        validation_view=parts["validation"],
        practice_id=practice_id,
        similar_section=fragments.cached(
            "practices.similar",
            # stored by the similarity consumer after a publication: its position is part of
            # the key, so the list appears once the consumer has caught up
            (practice_id, outbox.position(similarity.CONSUMER)),
            lambda: fragments.rendered(
                "practices/_similar.html",
                similar=similarity.similar(practice_id, per_page=similarity.ON_PAGE)["items"],
            ),
        ),
        rubric=synergy_content.rubric(),
        reviews=reviews,
        review_names=names,
        may_validate=may_validate,
        may_open_review=can(user, Action.PEER_REVIEW_MANAGE, report),
        is_own=getattr(user, "municipality_key", None) == report.municipality_key,
        score=candidates.score_of(practice_id) if may_validate else None,
    )


def _parts(practice_id: str) -> PracticeParts:
    """The parts of the page that show only published material (the lineage, its texts and
    changes, the validations)."""
    published = practices.get_published(actor(), practice_id)
    content: Content = current_app.extensions["omk_content"]
    template = content.template(published.latest.report.template_version)
    shown = {
        "published": published,
        "latest": published.latest,
        "p": published.latest.document,
        "catalogue": content.indicators,
        "taxonomy": content.taxonomy,
        "template": template,
        "changes": [
            changes.version_changes(v.changes, content, content.template(v.report.template_version))
            for v in published.versions
        ],
    }
    return {
        "title": published.latest.document["title"],
        "head": fragments.rendered("practices/_head.html", **shown),
        "versions": fragments.rendered("practices/_versions.html", **shown),
        "validation": fragments.rendered(
            "practices/_validation.html",
            validations=validation.history(published.practice_id),
            rubric=synergy_content.rubric(),
        ),
    }
