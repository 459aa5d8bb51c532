"""OMK – the Open-Method-of-Coordination knowledge base for municipal integration."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import Flask, g, has_request_context, request, session
from markupsafe import Markup
from sqlalchemy import event
from sqlalchemy.engine import Engine

from omk import config as config_module

#: Times are shown in German time (stored in UTC).
TIMEZONE = "Europe/Berlin"

__version__ = "0.1.0"


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    """Build the application: settings, extensions, content, blueprints, errors, CLI."""
    settings = config_module.load(overrides)
    instance_path = settings["INSTANCE_PATH"] or None
    app = Flask(__name__, instance_path=instance_path, instance_relative_config=False)
    app.config.update(settings)

    from omk.security import production_problems

    problems = production_problems(app.config)
    if problems:
        raise SystemExit(
            "OMK startet nicht mit dieser Konfiguration:\n  - " + "\n  - ".join(problems)
        )

    if not app.config["DEBUG"] and not app.config["TESTING"]:
        from omk.config import Defaults

        if app.config["BASE_URL"].rstrip("/") == Defaults.BASE_URL:
            logging.getLogger("omk").warning(
                "OMK_BASE_URL ist nicht gesetzt: Links in E-Mails zeigen auf %s.",
                Defaults.BASE_URL,
            )

    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if not app.config["DATABASE_URL"]:
        app.config["DATABASE_URL"] = f"sqlite:///{Path(app.instance_path) / 'omk.sqlite3'}"
    if not app.config["SEARCH_INDEX"]:
        app.config["SEARCH_INDEX"] = str(Path(app.instance_path) / "search-index")
    app.config["SQLALCHEMY_DATABASE_URI"] = app.config["DATABASE_URL"]
    app.config["LANGUAGES"] = [x.strip() for x in str(app.config["LANGUAGES"]).split(",")]

    if app.config["PROXY_COUNT"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        n = app.config["PROXY_COUNT"]
        # wrapping wsgi_app is how Flask documents middleware
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore[method-assign]

    logging.basicConfig(level=app.config["LOG_LEVEL"])
    app.logger.setLevel(app.config["LOG_LEVEL"])

    _load_content(app)
    _init_extensions(app)
    _register_blueprints(app)

    from omk import assets, policy
    from omk.errors import register_error_handlers
    from omk.security import base_headers, install_headers

    register_error_handlers(app)
    install_headers(app)
    assets.install(app, base_headers(app.config))
    policy.install(app)
    _register_template_helpers(app)

    from omk.cli import register_commands

    register_commands(app)

    from omk.search import warm

    if warm.enabled(app):
        warm.warm_up(app)
    return app


def _load_content(app: Flask) -> None:
    from omk.content import ContentError, load_content
    from omk.paths import CONTENT_DIR as DEFAULT_CONTENT_DIR

    root = Path(app.config["CONTENT_DIR"]) if app.config["CONTENT_DIR"] else DEFAULT_CONTENT_DIR
    try:
        app.extensions["omk_content"] = load_content(root)
    except ContentError as exc:
        raise SystemExit(f"Inhalte ungültig – {exc}") from exc


def _init_extensions(app: Flask) -> None:
    from omk import messages
    from omk.extensions import babel, csrf, db, login_manager, migrate
    from omk.paths import MIGRATIONS_DIR

    db.init_app(app)
    migrate.init_app(
        app,
        db,
        directory=str(MIGRATIONS_DIR),
        render_as_batch=True,  # SQLite alters tables by copying them
        compare_type=True,
    )
    csrf.init_app(app)
    babel.init_app(
        app,
        locale_selector=_select_locale,
        default_locale="de",
        default_timezone=TIMEZONE,  # format_datetime shows German time, never UTC
    )
    messages.install(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Bitte melden Sie sich an, um diese Seite zu sehen."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"

    @login_manager.user_loader  # type: ignore[untyped-decorator]  # Flask-Login has no hints
    def load_user(token: str) -> Any:
        from omk.services.accounts import load_session

        return load_session(token)

    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            _configure_sqlite(db.engine)


def _configure_sqlite(engine: Engine) -> None:
    """WAL, a busy timeout, foreign keys, and BEGIN IMMEDIATE for units of work."""
    from omk.services.transaction import WRITE_OPTION

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not pysqlite, decide when a transaction begins.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()
        # Unicode-aware lower() for case-insensitive name search (SQLite's folds ASCII only).
        dbapi_connection.create_function("omk_lower", 1, _lower, deterministic=True)

    @event.listens_for(engine, "begin")
    def on_begin(conn: Any) -> None:
        if conn.get_execution_options().get(WRITE_OPTION):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN")


def _lower(value: str | None) -> str | None:
    return value.lower() if value is not None else None


def _select_locale() -> str:
    from flask import current_app
    from flask_login import current_user

    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # e-mails from the command line
        return str(languages[0])
    chosen = session.get("lang")
    if chosen in languages:
        return str(chosen)
    user_locale = getattr(current_user, "locale", None)
    if user_locale in languages:
        return str(user_locale)
    return str(request.accept_languages.best_match(languages) or languages[0])


def _register_blueprints(app: Flask) -> None:
    from omk.api import bp as api_bp
    from omk.views import register_views

    register_views(app)
    app.register_blueprint(api_bp)
    from omk.search import service as search_service

    search_service.register(app)
    from omk.services import similarity as similarity_service

    similarity_service.register(app)
    from omk.services.compare import store as compare_store

    compare_store.register()
    from omk.synergies import store as synergy_store

    synergy_store.register()


def _register_template_helpers(app: Flask) -> None:
    from flask_babel import get_locale

    from omk import markdown, numbers, wording
    from omk.policy import Action, can
    from omk.views import fragments
    from omk.views.helpers import indicator_label, measured_in, unit_label

    fragments.install(app)  # main_nav(), page_footer()

    def content() -> Any:
        return app.extensions["omk_content"]

    @app.context_processor
    def inject() -> dict[str, Any]:
        from flask_login import current_user

        user = current_user if has_request_context() else None
        return {
            "content": content(),
            "can": lambda action, target=None: can(user, Action(action), target),
            "current_locale": str(get_locale() or "de"),
            "attribution": _RegisterAttribution(),
        }

    from flask_babel import format_date, format_datetime

    from omk.models.accounts import ROLE_LABELS, Role

    app.jinja_env.globals["format_date"] = format_date
    app.jinja_env.globals["format_datetime"] = format_datetime
    app.jinja_env.globals["role_label"] = lambda role: ROLE_LABELS.get(Role(role), role)

    def label(list_name: str, code: str) -> str:
        return str(content().taxonomy.label(list_name, code, str(get_locale() or "de")))

    app.jinja_env.globals["label"] = label

    # globals, not the context's ``current_locale``: imported macros have them too
    app.jinja_env.globals["indicator_label"] = indicator_label
    app.jinja_env.globals["unit_label"] = unit_label
    app.jinja_env.globals["measured_in"] = measured_in

    def csrf_input(form: Any) -> Markup:
        """A form's CSRF field without an id: a page with several forms (one per synergy
        suggestion) would repeat ``id="csrf_token"``; nothing where CSRF is off (tests)."""
        field = getattr(form, "csrf_token", None)
        if field is None:
            return Markup("")
        rendered: Markup = field(id=False)  # WTForms renders (and escapes) it
        return rendered

    app.jinja_env.globals["csrf_input"] = csrf_input
    app.jinja_env.filters["markdown"] = markdown.render
    app.jinja_env.filters["number"] = _format_number
    app.jinja_env.filters["field_number"] = numbers.format_field
    app.jinja_env.filters["change"] = numbers.format_change
    app.jinja_env.globals["column_digits"] = numbers.column_digits
    app.jinja_env.globals["value_digits"] = numbers.value_digits
    app.jinja_env.filters["coordinates"] = _format_coordinates
    app.jinja_env.filters["display_name"] = _display_name
    app.jinja_env.filters["month"] = _format_month
    app.jinja_env.filters["local_time"] = local_time
    app.jinja_env.filters["amount"] = _format_amount
    app.jinja_env.filters["quoted"] = lambda text: wording.quoted(
        str(text), str(get_locale() or "de")
    )
    app.jinja_env.globals["request_id"] = lambda: g.get("request_id", "")


class _RegisterAttribution:
    """The register's attribution with the Gebietsstand of the newest import, looked up only
    when a page shows it (once per request); without a recorded date, without it."""

    BASE = "© Statistisches Bundesamt (Destatis), Gemeindeverzeichnis"

    def __str__(self) -> str:
        if "register_attribution" not in g:
            from sqlalchemy.exc import SQLAlchemyError

            from omk.services import register

            try:
                stand = register.reference_date()
            except SQLAlchemyError:  # an error page while the database is away
                stand = None
            g.register_attribution = (
                f"{self.BASE}, Gebietsstand {stand:%d.%m.%Y}" if stand else self.BASE
            )
        return str(g.register_attribution)

    def __html__(self) -> str:
        from markupsafe import escape

        return str(escape(str(self)))


def _display_name(entry: Any, names: Any = None) -> str:
    """The name shown to people for a register entry (``m|display_name``): abbreviations
    spelled out, the level or Land added where two entries would read the same. ``names``
    is an optional mapping key → DisplayName from ``register.display_names`` for lists."""
    from flask_babel import gettext

    from omk.services import register

    if entry is None:
        return ""
    found = names.get(entry.key) if names is not None else None
    if found is None:
        cache = g.setdefault("display_names", {})
        found = cache.get(entry.key)
        if found is None:
            found = cache[entry.key] = register.display_name(entry)
    return str(found.render(gettext))


def local_time(value: datetime | None) -> datetime | None:
    """A stored (UTC) timestamp in German time, Europe/Berlin: ``x.created_at|local_time``.
    ``format_datetime`` converts by itself; this is for anything else that shows a time."""
    from zoneinfo import ZoneInfo

    if value is None:
        return None
    if value.tzinfo is None:  # naive timestamps are stored in UTC
        value = value.replace(tzinfo=UTC)
    return value.astimezone(ZoneInfo(TIMEZONE))


def _format_month(value: str | None) -> str:
    """A practice date of the format (``YYYY`` or ``YYYY-MM``) as people write it: "Mai 2019"."""
    from datetime import date

    from flask_babel import format_date

    if not value:
        return ""
    year, _, month = value.partition("-")
    if not (year.isdigit() and (not month or (month.isdigit() and 1 <= int(month) <= 12))):
        return value
    return format_date(date(int(year), int(month), 1), "MMMM y") if month else year


def _format_amount(value: Any, money: bool = False) -> str:
    """A reported number with its decimals kept and thousands grouped ("5.400.000,5"; money
    "5.400.000,50"); ``|number`` rounds, for statistics."""
    from omk.views.changes import decimal

    if value is None or value == "":
        return "–"
    return decimal(value, money=money)


def _format_coordinates(lat: float, lon: float) -> str:
    """A point as the reader's language writes it ("51,45000° N, 7,01000° O"; in English
    "51.45000° N, 7.01000° E"), south and west for negative values."""
    from flask_babel import gettext as _

    lat_text, lon_text = _format_number(abs(lat), 5), _format_number(abs(lon), 5)
    north = (
        _("%(degrees)s° N", degrees=lat_text) if lat >= 0 else _("%(degrees)s° S", degrees=lat_text)
    )
    east = (
        _("%(degrees)s° O", degrees=lon_text) if lon >= 0 else _("%(degrees)s° W", degrees=lon_text)
    )
    return f"{north}, {east}"


def _format_number(value: Any, digits: int = 0) -> str:
    """German number formatting (1.234,5) for templates."""
    from omk.numbers import format_decimal

    if value is None or value == "":
        return "–"
    if digits:
        return format_decimal(value, f"#,##0.{'0' * digits}")
    return format_decimal(value, "#,##0")
