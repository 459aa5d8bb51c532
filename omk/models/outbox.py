"""The outbox: every change to what is published, recorded in the transaction of the change.

Consumers (the search index first, synergies later) read it in order of ``id`` (the sequence
number) from their own cursor and apply each entry idempotently; nothing else feeds them.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, BigInteger, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from omk.extensions import Base
from omk.models.types import UTCDateTime, utcnow

#: A 64-bit sequence on PostgreSQL; SQLite's rowid (an INTEGER PRIMARY KEY) is 64-bit already.
Sequence = BigInteger().with_variant(Integer(), "sqlite")


class OutboxKind(StrEnum):
    """What changed."""

    #: A report's published revision changed (accepted, correction accepted, --publish import).
    REPORT_PUBLISHED = "report.published"
    #: A municipality's name, population, urbanisation or currency changed in the register.
    MUNICIPALITY_CHANGED = "municipality.changed"
    #: A published practice was validated (or not) as good practice: its ``validated`` flag.
    PRACTICE_VALIDATED = "practice.validated"


class OutboxEntry(Base):
    """One change to published material, in commit order."""

    __tablename__ = "outbox_entry"

    id: Mapped[int] = mapped_column(Sequence, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(40))
    report_id: Mapped[int | None] = mapped_column(Integer)
    revision_id: Mapped[int | None] = mapped_column(Integer)
    municipality_key: Mapped[str | None] = mapped_column(String(9))
    #: The practices concerned: those of the new published revision and of the one it replaced.
    practice_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class OutboxCursor(Base):
    """How far one consumer has applied the outbox (the id of the last entry applied)."""

    __tablename__ = "outbox_cursor"

    consumer: Mapped[str] = mapped_column(String(40), primary_key=True)
    position: Mapped[int] = mapped_column(Sequence, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
