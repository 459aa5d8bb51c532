"""Saved searches: a user follows a topic and sees what is new; each has an Atom feed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from omk.extensions import Base
from omk.models.types import UTCDateTime, utcnow


class SavedSearch(Base):
    """A search a user follows: the search page's query string, a name, when they last
    looked, and the hash of its feed token (the token itself is shown once)."""

    __tablename__ = "saved_search"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(120))
    query_string: Mapped[str] = mapped_column(String(2000))  # e.g. q=Sprachcafé&land=05
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    feed_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    feed_revoked: Mapped[bool] = mapped_column(Boolean, default=False)
