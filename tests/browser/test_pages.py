"""Walk the app like a person does – with the keyboard too – and check every page on the way.

On each page: axe-core finds no WCAG 2.1 A/AA violation, there is exactly one h1, and the
page causes no console error, no uncaught exception, no CSP violation and no request to any
origin but the app. Screenshots of every page land in the screenshot folder.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import WatchedPage

pytestmark = pytest.mark.browser


def check(page: WatchedPage, name: str) -> None:
    """The checks every page must pass; also takes its screenshot."""
    page.shot(name)
    violations = page.axe()
    assert violations == [], _describe(name, violations)
    assert page.page.locator("h1").count() == 1, f"{name}: not exactly one h1"
    assert page.page.locator("main#main").count() == 1, f"{name}: no main landmark"
    assert page.watch.problems() == {}, f"{name}: {page.watch.problems()}"


def _describe(name: str, violations: list[dict[str, Any]]) -> str:
    lines = [f"{name}: {len(violations)} axe violation(s)"]
    for v in violations:
        targets = [", ".join(n["target"]) for n in v["nodes"][:3]]
        lines.append(f"  {v['id']} ({v['impact']}): {v['help']} – {targets}")
    return "\n".join(lines)


def focused(page: WatchedPage) -> dict[str, str]:
    """Tag, id and text of the element that has the keyboard focus."""
    result: dict[str, str] = page.page.evaluate(
        "() => { const e = document.activeElement;"
        " return {tag: e.tagName.toLowerCase(), id: e.id, text: (e.textContent || '').trim()}; }"
    )
    return result


def test_walk_start_directory_profile_login_account_logout(page: WatchedPage) -> None:
    p = page.page

    # Start page: the first Tab reaches the skip link, Enter moves the focus into main.
    page.goto("/")
    assert p.locator("html").get_attribute("lang") == "de"
    p.keyboard.press("Tab")
    assert focused(page)["text"] == "Zum Inhalt springen"
    assert p.locator(".omk-skip-link").is_visible()
    page.shot("01-start-skip-link", full_page=False)
    p.keyboard.press("Enter")
    assert focused(page)["id"] == "main"
    check(page, "02-start")

    # Directory, filtered by Land.
    p.get_by_role("navigation", name="Hauptnavigation").get_by_role("link", name="Kommunen").click()
    p.wait_for_load_state()
    assert p.get_by_role("heading", level=1).inner_text() == "Kommunen"
    p.get_by_label("Land", exact=True).select_option(label="Nordrhein-Westfalen")
    p.get_by_role("button", name="Filtern").click()
    p.wait_for_load_state()
    assert "land=05" in p.url
    table = p.locator("table")
    assert table.get_by_role("link", name="Essen, Stadt").count() == 1
    assert table.get_by_text("Flensburg").count() == 0
    check(page, "03-directory-nrw")

    # Profile.
    table.get_by_role("link", name="Essen, Stadt").click()
    p.wait_for_load_state()
    assert p.get_by_role("heading", level=1).inner_text() == "Essen, Stadt"
    check(page, "04-profile-essen")

    # Login: an empty submit shows an error summary that takes the focus and links the fields.
    p.get_by_role("link", name="Anmelden").first.click()
    p.wait_for_load_state()
    p.get_by_role("button", name="Anmelden").click()
    p.wait_for_load_state()
    summary = p.locator("#error-summary")
    assert summary.is_visible()
    assert focused(page)["id"] == "error-summary"
    check(page, "05-login-errors")
    summary.get_by_role("link").first.click()
    assert focused(page)["id"] == "email"

    # Sign in with the keyboard only.
    p.keyboard.type(page.server.reporter)
    p.keyboard.press("Tab")
    p.keyboard.type(page.server.password)
    with p.expect_navigation():
        p.keyboard.press("Enter")
    assert p.get_by_role("button", name="Abmelden").is_visible()

    # Account page.
    p.get_by_role("link", name="Mein Konto").click()
    p.wait_for_load_state()
    assert p.get_by_role("heading", level=1).inner_text() == "Mein Konto"
    assert p.get_by_text(page.server.reporter).count() >= 1
    check(page, "06-account")

    # Logout.
    p.get_by_role("button", name="Abmelden").click()
    p.wait_for_load_state()
    assert p.get_by_role("status").filter(has_text="Sie sind abgemeldet.").count() == 1
    assert p.get_by_role("link", name="Anmelden").first.is_visible()
    check(page, "07-logged-out")


def _rows(page: WatchedPage) -> set[int]:
    """The tops of the main navigation's entries (one per line it takes)."""
    boxes = [item.bounding_box() for item in page.page.locator(".omk-nav__item").all()]
    return {round(box["y"]) for box in boxes if box}


