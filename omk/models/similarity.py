"""Stored embeddings of published practice versions and the stored similar practices.

Both are derived data, written only by the outbox consumer ``similarity`` (and ``omk similar
sync|rebuild``), never during a request: ``omk/services/similarity.py``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from omk.extensions import Base
from omk.models.types import UTCDateTime, utcnow


class PracticeVector(Base):
    """The embedding of one published version of a practice (lineage id, revision id)."""

    __tablename__ = "practice_vector"
    #: Every hybrid search asks for the count and newest row of the model's vectors (has the
    #: store changed?): an index-only answer instead of a scan of every stored vector.
    __table_args__ = (Index("ix_practice_vector_model_created_at", "model", "created_at"),)

    practice_id: Mapped[str] = mapped_column(String(36), primary_key=True)  # the lineage id
    revision_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    model: Mapped[str] = mapped_column(String(60))  # omk.search.embeddings.MODEL
    text_hash: Mapped[str] = mapped_column(String(16))  # of the embedded text
    vector: Mapped[bytes] = mapped_column(LargeBinary)  # little-endian float32
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SimilarPractice(Base):
    """One stored neighbour of a practice (lineage): a practice of another municipality."""

    __tablename__ = "similar_practice"

    practice_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    other_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    rank: Mapped[int] = mapped_column(Integer)
    score: Mapped[float] = mapped_column(Float)
    terms: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: The explanation's parts: [[message id, {parameters}], …] (translated when shown).
    reasons: Mapped[list[Any]] = mapped_column(JSON, default=list)
    method: Mapped[str] = mapped_column(String(20))  # "hybrid" or "lexical"
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class PracticePassageVector(Base):
    """The embedding of one passage of a published version's full text (its description and
    outcomes in chunks of about 150 words, each after the title), for search by meaning.

    Derived data, written only by the outbox consumer ``passages`` (``omk.search.passages``),
    never during a request."""

    __tablename__ = "practice_passage_vector"
    __table_args__ = (Index("ix_practice_passage_vector_model_created_at", "model", "created_at"),)

    practice_id: Mapped[str] = mapped_column(String(36), primary_key=True)  # the lineage id
    revision_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chunk: Mapped[int] = mapped_column(Integer, primary_key=True)  # 0, 1, … in text order
    model: Mapped[str] = mapped_column(String(60))  # omk.search.embeddings.MODEL
    text_hash: Mapped[str] = mapped_column(String(16))  # of all the version's passages
    vector: Mapped[bytes] = mapped_column(LargeBinary)  # little-endian float32
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
