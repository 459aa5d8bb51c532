"""The PostgreSQL search backend's tables (``OMK_SEARCH_BACKEND=postgres``).

Derived data, written only by the outbox consumer ``search`` (and ``omk search sync|reindex``)
through :mod:`omk.search.pg_backend`: one row per published version of a practice, its terms
computed by the Python German analysis (``omk/search/analysis.py``) and stored as a
``tsvector`` (no text-search configuration applied: the terms are stored as given), with a GIN
index. On SQLite the tables exist too (the schema stays the same on both databases) but stay
empty: the postgres backend refuses to start on SQLite, and the GIN index is a plain index
there.
"""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Boolean, Identity, Index, Integer, String, Text
from sqlalchemy.dialects.postgresql import ARRAY, TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from omk.extensions import Base

#: A list of strings: text[] on PostgreSQL, JSON on SQLite (unused there).
StringList = JSON().with_variant(ARRAY(Text()), "postgresql")
#: The analysed terms: tsvector on PostgreSQL, text on SQLite (unused there).
TermVector = Text().with_variant(TSVECTOR(), "postgresql")


class SearchDocument(Base):
    """One published version of a practice as the postgres backend matches it."""

    __tablename__ = "search_document"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)  # "<lineage>@<cycle>"
    practice_id: Mapped[str] = mapped_column(String(36), index=True)
    version: Mapped[str] = mapped_column(String(20))  # the cycle of this version
    latest: Mapped[bool] = mapped_column(Boolean)  # the newest published version
    revision_id: Mapped[int] = mapped_column(Integer)
    stamp: Mapped[str] = mapped_column(String(16))  # PracticeRecord.stamp (for verify)
    period_end: Mapped[int] = mapped_column(Integer)  # yyyymmdd: sort by newest
    #: "<facet>=<value>" for every facet value of the record (FACETS).
    facets: Mapped[list[str]] = mapped_column(StringList)
    #: Folded surface words (for "Meinten Sie …?", counted in search_word).
    words: Mapped[list[str]] = mapped_column(StringList)
    #: Terms of title (weight A), summary (B), body (C), actors (D), fields apart by a gap.
    terms: Mapped[str] = mapped_column(TermVector)
    #: A number per row (identity; never reused within the table, rows are never updated):
    #: the key of the row's facet values in each server's facet matrix (``pg_facets``).
    num: Mapped[int] = mapped_column(Integer, Identity())
    #: The terms of title and summary only (weights A, B: a prefix of each lexeme's positions
    #: in ``terms``) and the number of positions of ``terms``: bounds of ``ts_rank``.
    head: Mapped[str] = mapped_column(TermVector)
    length: Mapped[int] = mapped_column(Integer)
    #: Each lexeme found only after the title and summary, at least twice, with up to four
    #: positions (``pg_backend.document_vectors``): its exact share of ``ts_rank`` below four.
    tail: Mapped[str] = mapped_column(TermVector)

    __table_args__ = (
        Index("ix_search_document_terms", "terms", postgresql_using="gin"),
        Index("ix_search_document_latest_version", "latest", "version"),
        #: the rows added since a server's posting cache last looked (``pg_postings``)
        Index("ix_search_document_num", "num"),
    )


class SearchGeneration(Base):
    """One row (``id`` 1): a counter the search writer raises in the transaction of every
    change of ``search_document``, so that each server's posting cache (``pg_postings``)
    knows, in a query's own snapshot, whether rows were added or deleted since it looked."""

    __tablename__ = "search_generation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    generation: Mapped[int] = mapped_column(BigInteger, server_default="0")


class SearchWord(Base):
    """A folded surface word of the indexed documents and in how many it occurs."""

    __tablename__ = "search_word"

    word: Mapped[str] = mapped_column(String(100), primary_key=True)
    documents: Mapped[int] = mapped_column(Integer)
