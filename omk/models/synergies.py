"""Synergies and good practices: judgements on synergy suggestions, validations of good
practices with a rubric, and peer reviews with their invitations and comments.

Practices are named by their lineage id (the exchange format's ``id``, a UUID); the published
version a record was made on is named by its revision.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from omk.extensions import Base
from omk.models.types import UTCDateTime, utcnow

JUDGEMENT_STATUSES = ("open", "confirmed", "dismissed")
VERDICTS = ("validated", "not_validated")


class SynergyJudgement(Base):
    """A reviewer's (or the operator's) judgement on one synergy suggestion, for a region.

    A suggestion is named by its kind, its two sides (``a``, ``b``) and a subject (for shared
    partners: the organisation or federation; else ''). ``region`` is the judge's AGS prefix
    ('' for the operator: applies everywhere). ``fingerprint`` identifies the content of the
    practices the suggestion was made from (before 2026-12: their revisions): a dismissed
    suggestion comes back when it changes.
    The latest judgement per (suggestion, region) is kept here; the history is in the audit log.
    """

    __tablename__ = "synergy_judgement"
    __table_args__ = (
        UniqueConstraint("kind", "a_id", "b_id", "subject", "region", name="uq_synergy_judgement"),
        CheckConstraint("status IN ('open','confirmed','dismissed')", name="status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    a_type: Mapped[str] = mapped_column(String(20))
    a_id: Mapped[str] = mapped_column(String(60))
    b_type: Mapped[str] = mapped_column(String(20))
    b_id: Mapped[str] = mapped_column(String(60))
    subject: Mapped[str] = mapped_column(String(300), default="")
    status: Mapped[str] = mapped_column(String(12))
    note: Mapped[str] = mapped_column(Text, default="")
    region: Mapped[str] = mapped_column(String(9), default="")
    fingerprint: Mapped[str] = mapped_column(String(64))
    judged_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    judged_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SynergySnapshot(Base):
    """One kind's synergy suggestions of a cycle, for all of Germany, in every language, as
    computed (:mod:`omk.synergies.store`): the page and the API read them, a request never
    computes them. ``state`` is the published state they were made from
    (:func:`omk.synergies.cache.signature`); when it differs from the current one the
    snapshot is stale and is computed anew after the response or by cron. The newest row of
    a cycle and kind counts; the one before is kept for requests still reading it.
    ``payload`` holds what finds and filters them (register keys, identity hashes); the
    suggestions themselves are in blocks (:class:`SynergySnapshotBlock`), read when shown."""

    __tablename__ = "synergy_snapshot"
    __table_args__ = (Index("ix_synergy_snapshot_list", "cycle_id", "kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycle.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    state: Mapped[str] = mapped_column(Text)
    #: The register keys in order and each Land's positions, the names that read differently
    #: in another language (zlib-compressed JSON), and a 64-bit hash of each suggestion's
    #: identity (what finds a judged one).
    payload: Mapped[bytes] = mapped_column(LargeBinary)
    count: Mapped[int] = mapped_column(Integer)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: How long computing them took (wall clock): whether a web worker may do it next time.
    seconds: Mapped[float] = mapped_column(Float)


class SynergySnapshotBlock(Base):
    """A run of a snapshot's suggestions (:data:`omk.synergies.store.BLOCK` of them), one
    JSON text per line, zlib-compressed."""

    __tablename__ = "synergy_snapshot_block"

    snapshot_id: Mapped[int] = mapped_column(
        ForeignKey("synergy_snapshot.id", ondelete="CASCADE"), primary_key=True
    )
    number: Mapped[int] = mapped_column(Integer, primary_key=True)
    payload: Mapped[bytes] = mapped_column(LargeBinary)


class PracticeValidation(Base):
    """A reviewer's validation of a published practice as gute Praxis (or not yet), with a
    mark and a note per rubric criterion and a written justification. The newest one counts."""

    __tablename__ = "practice_validation"
    __table_args__ = (
        CheckConstraint("verdict IN ('validated','not_validated')", name="verdict"),
        Index("ix_practice_validation_practice", "practice_id", "validated_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    practice_id: Mapped[str] = mapped_column(String(36))  # the lineage id
    revision_id: Mapped[int] = mapped_column(ForeignKey("revision.id"))  # the version judged
    municipality_key: Mapped[str] = mapped_column(ForeignKey("municipality.key"), index=True)
    rubric_version: Mapped[str] = mapped_column(String(20))
    #: {criterion code: {"mark": 0..3, "note": str}}
    marks: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    justification: Mapped[str] = mapped_column(Text)
    verdict: Mapped[str] = mapped_column(String(20))
    validated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    validated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class PeerReview(Base):
    """A peer review of one practice (host municipality) with invited peer municipalities.
    Open until the reviewer writes the synthesis; then it is published with the practice."""

    __tablename__ = "peer_review"
    __table_args__ = (CheckConstraint("status IN ('open','published')", name="status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    practice_id: Mapped[str] = mapped_column(String(36), index=True)  # the lineage id
    revision_id: Mapped[int] = mapped_column(ForeignKey("revision.id"))  # the version reviewed
    municipality_key: Mapped[str] = mapped_column(ForeignKey("municipality.key"), index=True)
    status: Mapped[str] = mapped_column(String(12), default="open")
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    synthesis: Mapped[str | None] = mapped_column(Text)  # Markdown
    synthesis_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    invitations: Mapped[list[PeerReviewInvitation]] = relationship(
        back_populates="peer_review",
        cascade="all, delete-orphan",
        order_by="PeerReviewInvitation.municipality_key",
    )
    comments: Mapped[list[PeerReviewComment]] = relationship(
        back_populates="peer_review",
        cascade="all, delete-orphan",
        order_by="PeerReviewComment.municipality_key",
    )

    @property
    def invited_keys(self) -> list[str]:
        """The register keys of the invited peer municipalities."""
        return [i.municipality_key for i in self.invitations]


class PeerReviewInvitation(Base):
    """A peer municipality invited to a peer review: its reporters may answer."""

    __tablename__ = "peer_review_invitation"

    peer_review_id: Mapped[int] = mapped_column(
        ForeignKey("peer_review.id", ondelete="CASCADE"), primary_key=True
    )
    municipality_key: Mapped[str] = mapped_column(ForeignKey("municipality.key"), primary_key=True)
    invited_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    peer_review: Mapped[PeerReview] = relationship(back_populates="invitations")


class PeerReviewComment(Base):
    """An invited municipality's answers to the three questions (one per municipality;
    its reporters may revise it until the synthesis is written)."""

    __tablename__ = "peer_review_comment"
    __table_args__ = (
        UniqueConstraint("peer_review_id", "municipality_key", name="uq_peer_review_comment"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    peer_review_id: Mapped[int] = mapped_column(
        ForeignKey("peer_review.id", ondelete="CASCADE"), index=True
    )
    municipality_key: Mapped[str] = mapped_column(ForeignKey("municipality.key"))
    effective: Mapped[str] = mapped_column(Text)
    objectives: Mapped[str] = mapped_column(Text)
    transfer: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    peer_review: Mapped[PeerReview] = relationship(back_populates="comments")
