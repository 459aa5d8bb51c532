"""A live server and a Chromium for browser tests (``@pytest.mark.browser``).

The app runs in a thread on a free loopback port; Playwright drives Debian's Chromium
(``/usr/bin/chromium``, never a downloaded browser). Every request to another origin is
recorded and aborted, so a test never reaches the network and can count such attempts.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

from tests.conftest import PASSWORD

CHROMIUM = "/usr/bin/chromium"


@contextmanager
def live_server(app: Flask) -> Iterator[str]:
    """Serve ``app`` on 127.0.0.1 in a thread; yields its origin (``http://127.0.0.1:port``)."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@contextmanager
def chromium() -> Iterator[Any]:
    """A headless Chromium (skips the test when it is not installed)."""
    if shutil.which(CHROMIUM) is None:
        pytest.skip("Chromium is not installed at /usr/bin/chromium")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox"]
        )
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class Foreign:
    """Requests the browser tried to send to an origin other than the app's."""

    origin: str
    urls: list[str] = field(default_factory=list)

    def route(self, route: Any) -> None:
        url = route.request.url
        if url.startswith(self.origin + "/") or url == self.origin:
            route.continue_()
        else:
            self.urls.append(url)
            route.abort()


def new_context(browser: Any, origin: str, **options: Any) -> tuple[Any, Foreign]:
    """A browser context whose requests to other origins are recorded and aborted."""
    context = browser.new_context(base_url=origin, **options)
    foreign = Foreign(origin)
    context.route("**/*", foreign.route)
    return context, foreign


def log_in(context: Any, email: str, password: str = PASSWORD) -> None:
    """Log the context in through the real form (CSRF is off in the test settings)."""
    response = context.request.post(
        "/anmelden", form={"email": email, "password": password}, max_redirects=0
    )
    assert response.status == 302, response.status
