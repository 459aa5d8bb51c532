"""Every setting with its default and one line of why.

This is the only module that reads ``os.environ``: each setting ``NAME`` can be
overridden by the environment variable ``OMK_NAME``. Values are parsed by the
type of their default (bool, int, float, str).
"""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

#: The placeholder secret; the app refuses to start with it outside debug/testing.
DEFAULT_SECRET_KEY = "dev-only-insecure-change-me"  # noqa: S105 - detected and refused in production


class Defaults:
    """Defaults for every setting. Override with ``OMK_<NAME>`` environment variables."""

    # Signing key for sessions, CSRF tokens and e-mailed links. Must be set in production.
    SECRET_KEY = DEFAULT_SECRET_KEY
    # Debug mode; never in production.
    DEBUG = False
    TESTING = False
    # Where the embedded database, search index and outgoing mail live; default: Flask's instance/.
    INSTANCE_PATH = ""
    # SQLAlchemy URL; empty means SQLite in the instance folder (PostgreSQL: postgresql+psycopg://…).
    DATABASE_URL = ""
    # Whoosh index directory; empty means <instance>/search-index.
    SEARCH_INDEX = ""
    # Search engine: "whoosh" (an index folder on this server) or "postgres" (the table
    # search_document in the PostgreSQL database: several app servers share one search).
    SEARCH_BACKEND = "whoosh"
    # Memory for the Whoosh backend's decoded posting lists, per worker process (MB; 0 turns
    # the cache off): the lists of frequent terms are decoded once, not for every query.
    SEARCH_POSTINGS_CACHE_MB = 256
    # Embeddings for similar practices (omk/search/embeddings.py): "auto" uses the bundled
    # e5 model when it loads (AVX2), "off" ranks by German TF-IDF alone.
    EMBEDDINGS = "auto"
    # Load the search data (dictionary, synonyms, e5 model, stored vectors, index reader) when
    # the app starts, so no user waits about 5 s for the first search: "auto" (not in tests,
    # not for CLI commands other than omk run), "on" or "off" (omk/search/warm.py).
    WARM_UP = "auto"
    # Public base URL used in e-mails and the "Online:" line of published pages (links must
    # work outside a request). Only in debug mode, and only while it is left at this default,
    # do e-mailed page links (never password or invitation links) follow the request's host
    # instead. Links a response hands out (feed addresses, feed entries, the API's urls)
    # follow the request's host while it is left at this default (omk/links.py).
    BASE_URL = "http://127.0.0.1:5000"
    # Where the fingerprinted, compressed static files are written (omk/assets.py); empty
    # means <instance>/static-build. Written once per version of the files.
    STATIC_BUILD_DIR = ""

    # Password hashing: argon2id parameters (OWASP: m ≥ 19 MiB, t ≥ 2, p = 1).
    # Tests may lower them; production refuses anything below the OWASP minimum.
    ARGON2_TIME_COST = 2
    ARGON2_MEMORY_COST = 19456  # KiB
    ARGON2_PARALLELISM = 1
    # Minimum password length (NIST 800-63B / ASVS 6.2.1: at least 8, we ask for 12).
    PASSWORD_MIN_LENGTH = 12
    PASSWORD_MAX_LENGTH = 128

    # Login throttling (OWASP ASVS 5.0 V6.3): slows password guessing down, never locks anyone
    # out. Counted in the database, so it holds across workers and servers. Past a limit each
    # further password check waits twice as long as the one before (1 s, 2 s, 4 s … 15 min).
    # Failed logins of one account from one address before the waiting starts: a typo or two
    # of the owner never waits, a guesser from one address gets a few tries per hour.
    LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS = 5
    # Failed logins of one account from all addresses within the window before every address
    # waits (and the owner is e-mailed once): guessing from many addresses slows down too,
    # while the owner's own address is unaffected by everything below this.
    LOGIN_FAILURES_PER_ACCOUNT = 100
    # Failed logins from one address over all accounts within the window before that address
    # waits: one address trying a common password on many accounts slows down.
    LOGIN_FAILURES_PER_ADDRESS = 100
    # Minutes after which failures are forgotten: the per-account and per-address counts start
    # afresh after this window, an account and address's count after this long without a
    # failure.
    LOGIN_THROTTLE_WINDOW_MINUTES = 60

    # "Remember me" lasts days, not a year.
    REMEMBER_COOKIE_DAYS = 14
    # A session without "remember me" ends on the server after this many hours.
    SESSION_HOURS = 12
    # Lifetime of a form's CSRF token in seconds (a working day; a stale form asks to reload).
    WTF_CSRF_TIME_LIMIT = 8 * 3600
    # Lifetime of e-mailed password links (invitation, reset), in hours.
    PASSWORD_LINK_HOURS = 48
    # Default lifetime of API tokens, in days.
    API_TOKEN_DAYS = 365

    # Number of reverse proxies in front of the app whose X-Forwarded-For/-Proto/-Host headers
    # are trusted (0: none). Behind nginx set 1, or every client shares the proxy's address
    # (and its login throttle).
    PROXY_COUNT = 0
    # Cookies are Secure outside debug/testing; set False only behind plain-HTTP test setups.
    SESSION_COOKIE_SECURE = True

    # Outgoing mail: "smtp", "file" (one .eml per mail under <instance>/mail) or "log".
    MAIL_BACKEND = "file"
    MAIL_SERVER = "localhost"
    MAIL_PORT = 25
    MAIL_USE_TLS = False
    MAIL_USE_SSL = False
    MAIL_USERNAME = ""
    MAIL_PASSWORD = ""
    MAIL_DEFAULT_SENDER = "OMK <noreply@omk.invalid>"
    MAIL_TIMEOUT = 10

    # Upper bound of a request body (uploads of reports and workbooks included).
    MAX_CONTENT_LENGTH = 8 * 1024 * 1024
    # Largest report file (.xlsx workbook or omk-report/1 JSON) the upload page accepts.
    UPLOAD_MAX_BYTES = 4 * 1024 * 1024
    # WTForms field limits against oversized forms.
    MAX_FORM_PARTS = 2000
    MAX_FORM_MEMORY_SIZE = 2 * 1024 * 1024

    # Languages of the interface; the first is the default.
    LANGUAGES = "de,en"

    # A request computes stale synergy suggestions itself only when their last computation
    # took at most this many seconds; otherwise they are computed after the response or by
    # cron (omk outbox drain, omk synergies sync) and the stored ones are shown meanwhile.
    SYNERGY_INLINE_SECONDS = 0.5

    # In tests: fail any non-public request that succeeds without asking the policy.
    POLICY_AUDIT = False

    # Directory with taxonomy, templates, help pages, practices and the register extract; empty
    # means the one that ships with the code (omk/paths.py: the checkout's content/, else the
    # installed package's copy).
    CONTENT_DIR = ""

    # Log level of the application logger.
    LOG_LEVEL = "INFO"