def test_the_main_navigation_fits_a_desktop_and_a_phone(page: WatchedPage) -> None:
    """At 1280 px the reviewer's navigation (every entry but none of the admin's own) takes
    one line, in German and in English. On a phone the header with the navigation stays low,
    the navigation scrolls sideways in its own row (the page does not), an entry reached with
    the keyboard is in view, only the page's own entry is the current page, and the account
    icon shows when it is."""
    p = page.page
    p.set_viewport_size({"width": 1280, "height": 800})
    page.log_in(page.server.reviewer)
    page.goto("/")
    assert p.locator(".omk-nav__item").count() >= 12
    assert len(_rows(page)) == 1, "the navigation wraps at 1280 px"
    p.get_by_role("button", name="English").click()
    p.wait_for_load_state()
    assert len(_rows(page)) == 1, "the English navigation wraps at 1280 px"
    check(page, "40-nav-reviewer-1280-en")
    p.get_by_role("button", name="Deutsch").click()
    p.wait_for_load_state()

    p.set_viewport_size({"width": 390, "height": 800})
    page.goto("/berichtsrunden/")
    main = p.locator("#main").bounding_box()
    assert main is not None and main["y"] < 140, f"header and navigation take {main}"
    assert len(_rows(page)) == 1
    assert p.evaluate("() => document.documentElement.scrollWidth") <= 390
    current = p.locator(".omk-nav__link[aria-current='page']")
    assert current.inner_text() == "Berichtsrunden"
    box = current.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390, "not in view"
    check(page, "41-nav-reviewer-390")
    p.locator(".omk-nav__link", has_text="Konten").focus()
    p.keyboard.press("Shift+Tab")
    p.keyboard.press("Tab")
    assert focused(page)["text"] == "Konten"
    box = p.locator(".omk-nav__link", has_text="Konten").bounding_box()
    assert box is not None and box["x"] + box["width"] <= 390, "the focused entry is hidden"
    # Every entry reached with Tab is wholly in the row, not only the last one.
    links = p.locator(".omk-nav__link")
    links.first.focus()
    row = p.locator(".omk-nav__list").bounding_box()
    assert row is not None
    for n in range(links.count()):
        if n:
            p.keyboard.press("Tab")
        box = links.nth(n).bounding_box()
        assert box is not None
        inside = row["x"] - 1 <= box["x"] and box["x"] + box["width"] <= row["x"] + row["width"] + 1
        assert inside, f"{links.nth(n).inner_text()} is cut off when focused: {box}, row {row}"
    # On a phone the account link is an icon: it is marked as the current page visibly too.
    page.goto("/konto/")
    account = p.locator(".omk-service__account")
    assert account.get_attribute("aria-current") == "page"
    assert account.evaluate("a => getComputedStyle(a).boxShadow") != "none"


PUBLIC_PAGES = [
    ("/hilfe/", "10-help"),
    ("/hilfe/omk", "11-help-omk"),
    ("/kriterien", "13-taxonomy"),
    ("/kennzahlen", "14-indicators"),
    ("/api/v1/docs", "15-api-docs"),
    ("/passwort-vergessen", "16-forgot"),
    ("/gibt-es-nicht", "18-not-found"),
]


def test_public_pages(page: WatchedPage) -> None:
    for path, name in PUBLIC_PAGES:
        response = page.goto(path)
        assert response.status == (404 if name.endswith("not-found") else 200), path
        check(page, name)


def test_admin_pages(page: WatchedPage) -> None:
    p = page.page
    page.goto("/anmelden")
    p.get_by_label("E-Mail-Adresse").fill(page.server.admin)
    p.get_by_label("Passwort", exact=True).fill(page.server.password)
    p.get_by_role("button", name="Anmelden").click()
    p.wait_for_load_state()
    page.goto("/konten/")
    check(page, "20-users")
    p.get_by_role("link", name="Person einladen").click()
    p.wait_for_load_state()
    p.get_by_role("button", name="Einladen").click()
    p.wait_for_load_state()
    assert focused(page)["id"] == "error-summary"
    check(page, "21-invite-errors")


def test_english_and_small_screen(page: WatchedPage) -> None:
    p = page.page
    page.goto("/kriterien")
    p.get_by_role("button", name="English").click()
    p.wait_for_load_state()
    assert p.locator("html").get_attribute("lang") == "en"
    assert p.url.endswith("/kriterien"), "the switch returns to the same page"
    check(page, "30-taxonomy-en")
    p.set_viewport_size({"width": 375, "height": 800})
    page.goto("/")
    check(page, "31-start-en-mobile")
    page.goto("/kommunen/?land=05")
    check(page, "32-directory-en-mobile")
