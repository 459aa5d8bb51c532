"""The comparison's stored figures: one row per published report and catalogue indicator.

Derived data, written only by the outbox consumer ``compare`` (and ``omk compare sync|rebuild``),
never during a request: ``omk/services/compare/store.py``. A comparison reads these rows instead
of every published revision's values, and falls back to the revisions whenever the store is
behind the outbox or was built for another indicator catalogue.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from omk.extensions import Base
from omk.models.types import UTCDateTime, utcnow


class PublishedFigure(Base):
    """One catalogue indicator of a report's published revision, with its denominators.

    The key leads with the indicator, so a comparison of one indicator over all cycles reads
    one contiguous range (SQLite stores the table in key order: WITHOUT ROWID)."""

    __tablename__ = "published_figure"
    __table_args__ = (
        Index("ix_published_figure_report_id", "report_id"),
        {"sqlite_with_rowid": False},
    )

    code: Mapped[str] = mapped_column(String(80), primary_key=True)
    cycle_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    municipality_key: Mapped[str] = mapped_column(String(9), primary_key=True)
    report_id: Mapped[int] = mapped_column(Integer)
    revision_id: Mapped[int] = mapped_column(Integer)
    #: The value as reported (None: not given in the published revision).
    raw: Mapped[float | None] = mapped_column(Float)
    #: The population the per-inhabitant bases divide by: the one stamped on the revision (the
    #: register's current one for revisions published before stamping existed).
    population: Mapped[int | None] = mapped_column(Integer)
    #: The persons allocated in the same revision (the per-100-allocated bases divide by it).
    allocated: Mapped[float | None] = mapped_column(Float)
    #: The value on the indicator's basis (the raw value without one); None when missing or
    #: without denominator (omk.compare.bases.normalise, computed in the same floating point).
    value: Mapped[float | None] = mapped_column(Float)


class PublishedFigureState(Base):
    """What the stored figures were built for: the indicator catalogue (a digest of its codes
    and their bases).
    No row: never built (the consumer's first run rebuilds everything)."""

    __tablename__ = "published_figure_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    catalogue: Mapped[str] = mapped_column(String(64))
    built_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