def _coerce(raw: str, default: Any) -> Any:
    """Parse an environment string by the type of the default value."""
    if isinstance(default, bool):
        value = raw.strip().lower()
        if value in {"1", "true", "yes", "on"}:
            return True
        if value in {"0", "false", "no", "off", ""}:
            return False
        raise ValueError(f"expected a boolean (true/false), got {raw!r}")
    if isinstance(default, int):
        return int(raw)
    if isinstance(default, float):
        return float(raw)
    return raw


def load(overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Return the effective settings: defaults, then OMK_* environment, then ``overrides``."""
    settings: dict[str, Any] = {
        name: getattr(Defaults, name) for name in dir(Defaults) if name.isupper()
    }
    for name, default in list(settings.items()):
        raw = os.environ.get(f"OMK_{name}")
        if raw is not None:
            try:
                settings[name] = _coerce(raw, default)
            except ValueError as exc:
                raise SystemExit(f"Ungültige Einstellung OMK_{name}: {exc}") from exc
    if overrides:
        settings.update(overrides)
    if settings["EMBEDDINGS"] not in ("auto", "off"):
        raise SystemExit(f"Ungültige Einstellung OMK_EMBEDDINGS: {settings['EMBEDDINGS']!r}")
    if settings["WARM_UP"] not in ("auto", "on", "off"):
        raise SystemExit(f"Ungültige Einstellung OMK_WARM_UP: {settings['WARM_UP']!r}")
    settings["REMEMBER_COOKIE_DURATION"] = timedelta(days=settings["REMEMBER_COOKIE_DAYS"])
    settings["PERMANENT_SESSION_LIFETIME"] = timedelta(hours=settings["SESSION_HOURS"])
    settings["SESSION_COOKIE_HTTPONLY"] = True
    settings["SESSION_COOKIE_SAMESITE"] = "Lax"
    settings["REMEMBER_COOKIE_HTTPONLY"] = True
    settings["REMEMBER_COOKIE_SAMESITE"] = "Lax"
    if settings["DEBUG"] or settings["TESTING"]:
        # Plain http://127.0.0.1 in development and the test client cannot carry Secure cookies.
        settings["SESSION_COOKIE_SECURE"] = False
    settings["REMEMBER_COOKIE_SECURE"] = settings["SESSION_COOKIE_SECURE"]
    settings["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_pre_ping": True}
    return settings


def environment_value(name: str) -> str | None:
    """Read one OMK_* variable that is not a setting (used by the CLI for OMK_INSTANCE_PATH)."""
    return os.environ.get(f"OMK_{name}")
