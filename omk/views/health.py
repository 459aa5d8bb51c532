"""/healthz: the state of the database and the search index for load balancers and monitoring."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify
from sqlalchemy import text

from omk.extensions import db
from omk.policy import Action, permission
from omk.search import index_status
from omk.services import outbox

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@permission(Action.PUBLIC)
def healthz() -> tuple[Response, int]:
    """200 ``ok`` or ``degraded`` (search unavailable, pages still serve); 503 without database.
    With the database up it also reports how many published changes the search index has
    not applied yet (``search_outbox``), and the stored synergy suggestions
    (``synergies_outbox``: on a large installation cron's ``omk outbox drain`` applies them)."""
    try:
        db.session.execute(text("SELECT 1"))
        database = "ok"
    except Exception as exc:
        db.session.rollback()
        database = f"unavailable: {type(exc).__name__}"
    search = index_status()
    body: dict[str, object] = {"database": database, "search": search}
    if database == "ok":
        from omk.search import embeddings, service
        from omk.synergies import store

        reason = embeddings.unavailable_reason()
        # Similarity falls back to German TF-IDF alone when the model cannot load (no AVX2).
        body["embeddings"] = "ok" if reason is None else f"lexical only: {reason}"
        body["search_outbox"] = _lag(service.CONSUMER)
        body["synergies_outbox"] = _lag(store.CONSUMER)
    if database != "ok":
        status, code = "unavailable", 503
    elif search != "ok":
        status, code = "degraded", 200
    else:
        status, code = "ok", 200
    return jsonify({"status": status, **body}), code


def _lag(consumer: str) -> dict[str, object]:
    lag = outbox.lag(consumer)
    return {
        "pending": lag.pending,
        "oldest": lag.oldest_at.isoformat(timespec="seconds") if lag.oldest_at else None,
    }
