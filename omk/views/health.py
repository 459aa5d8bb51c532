"""/healthz: the state of the database and the search index for load balancers and monitoring."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify
from sqlalchemy import text

from omk.extensions import db
from omk.policy import Action, permission
from omk.search import index_status

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@permission(Action.PUBLIC)
def healthz() -> tuple[Response, int]:
    """200 ``ok`` or ``degraded`` (search unavailable, pages still serve); 503 without database."""
    try:
        db.session.execute(text("SELECT 1"))
        database = "ok"
    except Exception as exc:
        db.session.rollback()
        database = f"unavailable: {type(exc).__name__}"
    search = index_status()
    if database != "ok":
        status, code = "unavailable", 503
    elif search != "ok":
        status, code = "degraded", 200
    else:
        status, code = "ok", 200
    return jsonify({"status": status, "database": database, "search": search}), code
