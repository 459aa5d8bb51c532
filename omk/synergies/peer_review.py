"""Peer reviews, the OMC's own learning tool.

A reviewer of the host municipality's region (or the operator) opens a peer review of a
published practice and invites peer municipalities; their reporters answer three structured
questions (effective? serves the cycle's objectives? transferable to us, on which
conditions?); the reviewer writes a synthesis, which publishes the peer review with the
practice. Invitations and the synthesis are mailed after the commit; everything is audited.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import selectinload

from omk.errors import Conflict, FieldError, NotFound, ValidationFailed
from omk.extensions import db
from omk.messages import msg
from omk.models.register import Municipality
from omk.models.reporting import Report, Revision
from omk.models.synergies import PeerReview, PeerReviewComment, PeerReviewInvitation
from omk.models.types import utcnow
from omk.policy import Action, authorize, can
from omk.services import audit, notify, practices, register
from omk.services.transaction import after_commit, lock, unit_of_work

MAX_INVITED = 20
MAX_TEXT = 10_000
MIN_SYNTHESIS = 20
QUESTIONS = ("effective", "objectives", "transfer")


def open_review(user: Any, practice_id: str, invited: list[str]) -> PeerReview:
    """Open a peer review of the practice's newest published version, inviting the given
    municipalities (register keys); their reporters are mailed after the commit."""
    keys = sorted({k.strip() for k in invited if k.strip()})
    with unit_of_work():
        lineage = practices.get_published(user, practice_id)
        report = lineage.latest.report
        authorize(Action.PEER_REVIEW_MANAGE, report, user=user)
        errors = []
        if not keys:
            errors.append(FieldError("invited", "Bitte mindestens eine Kommune einladen."))
        if len(keys) > MAX_INVITED:
            errors.append(FieldError("invited", "Höchstens 20 Kommunen je Peer Review."))
        if report.municipality_key in keys:
            errors.append(FieldError("invited", "Die gastgebende Kommune lädt sich nicht ein."))
        known = set(db.session.scalars(select(Municipality.key).where(Municipality.key.in_(keys))))
        for key in keys:
            if key not in known:
                errors.append(FieldError("invited", msg("Unbekannter Schlüssel: %(key)s", key=key)))
        if errors:
            raise ValidationFailed(errors)
        review = PeerReview(
            practice_id=lineage.practice_id,
            revision_id=lineage.latest.practice.revision_id,
            municipality_key=report.municipality_key,
            status="open",
            opened_by_id=getattr(user, "id", None),
            invitations=[PeerReviewInvitation(municipality_key=k) for k in keys],
        )
        db.session.add(review)
        db.session.flush()
        audit.record(
            user,
            "peer_review.open",
            review,
            to_state="open",
            practice=lineage.practice_id,
            municipality=report.municipality_key,
            invited=keys,
        )
        review_id, title = review.id, lineage.latest.practice.title
        host = str(register.display_name(lineage.latest.report.municipality))
        after_commit(lambda: notify.peer_review_invited(review_id, keys, title, host))
    return review


def get(user: Any, review_id: int) -> PeerReview:
    """A peer review as ``user`` may see it: published ones with their practice; open ones
    for those who manage them and for the invited municipalities' reporters."""
    review = db.session.scalar(
        select(PeerReview)
        .where(PeerReview.id == review_id)
        .options(selectinload(PeerReview.invitations), selectinload(PeerReview.comments))
    )
    if review is None:
        raise NotFound("Diese Peer Review gibt es nicht.")
    lineage = practices.get_published(user, review.practice_id)  # the practice must be public
    report = lineage.latest.report
    if review.status == "published" or can(user, Action.PEER_REVIEW_MANAGE, report):
        authorize(Action.PRACTICE_READ, report, user=user)
        return review
    if can(user, Action.PEER_REVIEW_COMMENT, review):
        authorize(Action.PEER_REVIEW_COMMENT, review, user=user)
        return review
    raise NotFound("Diese Peer Review gibt es nicht.")


def may_manage(user: Any, review: PeerReview) -> bool:
    """Whether ``user`` may write the review's synthesis."""
    return can(user, Action.PEER_REVIEW_MANAGE, _host_report(review))


def _host_report(review: PeerReview) -> Report:
    """The report whose revision was reviewed (its region decides who manages the review)."""
    revision = db.session.get(Revision, review.revision_id)
    assert revision is not None  # a foreign key
    return revision.report


