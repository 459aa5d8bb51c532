"""Response headers every page carries, and the production start-up refusal."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask, Response, abort, request
from flask_login import current_user

from omk.config import DEFAULT_SECRET_KEY

#: A strict policy from day one: no inline script or style anywhere.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def install_headers(app: Flask) -> None:
    """Add the security headers to every response, error pages and static files included;
    and hold url-encoded forms to the form limits (see :func:`install_request_limits`)."""
    install_request_limits(app)

    common = base_headers(app.config)

    @app.after_request
    def set_security_headers(response: Response) -> Response:
        headers = response.headers
        for name, value in common.items():
            headers[name] = value
        logged_in = bool(getattr(current_user, "is_authenticated", False))
        if logged_in or request.headers.get("Authorization") or request.path.startswith("/api/"):
            headers["Cache-Control"] = "no-store"
            headers["Pragma"] = "no-cache"
        elif "Cache-Control" not in headers and request.endpoint != "static":
            headers["Cache-Control"] = "no-cache"
        return response


def base_headers(config: Mapping[str, Any]) -> dict[str, str]:
    """The security headers of every response, pages and static files alike (static files
    served by WhiteNoise get them through omk.assets)."""
    headers = {
        "Content-Security-Policy": CONTENT_SECURITY_POLICY,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "strict-origin-when-cross-origin",
        "X-Frame-Options": "DENY",
        "Cross-Origin-Opener-Policy": "same-origin",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    }
    if not config["DEBUG"] and not config["TESTING"]:
        headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    return headers


def install_request_limits(app: Flask) -> None:
    """Refuse oversized bodies, and oversized url-encoded forms, with 413 before anything
    parses them.

    Werkzeug applies MAX_FORM_MEMORY_SIZE and MAX_FORM_PARTS to multipart forms only; a
    url-encoded body is parsed whole, so up to MAX_CONTENT_LENGTH of fields would be read.
    Such a form carries text only: it gets the text limit as its body limit, and at most
    MAX_FORM_PARTS fields. Runs first, before CSRF protection reads the form.
    """

    def limit_urlencoded_forms() -> None:
        length = request.content_length
        if length is not None and length > app.config["MAX_CONTENT_LENGTH"]:
            abort(413)  # also where the view would never read the body
        if request.is_json:
            # A JSON body is a report at most: the upload page's limit for report files,
            # refused before a byte of it is parsed (parsing costs ~40 ms per MB).
            limit = int(app.config["UPLOAD_MAX_BYTES"])
            if length is not None and length > limit:
                _discard_body(length)
                _refuse_too_large(limit)
            request.max_content_length = min(app.config["MAX_CONTENT_LENGTH"], limit)
            return
        if request.mimetype != "application/x-www-form-urlencoded":
            return
        request.max_content_length = min(
            app.config["MAX_CONTENT_LENGTH"], app.config["MAX_FORM_MEMORY_SIZE"]
        )
        body = request.get_data(cache=True)  # 413 when longer; parsing reuses the bytes
        if body.count(b"&") >= app.config["MAX_FORM_PARTS"]:
            abort(413)

    def refuse_nul() -> None:
        """No text may carry NUL: PostgreSQL refuses it (a 500), SQLite would store it.
        Refused with 400 and the names of the fields that carry it."""
        query = request.query_string.decode("latin-1")
        if "\x00" in query or "%00" in query:
            names = [k for k, v in request.args.items(multi=True) if "\x00" in k + v]
            _refuse_nul(names or ["query"])
        is_form = request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data")
        if is_form:
            names = [k for k, v in request.form.items(multi=True) if "\x00" in v]
            if names:
                _refuse_nul(names)

    app.before_request_funcs.setdefault(None, []).insert(0, refuse_nul)
    app.before_request_funcs.setdefault(None, []).insert(0, limit_urlencoded_forms)


def _discard_body(length: int) -> None:
    """Read and drop a body that will be refused (at most MAX_CONTENT_LENGTH, checked
    before): a client still sending it would otherwise wait for a server that no longer
    reads (a sync gunicorn worker answered the 413 of a 7 MB body only after the client's
    60 s timeout). Reading costs milliseconds; nothing is parsed or kept."""
    stream = request.environ["wsgi.input"]
    left = length
    while left > 0:
        chunk = stream.read(min(left, 64 * 1024))
        if not chunk:
            break
        left -= len(chunk)


def _refuse_too_large(limit: int) -> None:
    from omk.errors import FieldError, ValidationFailed

    megabytes = f"{limit / 1024 / 1024:.0f}"
    message = (
        f"Ein JSON-Inhalt darf höchstens {megabytes} MB groß sein (so groß wie eine "
        "Berichtsdatei beim Hochladen); dieser ist größer. Nichts wurde gespeichert."
    )
    exc = ValidationFailed([FieldError("body", message)], message)
    exc.status = 413
    raise exc


def _refuse_nul(names: list[str]) -> None:
    from omk.errors import FieldError, ValidationFailed

    message = "Enthält ein NUL-Zeichen (\\x00); das ist nicht erlaubt."
    exc = ValidationFailed([FieldError(name, message) for name in dict.fromkeys(names)])
    exc.status = 400
    raise exc


def production_problems(config: Mapping[str, Any]) -> list[str]:
    """What stops this configuration from running in production (empty: fine).

    Debug and testing may use the defaults; everything else must be set on purpose.
    """
    from omk.services.accounts import OWASP_MIN_MEMORY_COST, OWASP_MIN_TIME_COST

    if config.get("DEBUG") or config.get("TESTING"):
        return []
    problems = []
    key = config.get("SECRET_KEY") or ""
    if key == DEFAULT_SECRET_KEY:
        problems.append(
            "OMK_SECRET_KEY ist nicht gesetzt. Setzen Sie einen zufälligen Schlüssel, z. B. "
            "OMK_SECRET_KEY=$(python -c 'import secrets; print(secrets.token_hex(32))')."
        )
    elif len(key) < 32:
        problems.append("OMK_SECRET_KEY ist zu kurz: mindestens 32 Zeichen.")
    if (
        config["ARGON2_TIME_COST"] < OWASP_MIN_TIME_COST
        or config["ARGON2_MEMORY_COST"] < OWASP_MIN_MEMORY_COST
    ):
        problems.append(
            "Der Passwort-Hash-Aufwand (OMK_ARGON2_TIME_COST, OMK_ARGON2_MEMORY_COST) liegt "
            f"unter dem OWASP-Minimum (t ≥ {OWASP_MIN_TIME_COST}, m ≥ {OWASP_MIN_MEMORY_COST} KiB)."
        )
    if not config.get("SESSION_COOKIE_SECURE"):
        problems.append(
            "OMK_SESSION_COOKIE_SECURE=false ist außerhalb des Entwicklungsmodus nicht erlaubt."
        )
    return problems
