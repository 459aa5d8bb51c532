"""The synthesis report in Chromium (issue 13, "Done when"): the demo's NRW reviewer
generates the 2025 synthesis, writes an introduction and a chapter comment (with a preview),
publishes it after the confirmation; the demo's staff account then reads it and its PDF.

The demo runs on a server of its own (the sample register), so that its cycles and reports
do not change what the other browser tests see. Every page is checked with axe and watched
for CSP violations and console errors; screenshots at 1280 and 390 px are kept."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import LiveServer, WatchedPage, serving, watched_page
from tests.conftest import SAMPLE_REGISTER
from tests.conftest import test_settings as app_settings

INTRODUCTION = "Die Runde 2025 zeigt **Übergänge in Arbeit** in Nordrhein-Westfalen."
COMMENT = "Die Beteiligung war *erfreulich* hoch."


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The demo (sample register) on its own live server."""
    from omk import create_app
    from omk.demo import create_demo
    from omk.extensions import Base, db
    from omk.services.register_import import import_register

    tmp = tmp_path_factory.mktemp("demo-live")
    app = create_app(
        app_settings(
            tmp, f"sqlite:///{tmp / 'demo.sqlite3'}", WTF_CSRF_ENABLED=True, POLICY_AUDIT=True
        )
    )
    with app.app_context():
        Base.metadata.create_all(db.engine)
        import_register(SAMPLE_REGISTER)
        create_demo()
        db.session.remove()
    from omk.demo.data import DEMO_PASSWORD

    try:
        with serving(app) as url:
            yield LiveServer(
                url=url,
                app=app,
                password=DEMO_PASSWORD,
                reporter="bericht.essen@example.org",
                admin="admin@example.org",
            )
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def demo_page(browser: Any, demo_server: LiveServer, screenshot_dir: Path) -> Iterator[WatchedPage]:
    with watched_page(browser, demo_server, screenshot_dir) as watched:
        yield watched


def _narrow(page: WatchedPage, name: str) -> None:
    """The same page 390 px wide: nothing wider than the screen but the report's tables."""
    p = page.page
    p.set_viewport_size({"width": 390, "height": 844})
    page.shot(f"{name}-390")
    overflow = p.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 1, f"{name}: {overflow}px wider than the screen"
    p.set_viewport_size({"width": 1280, "height": 900})


@pytest.mark.browser
def test_the_nrw_reviewer_publishes_the_2025_synthesis_and_staff_read_it(
    demo_page: WatchedPage,
) -> None:
    page, p = demo_page, demo_page.page
    page.log_in("pruefung.nrw@example.org")
    p.get_by_role("navigation", name="Hauptnavigation").get_by_role(
        "link", name="Syntheseberichte"
    ).click()
    p.wait_for_load_state()
    page.clean("synthesis-01-overview")
    cycle_2025 = "Berichtsrunde 2025 – Übergänge in Arbeit – Nordrhein-Westfalen"
    p.get_by_role("link", name=cycle_2025).click()
    p.wait_for_load_state()
    assert p.url.endswith("/synthese/2025/05/entwurf")
    page.clean("synthesis-02-empty-draft")

    p.get_by_role("button", name="Bericht erzeugen").click()
    p.wait_for_load_state()
    assert "Der Bericht ist neu erzeugt" in p.content()
    assert p.get_by_role("heading", name="1 Das Wichtigste in Kürze").count() == 1

    p.get_by_role("textbox", name="Einleitung").fill(INTRODUCTION)
    p.get_by_role("textbox", name="Kommentar zu Kapitel „Beteiligung“").fill(COMMENT)
    p.get_by_role("button", name="Vorschau").click()
    p.wait_for_load_state()
    preview = p.get_by_role("region", name="Vorschau: Einleitung")
    assert preview.locator("strong").inner_text() == "Übergänge in Arbeit"
    page.clean("synthesis-03-preview")
    p.get_by_role("button", name="Speichern").click()
    p.wait_for_load_state()
    assert "Der Entwurf ist gespeichert." in p.content()
    page.clean("synthesis-04-draft")
    _narrow(page, "synthesis-04-draft")

    p.get_by_role("link", name="Veröffentlichen …").click()
    p.wait_for_load_state()
    assert "Version 1" in p.content()
    page.clean("synthesis-05-confirm")
    p.get_by_role("button", name="Jetzt veröffentlichen").click()
    p.wait_for_load_state()
    assert p.url.endswith("/synthese/2025/05/")
    assert "Version 1 ist veröffentlicht" in p.content()

    # Staff read it: the introduction, the comment, and a PDF.
    page.log_in("fachkraft@example.org")
    page.goto("/synthese/")
    p.get_by_role("link", name="Nordrhein-Westfalen").click()
    p.wait_for_load_state()
    body = p.content()
    assert "<strong>Übergänge in Arbeit</strong>" in body
    assert "<em>erfreulich</em>" in body
    assert p.get_by_role("link", name="Zum Entwurf (neue Fassung vorbereiten)").count() == 0
    page.clean("synthesis-06-published")
    _narrow(page, "synthesis-06-published")
    # The PDF link, fetched with the browser's session (WeasyPrint takes seconds on a busy
    # machine; the PDF's content is tests/synthesis' business).
    href = p.get_by_role("link", name="PDF").get_attribute("href")
    pdf = p.request.get(page.server.url + href, timeout=180_000)
    assert pdf.ok and pdf.body().startswith(b"%PDF")
    assert "Synthesebericht_2025_05_v1.pdf" in pdf.headers["content-disposition"]
    page.goto("/synthese/2025/05/druck")
    page.clean("synthesis-07-printable")
    # Staff never reach the draft.
    response = page.goto("/synthese/2025/05/entwurf")
    assert response.status == 403
