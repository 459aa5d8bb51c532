"""A live server and a Chromium for browser tests (``@pytest.mark.browser``).

The app runs in a thread on a free loopback port; Playwright drives Debian's Chromium
(``/usr/bin/chromium``, never a downloaded browser) from a thread of its own: Playwright's
sync API refuses to start where an asyncio loop runs, and the session browser of
tests/browser keeps one running in the main thread. Every request to another origin is
recorded and aborted, so a test never reaches the network and can count such attempts.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

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


T = TypeVar("T")


class BrowserThread:
    """A headless Chromium living in one worker thread; :meth:`run` calls into it there."""

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="chromium")
        self._playwright: Any = None
        self._browser: Any = None

    def start(self) -> None:
        def launch() -> None:
            from playwright.sync_api import sync_playwright

            self._playwright = sync_playwright().start()
            self._browser = self._playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=["--no-sandbox"]
            )

        self._pool.submit(launch).result()

    def run(self, work: Callable[..., T], *args: Any) -> T:
        """``work(browser, *args)`` in the browser's thread; its result or its exception."""
        return self._pool.submit(work, self._browser, *args).result()

    def stop(self) -> None:
        def close() -> None:
            if self._browser is not None:
                self._browser.close()
            if self._playwright is not None:
                self._playwright.stop()

        try:
            self._pool.submit(close).result()
        finally:
            self._pool.shutdown()


@contextmanager
def chromium() -> Iterator[BrowserThread]:
    """A headless Chromium in its own thread (skips the test when it is not installed)."""
    if shutil.which(CHROMIUM) is None:
        pytest.skip("Chromium is not installed at /usr/bin/chromium")
    pytest.importorskip("playwright.sync_api")
    browser = BrowserThread()
    browser.start()
    try:
        yield browser
    finally:
        browser.stop()


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
