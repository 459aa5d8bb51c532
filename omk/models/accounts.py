"""Users, their server-side sessions, API tokens and login throttling counters."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from omk.extensions import Base
from omk.models.register import Municipality
from omk.models.types import UTCDateTime, utcnow


class Role(StrEnum):
    """The four roles of DOMAIN.md."""

    REPORTER = "reporter"  # staff of one municipality: edits its drafts, submits
    STAFF = "staff"  # reader anywhere: searches and reads published material
    REVIEWER = "reviewer"  # regional body, scoped to an AGS prefix
    ADMIN = "admin"  # the operator


ROLE_LABELS = {
    Role.REPORTER: "Berichterstattung (Kommune)",
    Role.STAFF: "Lesezugang (Fachkraft)",
    Role.REVIEWER: "Prüfung (Regionale Stelle)",
    Role.ADMIN: "Administration",
}


class User(Base):
    """An account. Reporters belong to one municipality, reviewers to a region (AGS prefix)."""

    __tablename__ = "user_account"
    __table_args__ = (
        CheckConstraint("role IN ('reporter','staff','reviewer','admin')", name="role"),
        CheckConstraint(
            "role != 'reporter' OR municipality_key IS NOT NULL", name="reporter_municipality"
        ),
        CheckConstraint("role != 'reviewer' OR scope IS NOT NULL", name="reviewer_scope"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    # None until an invited user has set a password.
    password_hash: Mapped[str | None] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))
    municipality_key: Mapped[str | None] = mapped_column(ForeignKey("municipality.key"), index=True)
    # AGS prefix of a reviewer's region: "05" (Land), "053" (RB), "05315" (Kreis).
    scope: Mapped[str | None] = mapped_column(String(9))
    locale: Mapped[str | None] = mapped_column(String(5))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Changes with every password change; e-mailed password links become void with it.
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The account that created this one (invited it); None: the command line, or unknown
    # (accounts older than this column). Reports edited by accounts a reviewer created must
    # be accepted by someone else (omk.services.accounts.check_not_own_invitee).
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )

    municipality: Mapped[Municipality | None] = relationship(lazy="joined")
    created_by: Mapped[User | None] = relationship(remote_side=[id], lazy="select")

    # Flask-Login protocol. The id Flask-Login keeps in the cookie is the server-side session
    # token (see UserSession), attached by omk.services.accounts when a session is loaded.
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str | None:
        token: str | None = self.__dict__.get("_session_token")
        return token

    def attach_session(self, token: str) -> None:
        """Bind this loaded user to one server-side session (for Flask-Login's get_id)."""
        self.__dict__["_session_token"] = token

    @property
    def display_name(self) -> str:
        """Name if given, else the e-mail address."""
        return self.name or self.email

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role}>"


class UserSession(Base):
    """A server-side login session; deleting it ends the session on every device that holds it."""

    __tablename__ = "user_session"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    # SHA-256 of the random token kept in the signed cookie; the token itself is never stored.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship(lazy="joined")


class ApiToken(Base):
    """A bearer token for the API, stored hashed, revocable and with an expiry."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The first characters of the token, shown in lists so users can tell tokens apart.
    prefix: Mapped[str] = mapped_column(String(12))
    label: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship(lazy="joined")


#: Stands for "every address" in an account's row and for "every account" in an address's row
#: of :class:`LoginThrottle` (never a real address, never a SHA-256 hex digest).
ANY = "*"


class LoginThrottle(Base):
    """Failed password checks counted for throttling, in the database so it holds across workers.

    One row per account and address, one per account over all addresses (``address`` is
    :data:`ANY`) and one per address over all accounts (``account_hash`` is :data:`ANY`);
    omk.services.throttle reads and writes them with atomic upserts only.
    """

    __tablename__ = "login_throttle"
    __table_args__ = (UniqueConstraint("account_hash", "address"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # SHA-256 of the lower-cased e-mail address typed, so no address lands in this table.
    account_hash: Mapped[str] = mapped_column(String(64))
    address: Mapped[str] = mapped_column(String(45))
    # Attempts counted in the current window (counted when reserved, before the password check;
    # a successful login takes its own back).
    failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    window_started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_failure_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    # No password is checked for this row's account/address before this time (None: no wait).
    next_allowed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # When the owner was last told by e-mail that the account is being guessed at.
    notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
