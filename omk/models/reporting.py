"""Reporting cycles, reports, their revisions, indicator values, practices and reviews.

A report's working copy (the draft being edited) and its frozen revisions share the tables
``indicator_value``, ``practice`` and ``practice_actor``: rows with ``revision_id IS NULL``
are the working copy, rows with a ``revision_id`` belong to that immutable revision.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy import Enum as SAEnum
from sqlalchemy.orm import Mapped, mapped_column, relationship

from omk.extensions import Base
from omk.models.register import Municipality
from omk.models.types import UTCDateTime, utcnow


class ReportState(StrEnum):
    """The report's life (DOMAIN.md)."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    RETURNED = "returned"
    ACCEPTED = "accepted"


class CycleStatus(StrEnum):
    """Whether a cycle takes reports."""

    OPEN = "open"
    CLOSED = "closed"


def _enum_column(enum: type[StrEnum], length: int) -> SAEnum:
    """A column holding ``enum``'s values as plain text (VARCHAR, the schema as before; the
    table's CHECK constraint, where there is one, stays the database's guard); read back as
    enum members, which compare equal to their strings."""
    return SAEnum(
        enum,
        native_enum=False,
        create_constraint=False,
        length=length,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


STATE_LABELS = {
    ReportState.DRAFT: "Entwurf",
    ReportState.SUBMITTED: "Eingereicht",
    ReportState.RETURNED: "Zurückgegeben",
    ReportState.ACCEPTED: "Angenommen (veröffentlicht)",
}


class Cycle(Base):
    """A reporting cycle (Berichtsrunde) with objectives, a period, a deadline and regions."""

    __tablename__ = "cycle"
    __table_args__ = (
        CheckConstraint("status IN ('open','closed')", name="status"),
        CheckConstraint("period_start <= period_end", name="period"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    title: Mapped[str] = mapped_column(String(200), default="")
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    deadline: Mapped[date] = mapped_column(Date)
    objectives: Mapped[str] = mapped_column(Text, default="")  # Markdown
    template_version: Mapped[str] = mapped_column(String(20))
    status: Mapped[CycleStatus] = mapped_column(
        _enum_column(CycleStatus, 10), default=CycleStatus.OPEN
    )
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    regions: Mapped[list[CycleRegion]] = relationship(
        back_populates="cycle", cascade="all, delete-orphan", order_by="CycleRegion.prefix"
    )

    @property
    def prefixes(self) -> list[str]:
        """The AGS prefixes this cycle covers ('' covers all of Germany)."""
        return [r.prefix for r in self.regions]


class CycleRegion(Base):
    """One region (AGS prefix) a cycle covers."""

    __tablename__ = "cycle_region"

    cycle_id: Mapped[int] = mapped_column(
        ForeignKey("cycle.id", ondelete="CASCADE"), primary_key=True
    )
    prefix: Mapped[str] = mapped_column(String(9), primary_key=True)

    cycle: Mapped[Cycle] = relationship(back_populates="regions")


class Report(Base):
    """One municipality's report in one cycle: its working copy, state and revisions."""

    __tablename__ = "report"
    __table_args__ = (
        UniqueConstraint("cycle_id", "municipality_key", name="uq_report_cycle_municipality"),
        CheckConstraint("state IN ('draft','submitted','returned','accepted')", name="state"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycle.id"), index=True)
    municipality_key: Mapped[str] = mapped_column(ForeignKey("municipality.key"), index=True)
    state: Mapped[ReportState] = mapped_column(
        _enum_column(ReportState, 12), default=ReportState.DRAFT
    )
    template_version: Mapped[str] = mapped_column(String(20))
    # The edit check: raised by every save and transition; a stale value means someone else saved.
    edit_version: Mapped[int] = mapped_column(Integer, default=1)
    # Number of frozen revisions so far (the next submission freezes revision_count + 1).
    revision_count: Mapped[int] = mapped_column(Integer, default=0)
    # The accepted revision that staff read; stays while a correction is under way.
    published_revision_id: Mapped[int | None] = mapped_column(
        ForeignKey("revision.id", use_alter=True)
    )
    # True while an accepted report is reopened for a correction.
    is_correction: Mapped[bool] = mapped_column(Boolean, default=False)
    # True for demo reports whose indicator values are synthetic; every page showing them says so.
    has_synthetic_indicators: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    cycle: Mapped[Cycle] = relationship(lazy="joined")
    municipality: Mapped[Municipality] = relationship(lazy="joined")
    revisions: Mapped[list[Revision]] = relationship(
        back_populates="report",
        foreign_keys="Revision.report_id",
        order_by="Revision.number",
    )


class Revision(Base):
    """An immutable snapshot frozen by a submission, numbered from 1 per report."""

    __tablename__ = "revision"
    __table_args__ = (
        UniqueConstraint("report_id", "number", name="uq_revision_report_number"),
        CheckConstraint("outcome IS NULL OR outcome IN ('returned','accepted')", name="outcome"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("report.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    template_version: Mapped[str] = mapped_column(String(20))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    outcome: Mapped[str | None] = mapped_column(String(10))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    # The denominator a published revision's per-capita values use: the register's population
    # when it became published, and the register's reference date (Gebietsstand) it is from.
    # Set once (omk.services.publication.stamp_denominator); a later register import leaves
    # figures already published alone.
    population: Mapped[int | None] = mapped_column(Integer)
    population_as_of: Mapped[date | None] = mapped_column(Date)

    report: Mapped[Report] = relationship(back_populates="revisions", foreign_keys=[report_id])


class IndicatorValue(Base):
    """A reported indicator value, with the practices of the same report that explain it."""

    __tablename__ = "indicator_value"
    __table_args__ = (
        Index("ix_indicator_value_report_revision", "report_id", "revision_id"),
        # The comparison reads a published revision's wanted values from this index alone.
        Index("ix_indicator_value_revision_code", "revision_id", "code", "value"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("report.id", ondelete="CASCADE"))
    revision_id: Mapped[int | None] = mapped_column(
        ForeignKey("revision.id", ondelete="CASCADE"), index=True
    )
    code: Mapped[str] = mapped_column(String(80))
    value: Mapped[float] = mapped_column(Float)
    # Practice ids (UUIDs) of the same report that explain this value.
    practice_ids: Mapped[list[str]] = mapped_column(JSON, default=list)


class Practice(Base):
    """A practice (Maßnahme): what, where, how, by whom, for whom, results, transferability."""

    __tablename__ = "practice"
    __table_args__ = (
        Index("ix_practice_report_revision", "report_id", "revision_id"),
        CheckConstraint("status IS NULL OR status IN ('planned','active','ended')", name="status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The practice's id in the exchange format (UUID); kept across cycles: its lineage.
    uuid: Mapped[str] = mapped_column(String(36), index=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("report.id", ondelete="CASCADE"))
    revision_id: Mapped[int | None] = mapped_column(
        ForeignKey("revision.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[str] = mapped_column(String(300))
    criterion: Mapped[str] = mapped_column(String(40))
    fields: Mapped[list[str]] = mapped_column(JSON, default=list)
    recommendations: Mapped[list[str]] = mapped_column(JSON, default=list)
    summary: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text)  # Markdown
    site: Mapped[str | None] = mapped_column(String(300))
    target_groups: Mapped[list[str]] = mapped_column(JSON, default=list)
    started: Mapped[str | None] = mapped_column(String(7))
    ended: Mapped[str | None] = mapped_column(String(7))
    status: Mapped[str | None] = mapped_column(String(10))
    budget_eur: Mapped[float | None] = mapped_column(Float)
    staff_fte: Mapped[float | None] = mapped_column(Float)
    funding: Mapped[str | None] = mapped_column(String(300))
    outcomes: Mapped[str | None] = mapped_column(Text)  # Markdown
    transferability: Mapped[str | None] = mapped_column(Text)  # Markdown
    contact: Mapped[str | None] = mapped_column(String(300))
    sources: Mapped[list[str]] = mapped_column(JSON, default=list)
    adopted_from_practice: Mapped[str | None] = mapped_column(String(36))
    adopted_from_municipality: Mapped[str | None] = mapped_column(String(8))
    # Fields of the exchange format this version does not model, kept verbatim.
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    actors: Mapped[list[PracticeActor]] = relationship(
        back_populates="practice",
        cascade="all, delete-orphan",
        order_by="PracticeActor.position",
    )


class PracticeActor(Base):
    """Who carries a practice: lead actor and partners, each with an actor type."""

    __tablename__ = "practice_actor"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    practice_id: Mapped[int] = mapped_column(
        ForeignKey("practice.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str] = mapped_column(String(300))
    type: Mapped[str] = mapped_column(String(40))
    is_lead: Mapped[bool] = mapped_column(Boolean, default=False)

    practice: Mapped[Practice] = relationship(back_populates="actors")


class ReviewComment(Base):
    """A reviewer's comment on one field of a returned revision (a path into the document)."""

    __tablename__ = "review_comment"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("report.id", ondelete="CASCADE"), index=True)
    revision_id: Mapped[int] = mapped_column(ForeignKey("revision.id", ondelete="CASCADE"))
    # A path into the exchange document: "indicators.<code>", "practices[<id>].<field>",
    # "practices[<id>].actors[<n>].name", or "report" for the report as a whole.
    field: Mapped[str] = mapped_column(String(300))
    text: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # The reporter's answer, optional.
    reply: Mapped[str | None] = mapped_column(Text)
    replied_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ReviewEvent(Base):
    """One step in a report's history, shown to its municipality and reviewers."""

    __tablename__ = "review_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("report.id", ondelete="CASCADE"), index=True)
    revision_id: Mapped[int | None] = mapped_column(ForeignKey("revision.id", ondelete="CASCADE"))
    action: Mapped[str] = mapped_column(String(20))
    from_state: Mapped[str | None] = mapped_column(String(12))
    to_state: Mapped[str | None] = mapped_column(String(12))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    message: Mapped[str | None] = mapped_column(Text)
