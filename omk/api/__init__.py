"""The JSON API under /api/v1: bearer tokens, pydantic schemas, a generated OpenAPI document."""

from __future__ import annotations

from flask import Blueprint, g, request

from omk.errors import Unauthenticated
from omk.extensions import csrf

bp = Blueprint("api", __name__, url_prefix="/api/v1")
# The API authenticates by bearer token only and never by cookie, so CSRF cannot apply.
csrf.exempt(bp)


@bp.before_app_request
def authenticate_bearer() -> None:
    """Resolve ``Authorization: Bearer <token>`` on API paths; an invalid token is a 401.

    Registered on the app (before the policy's route check) so the check sees the token's user.
    The API ignores browser sessions: no ambient authority, hence no CSRF exposure.
    """
    from omk.services.accounts import user_for_token

    # Set on every request: in tests several requests may share one app context (and ``g``).
    g.api_request = request.path.startswith(bp.url_prefix or "/api/v1")
    g.api_user = None
    if not g.api_request:
        return
    header = request.headers.get("Authorization", "")
    if not header:
        return
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("Erwartet wird die Kopfzeile 'Authorization: Bearer <Token>'.")
    user = user_for_token(token.strip())
    if user is None:
        raise Unauthenticated("Das Token ist ungültig, abgelaufen oder widerrufen.")
    g.api_user = user


from omk.api import (  # noqa: E402,F401 - routes register on import
    compare,
    coverage,
    docs,
    municipalities,
    reports,
    search,
    synergies,
    synthesis,
)
