"""Synthesis reports (Syntheseberichte): one shared draft per cycle and region, and the
published versions, each frozen with the document and the texts it was published with.

A region is an AGS prefix: a Land (2 digits), a Regierungsbezirk (3), a Kreis (5), or ''
for all of Germany (the operator's). The generated document is the JSON of
:class:`omk.synthesis.SynthesisDocument`; the texts are Markdown (introduction, and a comment
per chapter id).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from omk.extensions import Base
from omk.models.reporting import Cycle
from omk.models.types import UTCDateTime, utcnow


class SynthesisDraft(Base):
    """The shared working copy of a cycle's synthesis for one region.

    ``edit_version`` is the edit check: every write raises it, and a write sent with an older
    value is refused (someone else changed the draft meanwhile). ``document`` is the report
    as generated on demand (None until someone generates it); the texts are the reviewers'.
    """

    __tablename__ = "synthesis_draft"
    __table_args__ = (UniqueConstraint("cycle_id", "region", name="uq_synthesis_draft"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycle.id"), index=True)
    region: Mapped[str] = mapped_column(String(9), default="")
    introduction: Mapped[str] = mapped_column(Text, default="")  # Markdown
    #: {chapter id: Markdown}
    comments: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    #: Whether the published version names municipalities (else counts only).
    names_shown: Mapped[bool] = mapped_column(Boolean, default=False)
    #: The generated document with names (what the region's reviewers see).
    document: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    #: The same document without names of municipalities in the participation chapter.
    document_counts_only: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    generated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    generated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    edit_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    cycle: Mapped[Cycle] = relationship()


class SynthesisVersion(Base):
    """A published synthesis: version 1, 2, … of a cycle and region, frozen as published.

    Later corrections of reports never change it; a new version is published from the draft
    and every version stays readable."""

    __tablename__ = "synthesis_version"
    __table_args__ = (
        UniqueConstraint("cycle_id", "region", "number", name="uq_synthesis_version"),
        CheckConstraint("number >= 1", name="number"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycle.id"), index=True)
    region: Mapped[str] = mapped_column(String(9), default="")
    number: Mapped[int] = mapped_column(Integer)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    introduction: Mapped[str] = mapped_column(Text, default="")
    comments: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    names_shown: Mapped[bool] = mapped_column(Boolean, default=False)
    generated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    published_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    cycle: Mapped[Cycle] = relationship()
