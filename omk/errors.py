"""Domain errors, and the one place that maps them (and HTTP errors) to responses."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, Response, jsonify, render_template, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)


@dataclass
class FieldError:
    """One problem with one field: the field's path (as in the exchange format) and a message."""

    field: str
    message: str
    # Where the problem was found in an uploaded file (sheet/row), if anywhere.
    location: str | None = None

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"field": self.field, "message": self.message}
        if self.location:
            data["location"] = self.location
        return data


class OmkError(Exception):
    """Base of the domain errors; ``status`` is the HTTP status it maps to."""

    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(OmkError):
    """The record does not exist, or the user may not know it exists."""

    status = 404


class Forbidden(OmkError):
    """The policy denied the action."""

    status = 403


class Unauthenticated(OmkError):
    """No valid session or bearer token."""

    status = 401


class Conflict(OmkError):
    """The record changed meanwhile or is not in a state that allows the action."""

    status = 409


@dataclass
class ValidationFailed(OmkError):
    """Input was rejected; ``errors`` lists every problem found, not only the first."""

    errors: list[FieldError] = field(default_factory=list)
    message: str = ""
    status = 422

    def __post_init__(self) -> None:
        if not self.message:
            self.message = "Die Eingaben enthalten Fehler."
        super().__init__(self.message)


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.path == "/healthz"


def _error_response(status: int, message: str, extra: dict[str, Any] | None = None) -> Response:
    if _wants_json():
        body: dict[str, Any] = {"message": message, "status": status}
        body.update(extra or {})
        response = jsonify(body)
    else:
        response = Response(
            render_template("errors/error.html", status=status, message=message, **(extra or {})),
            mimetype="text/html",
        )
    response.status_code = status
    return response


GENERIC_MESSAGES = {
    400: "Die Anfrage war ungültig.",
    401: "Bitte melden Sie sich an.",
    403: "Sie haben keine Berechtigung für diese Seite oder Aktion.",
    404: "Die Seite oder der Datensatz wurde nicht gefunden.",
    405: "Diese Methode ist hier nicht erlaubt.",
    409: "Der Datensatz wurde inzwischen geändert.",
    413: "Die Anfrage ist zu groß.",
    422: "Die Eingaben enthalten Fehler.",
    429: "Zu viele Versuche. Bitte warten Sie etwas.",
    500: "Ein interner Fehler ist aufgetreten.",
    503: "Der Dienst ist vorübergehend nicht verfügbar.",
}


def register_error_handlers(app: Flask) -> None:
    """Map domain errors and HTTP errors to German pages (HTML) or JSON bodies (API)."""

    @app.errorhandler(OmkError)
    def handle_domain_error(exc: OmkError) -> Response:
        from flask import redirect, url_for

        from omk.extensions import db

        db.session.rollback()
        if isinstance(exc, Unauthenticated) and not _wants_json() and request.method == "GET":
            target = request.full_path if request.query_string else request.path
            return redirect(url_for("auth.login", next=target))  # type: ignore[return-value]  # werkzeug Response, served as Flask's
        extra: dict[str, Any] = {}
        if isinstance(exc, ValidationFailed):
            extra["errors"] = [e.as_dict() for e in exc.errors]
        # pages show a Message in the request's language; the API keeps the German text
        # (``_()`` of the plain text translates only what has no parameters, as before)
        message = str(exc.message) if _wants_json() else exc.message
        response = _error_response(exc.status, _(message), extra)
        if isinstance(exc, Unauthenticated) and _wants_json():
            response.headers["WWW-Authenticate"] = 'Bearer realm="omk"'
        return response

    @app.errorhandler(HTTPException)
    def handle_http_error(exc: HTTPException) -> Response:
        status = exc.code or 500
        if status == 400 and exc.description and "CSRF" in exc.description:
            message = _(
                "Das Formular ist abgelaufen oder ungültig. Bitte laden Sie die Seite neu "
                "und senden Sie es erneut."
            )
        else:
            message = _(GENERIC_MESSAGES.get(status, exc.name))
        response = _error_response(status, message)
        if status == 405 and isinstance(exc.get_response(), Response):
            allow = exc.get_response().headers.get("Allow")
            if allow:
                response.headers["Allow"] = allow
        return response

    @app.errorhandler(Exception)
    def handle_unexpected(exc: Exception) -> Response:
        from omk.extensions import db

        if isinstance(exc, HTTPException):  # pragma: no cover - handled above
            return handle_http_error(exc)
        correlation = uuid.uuid4().hex[:12]
        log.exception("unhandled error, correlation id %s", correlation)
        db.session.rollback()
        return _error_response(
            500,
            _("Ein interner Fehler ist aufgetreten (Fehlernummer %(id)s).", id=correlation),
            {"correlation_id": correlation},
        )