def answer(
    user: Any, review_id: int, effective: str, objectives: str, transfer: str
) -> PeerReviewComment:
    """An invited municipality's answers (one per municipality, revisable while open)."""
    texts = {"effective": effective, "objectives": objectives, "transfer": transfer}
    with unit_of_work():
        review = lock(PeerReview, review_id)
        if review is None:
            raise NotFound("Diese Peer Review gibt es nicht.")
        authorize(Action.PEER_REVIEW_COMMENT, review, user=user)
        if review.status != "open":
            raise Conflict("Die Synthese ist geschrieben; Antworten sind nicht mehr möglich.")
        errors = [
            FieldError(name, "Bitte beantworten.")
            for name, text in texts.items()
            if not text.strip()
        ] + [
            FieldError(name, "Der Text ist zu lang.")
            for name, text in texts.items()
            if len(text) > MAX_TEXT
        ]
        if errors:
            raise ValidationFailed(errors)
        key = user.municipality_key
        comment = db.session.scalar(
            select(PeerReviewComment).where(
                PeerReviewComment.peer_review_id == review.id,
                PeerReviewComment.municipality_key == key,
            )
        )
        is_new = comment is None
        if comment is None:
            comment = PeerReviewComment(peer_review_id=review.id, municipality_key=key)
            db.session.add(comment)
        comment.effective = effective.strip()
        comment.objectives = objectives.strip()
        comment.transfer = transfer.strip()
        comment.author_id = user.id
        comment.updated_at = utcnow()
        db.session.flush()
        audit.record(
            user,
            "peer_review.answer" if is_new else "peer_review.revise_answer",
            comment,
            peer_review=review.id,
            municipality=key,
        )
    return comment


def publish_synthesis(user: Any, review_id: int, synthesis: str) -> PeerReview:
    """Write the synthesis: the peer review is published with the practice and mailed to
    the host's and the invited municipalities' reporters."""
    with unit_of_work():
        review = lock(PeerReview, review_id)
        if review is None:
            raise NotFound("Diese Peer Review gibt es nicht.")
        authorize(Action.PEER_REVIEW_MANAGE, _host_report(review), user=user)
        if review.status != "open":
            raise Conflict("Die Synthese ist bereits veröffentlicht.")
        text = synthesis.strip()
        if len(text) < MIN_SYNTHESIS:
            raise ValidationFailed(
                [FieldError("synthesis", "Bitte eine Synthese schreiben (ein, zwei Absätze).")]
            )
        if len(text) > MAX_TEXT:
            raise ValidationFailed([FieldError("synthesis", "Der Text ist zu lang.")])
        review.synthesis = text
        review.synthesis_by_id = getattr(user, "id", None)
        review.status = "published"
        review.published_at = utcnow()
        db.session.flush()
        audit.record(
            user,
            "peer_review.publish",
            review,
            from_state="open",
            to_state="published",
            practice=review.practice_id,
            comments=len(review.comments),
        )
        review_id, practice_id = review.id, review.practice_id
        recipients = [review.municipality_key, *review.invited_keys]
        after_commit(lambda: notify.peer_review_published(review_id, practice_id, recipients))
    return review


@cache
def _reviews_of_practice() -> Select[PeerReview]:
    """Built once: a practice's page asks it on every visit."""
    return (
        select(PeerReview)
        .where(PeerReview.practice_id == bindparam("practice_id"))
        .options(selectinload(PeerReview.invitations), selectinload(PeerReview.comments))
        .order_by(PeerReview.opened_at.desc(), PeerReview.id.desc())
    )


def for_practice(user: Any, practice_id: str) -> list[PeerReview]:
    """The peer reviews of a practice ``user`` may see, newest first."""
    rows = db.session.scalars(_reviews_of_practice(), {"practice_id": practice_id}).all()
    return [
        review
        for review in rows
        if review.status == "published"
        or may_manage(user, review)
        or can(user, Action.PEER_REVIEW_COMMENT, review)
    ]


def published_for(practice_id: str) -> list[PeerReview]:
    """The published peer reviews of a practice, newest first."""
    return list(
        db.session.scalars(
            select(PeerReview)
            .where(PeerReview.practice_id == practice_id, PeerReview.status == "published")
            .options(selectinload(PeerReview.invitations), selectinload(PeerReview.comments))
            .order_by(PeerReview.published_at.desc(), PeerReview.id.desc())
        )
    )


def open_for_municipality(key: str) -> list[PeerReview]:
    """Open peer reviews a municipality is invited to (for its reporters' start page)."""
    return list(
        db.session.scalars(
            select(PeerReview)
            .join(PeerReviewInvitation)
            .where(PeerReviewInvitation.municipality_key == key, PeerReview.status == "open")
            .order_by(PeerReview.opened_at.desc())
        )
    )
