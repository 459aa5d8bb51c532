"""Fixtures for browser tests: a live server, Chromium, and pages that watch what happens.

* ``live_server`` – the real app on a free loopback port (werkzeug ``make_server`` in a thread),
  a SQLite file database with the register sample, an admin and an Essen reporter, and the
  test-only XSS routes of :mod:`tests.browser.xss`.
* ``browser`` – Debian's Chromium (``/usr/bin/chromium``) through Playwright; the tests are
  skipped, with the reason, only when it is not installed.
* ``page`` – a fresh German-speaking context whose :class:`Watch` records console errors,
  uncaught exceptions, CSP violations, dialogs, script executions reported by the XSS hooks,
  and every request to an origin other than the app (those are also aborted, so nothing
  leaves the machine).

Screenshots go to ``$OMK_SCREENSHOTS`` (whole pages) if set, else to a temporary folder
(visible part only; the folder is printed at the end).
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from werkzeug.serving import make_server

from tests.browser import xss
from tests.conftest import PASSWORD, SAMPLE_REGISTER
from tests.conftest import test_settings as app_settings

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

BLOCKED_DIALOG = re.compile(r"Ignored call to '(?:alert|confirm|prompt|print)\(\)'")

#: Whole-page screenshots when someone asked for them (``OMK_SCREENSHOTS``); else the cheaper
#: visible part only.
FULL_PAGE_SHOTS = bool(os.environ.get("OMK_SCREENSHOTS"))

REPORTER_EMAIL = "bericht.essen@example.org"
REVIEWER_EMAIL = "pruefung.nrw@example.org"
ADMIN_EMAIL = "admin@example.org"


@dataclass
class LiveServer:
    """The running app: its base URL and the accounts it knows."""

    url: str
    app: Any
    password: str = PASSWORD
    reporter: str = REPORTER_EMAIL
    reviewer: str = REVIEWER_EMAIL  # North Rhine-Westphalia: the longest navigation but the admin's
    admin: str = ADMIN_EMAIL

    @property
    def origin(self) -> str:
        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.netloc}"


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    from omk import create_app
    from omk.extensions import Base, db
    from omk.services import accounts
    from omk.services.register_import import import_register

    tmp = tmp_path_factory.mktemp("live")
    settings = app_settings(
        tmp,
        f"sqlite:///{tmp / 'live.sqlite3'}",
        WTF_CSRF_ENABLED=True,  # the browser walks the real forms
        POLICY_AUDIT=True,
    )
    app = create_app(settings)
    xss.install(app)
    with app.app_context():
        Base.metadata.create_all(db.engine)
        import_register(SAMPLE_REGISTER)
        accounts.create_user(None, ADMIN_EMAIL, "admin", name="Ada Admin", password=PASSWORD)
        accounts.create_user(
            None,
            REPORTER_EMAIL,
            "reporter",
            name="Berta Bericht",
            password=PASSWORD,
            municipality_key="05113000",
        )
        accounts.create_user(
            None, REVIEWER_EMAIL, "reviewer", name="Prüfstelle NRW", password=PASSWORD, scope="05"
        )
        db.session.remove()

    try:
        with serving(xss.without_csp_on_test_routes(app)) as url:
            yield LiveServer(url=url, app=app)
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@contextmanager
def serving(wsgi_app: Any) -> Iterator[str]:
    """Serve a WSGI app on a free loopback port in a thread; yields its base URL."""
    server = make_server("127.0.0.1", 0, wsgi_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def screenshot_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    chosen = os.environ.get("OMK_SCREENSHOTS")
    folder = Path(chosen) if chosen else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    yield folder
    print(f"\nScreenshots: {folder}")


@dataclass
class Watch:
    """What happened in a page that must not happen (each list should stay empty)."""

    origin: str
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    csp_violations: list[str] = field(default_factory=list)
    foreign_requests: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    executions: list[str] = field(default_factory=list)

    def problems(self) -> dict[str, list[str]]:
        """Everything recorded, by kind; empty when the page behaved."""
        found = {
            "console errors": self.console_errors,
            "uncaught exceptions": self.page_errors,
            "CSP violations": self.csp_violations,
            "requests to other origins": self.foreign_requests,
            "dialogs": self.dialogs,
            "script executions": self.executions,
        }
        return {kind: items for kind, items in found.items() if items}

    def clear(self) -> None:
        for items in (
            self.console_errors,
            self.page_errors,
            self.csp_violations,
            self.foreign_requests,
            self.dialogs,
            self.executions,
        ):
            items.clear()


@dataclass
class WatchedPage:
    """A Playwright page with its watch and a few helpers."""

    page: Any
    watch: Watch
    server: LiveServer
    screenshots: Path

    def goto(self, path: str) -> Any:
        return self.page.goto(self.server.url + path, wait_until="load")

    def axe(self) -> list[dict[str, Any]]:
        """axe-core's WCAG 2.1 A/AA violations on the current page.

        axe is evaluated through the DevTools protocol, which the page's CSP does not govern,
        and only where it is needed (it is half a megabyte).
        """
        if not self.page.evaluate("() => typeof axe !== 'undefined'"):
            self.page.evaluate(_axe_source() + "\n;0")
        result: dict[str, Any] = self.page.evaluate(
            "tags => axe.run(document, {runOnly: {type: 'tag', values: tags},"
            " resultTypes: ['violations']})",
            AXE_TAGS,
        )
        return list(result["violations"])

    def shot(self, name: str, *, full_page: bool = True) -> Path:
        path = self.screenshots / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=full_page and FULL_PAGE_SHOTS)
        return path

    def log_in(self, email: str) -> None:
        """Sign in through the login form (after clearing this context's cookies)."""
        p = self.page
        p.context.clear_cookies()
        self.goto("/anmelden")
        p.get_by_label("E-Mail-Adresse").fill(email)
        p.get_by_label("Passwort", exact=True).fill(self.server.password)
        p.get_by_role("button", name="Anmelden").click()
        p.wait_for_load_state()

    def clean(self, name: str) -> None:
        """Keep a screenshot; the page has no axe violation, no id twice (axe no longer checks
        that: a label or aria reference would point at the first only) and nothing went wrong
        in it."""
        self.shot(name)
        assert self.axe() == [], name
        twice = self.page.evaluate(
            "() => { const seen = {}; for (const e of document.querySelectorAll('[id]'))"
            " seen[e.id] = (seen[e.id] || 0) + 1;"
            " return Object.keys(seen).filter(k => seen[k] > 1); }"
        )
        assert twice == [], f"{name}: ids used twice: {twice}"
        assert self.watch.problems() == {}, f"{name}: {self.watch.problems()}"


@cache
def _axe_source() -> str:
    return AXE.read_text(encoding="utf-8")


def _watch_page(context: Any, page: Any, server: LiveServer) -> Watch:
    watch = Watch(origin=server.origin)

    def on_console(message: Any) -> None:
        text = message.text
        if text.startswith("Failed to load resource") and message.location.get("url") == page.url:
            return  # the document's own 4xx status: the test checks it
        if "Content Security Policy" in text or "Content-Security-Policy" in text:
            watch.csp_violations.append(text)
        elif BLOCKED_DIALOG.search(text):
            # A dialog called in a sandboxed frame without allow-modals: script did run.
            watch.executions.append(f"blocked dialog: {text[:80]}")
        elif message.type == "error":
            watch.console_errors.append(text)

    def on_route(route: Any) -> None:
        url = route.request.url
        if url.startswith(server.origin + "/") or url.startswith(("data:", "blob:", "about:")):
            route.continue_()
        else:
            watch.foreign_requests.append(url)
            route.abort()

    def on_dialog(dialog: Any) -> None:
        watch.dialogs.append(f"{dialog.type}: {dialog.message[:80]}")
        dialog.dismiss()

    context.expose_binding(
        "__omkReport", lambda _source, kind, detail: _report(watch, kind, detail)
    )
    context.add_init_script(script=xss.INIT_SCRIPT)
    context.route("**/*", on_route)
    page.on("console", on_console)
    page.on("pageerror", lambda error: watch.page_errors.append(str(error)))
    page.on("dialog", on_dialog)
    return watch


def _report(watch: Watch, kind: str, detail: str) -> None:
    if kind == "csp":
        watch.csp_violations.append(detail)
    else:
        watch.executions.append(f"{kind}: {detail}")


@pytest.fixture
def page(browser: Any, live_server: LiveServer, screenshot_dir: Path) -> Iterator[WatchedPage]:
    """A fresh browser context in German (Accept-Language de-DE), watched."""
    with watched_page(browser, live_server, screenshot_dir) as watched:
        yield watched


@contextmanager
def watched_page(
    browser: Any, server: LiveServer, screenshot_dir: Path, *, width: int = 1280
) -> Iterator[WatchedPage]:
    """A fresh German browser context on ``server``, watched (see :class:`Watch`)."""
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `make setup` (npm ci installs axe-core)")
    context = browser.new_context(
        locale="de-DE", viewport={"width": width, "height": 900}, java_script_enabled=True
    )
    context.set_default_timeout(10_000)
    tab = context.new_page()
    watch = _watch_page(context, tab, server)
    try:
        yield WatchedPage(page=tab, watch=watch, server=server, screenshots=screenshot_dir)
    finally:
        context.close()
