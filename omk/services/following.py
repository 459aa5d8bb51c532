"""Following a topic: saved searches, what is new for them, and their Atom feeds.

A saved search is personal: only its owner sees, opens or deletes it (not even an admin).
Its feed URL carries a token of its own (per feed, read-only, revocable, shown once, stored
hashed); the feed shows what the owner could find with the search, and nothing once the
owner's account is deactivated.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlencode

from sqlalchemy import func, select

from omk.errors import FieldError, NotFound, ValidationFailed
from omk.extensions import db
from omk.messages import msg
from omk.models.accounts import User
from omk.models.following import SavedSearch
from omk.models.reporting import Practice, Report
from omk.models.types import utcnow
from omk.policy import Action, authorize, can
from omk.search import service
from omk.search.records import FACETS
from omk.services import audit
from omk.services.transaction import unit_of_work

MAX_PER_USER = 50
#: Parameters a saved search keeps (the search page's state minus paging).
KEPT = ("q", "sort", *FACETS.values())
#: How many results "new since you last looked" considers.
NEW_LIMIT = 1000
FEED_SIZE = 50


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def normalise_query(query_string: str) -> str:
    """The search state worth keeping, in a stable order; ValidationFailed when empty."""
    parsed = parse_qs(query_string[:4000], keep_blank_values=False)
    kept = [(k, v[:200]) for k in KEPT for v in parsed.get(k, [])[:20] if v.strip()]
    if not any(k != "sort" for k, _ in kept):
        raise ValidationFailed(
            [FieldError("query", "Eine leere Suche kann nicht gespeichert werden.")]
        )
    return urlencode(kept)


def arguments(saved: SavedSearch) -> dict[str, Any]:
    """The saved state as arguments of ``service.search``."""
    parsed = parse_qs(saved.query_string)
    params = {param: facet for facet, param in FACETS.items()}
    filters = {params[k]: v for k, v in parsed.items() if k in params and params[k] != "cycles"}
    return {
        "text": (parsed.get("q") or [""])[0],
        "filters": filters,
        "cycle": next(iter(parsed.get("cycle", [])), None),
    }


def mine(user: User) -> list[SavedSearch]:
    """The user's saved searches, newest first."""
    return list(
        db.session.scalars(
            select(SavedSearch)
            .where(SavedSearch.user_id == user.id)
            .order_by(SavedSearch.created_at.desc(), SavedSearch.id.desc())
        )
    )


def get(user: User, search_id: int) -> SavedSearch:
    """One of the user's saved searches; NotFound for anyone else's (never a hint it exists)."""
    saved = db.session.get(SavedSearch, search_id)
    if saved is None or saved.user_id != getattr(user, "id", None):
        raise NotFound("Diese gespeicherte Suche gibt es nicht.")
    authorize(Action.PRACTICE_READ, user=user)
    return saved


def save(user: User, name: str, query_string: str) -> SavedSearch:
    """Save the search state ``query_string`` under ``name``."""
    authorize(Action.PRACTICE_READ, user=user)
    name = " ".join(name.split())[:120]
    query = normalise_query(query_string)
    if not name:
        name = (parse_qs(query).get("q") or ["Suche"])[0][:120]
    with unit_of_work():
        count = db.session.scalar(
            select(func.count(SavedSearch.id)).where(SavedSearch.user_id == user.id)
        )
        if (count or 0) >= MAX_PER_USER:
            raise ValidationFailed(
                [
                    FieldError(
                        "name",
                        msg("Höchstens %(max)s gespeicherte Suchen je Konto.", max=MAX_PER_USER),
                    )
                ]
            )
        saved = SavedSearch(user_id=user.id, name=name, query_string=query, seen_at=utcnow())
        db.session.add(saved)
        db.session.flush()
        audit.record(user, "search.saved", saved)
    return saved


def delete(user: User, saved: SavedSearch) -> None:
    with unit_of_work():
        row = db.session.merge(saved)
        audit.record(user, "search.deleted", row)  # before the row is gone
        db.session.delete(row)


def mark_seen(user: User, saved: SavedSearch) -> None:
    """The user looked at the results now: nothing is new any more."""
    with unit_of_work():
        db.session.merge(saved).seen_at = utcnow()


def create_feed_token(user: User, saved: SavedSearch) -> str:
    """A new feed token (any earlier one stops working); shown once, stored hashed."""
    token = secrets.token_urlsafe(24)
    with unit_of_work():
        row = db.session.merge(saved)
        row.feed_token_hash, row.feed_revoked = _hash(token), False
        audit.record(user, "search.feed_created", row)
    return token


def revoke_feed(user: User, saved: SavedSearch) -> None:
    with unit_of_work():
        row = db.session.merge(saved)
        row.feed_token_hash, row.feed_revoked = None, True
        audit.record(user, "search.feed_revoked", row)


@dataclass
class Followed:
    """A saved search with the number of practices published since the user last looked."""

    saved: SavedSearch
    new: int


def _published_since(versions: list[tuple[str, int]], since: datetime) -> int:
    if not versions:
        return 0
    revision_ids = sorted({r for _, r in versions})
    rows = db.session.execute(
        select(Practice.uuid, Report.accepted_at)
        .join(Report, Practice.revision_id == Report.published_revision_id)
        .where(Practice.revision_id.in_(revision_ids))
    ).all()
    wanted = {p for p, _ in versions}
    return len({u for u, at in rows if u in wanted and at is not None and at > since})


def followed(user: User) -> list[Followed]:
    """The user's saved searches with what is new for each."""
    if not can(user, Action.PRACTICE_READ):
        return []
    out = []
    for saved in mine(user):
        versions = service.matching_versions(**arguments(saved), limit=NEW_LIMIT)
        out.append(Followed(saved, _published_since(versions, saved.seen_at)))
    return out


def feed(token: str) -> tuple[SavedSearch, service.Results]:
    """The saved search a feed token opens and its newest results; NotFound otherwise."""
    if not token or len(token) > 100:
        raise NotFound("Diesen Feed gibt es nicht.")
    saved = db.session.scalar(
        select(SavedSearch).where(SavedSearch.feed_token_hash == _hash(token))
    )
    owner = db.session.get(User, saved.user_id) if saved is not None else None
    if saved is None or saved.feed_revoked or owner is None or not owner.is_active:
        raise NotFound("Diesen Feed gibt es nicht.")
    authorize(Action.PRACTICE_READ, user=owner)
    results = service.search(**arguments(saved), sort="newest", per_page=FEED_SIZE)
    return saved, results
