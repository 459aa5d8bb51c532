"""People read words, not machine words: a crawl of the pages every role walks fails on a
document path (``indicators.verwaltung.budget_eur``, ``practices[…]``), a code with an
underscore (``sprache_bildung``), a UUID or an ISO month (``2019-05``) in the visible text.

Visible text is what a browser shows: text nodes outside ``<script>``, ``<style>`` and
``<head>``; attribute values (links, form values, ids) do not count. A short allow-list names
the pages that document formats (the API documentation) and the place where a path is shown on
purpose: below its German label in the upload error table.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urldefrag, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient

from omk.models import User
from omk.services import reports
from tests import factories
from tests.conftest import login

ESSEN = "05113000"
KOELN = "05315000"
AACHEN = "05334002"

UUID = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.I)
PATH = re.compile(r"\b(?:indicators|indicator_practices|practices)(?:\.[a-z_]|\[)")
CODE = re.compile(r"\b[a-z]+(?:_[a-z0-9]+)+\b")
ISO_MONTH = re.compile(r"\b(?:19|20)\d\d-(?:0[1-9]|1[0-2])\b")
CHECKS = {"document path": PATH, "code": CODE, "UUID": UUID, "ISO month": ISO_MONTH}

#: Pages that document formats and may show paths and codes (the API documentation).
ALLOWED_PAGES = ("/api",)
#: Not crawled: leaving, downloads and feeds (files, not pages), forms that only post.
SKIPPED = re.compile(
    r"^/(?:abmelden|static/)|\.(?:xlsx|json|pdf|csv|atom|xml)$|/(?:download|export|feed|atom)"
    r"|/api/|/arbeitsmappe|/vorlage|/datei"
)
#: Enough pages per role to reach every kind of page from the start page; of pages whose
#: addresses differ only in digits (``/kommunen/05113000``) the first few.
MAX_PAGES = 80
PER_SHAPE = 3


class _Text(HTMLParser):
    """The visible text of a page; ``<code class="omk-path">`` (a path below its German
    label, where the page documents a format) is left out when ``allow_paths``."""

    HIDDEN = frozenset({"script", "style", "head", "template", "title"})

    def __init__(self, allow_paths: bool) -> None:
        super().__init__(convert_charrefs=True)
        self.allow_paths = allow_paths
        self.stack: list[tuple[str, bool]] = []
        self.parts: list[str] = []
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "a" and a.get("href"):
            self.links.append(str(a["href"]))
        if tag in ("br", "img", "input", "meta", "link", "hr", "wbr", "source"):
            return
        hidden = tag in self.HIDDEN or "hidden" in a
        if self.allow_paths and tag == "code" and "omk-path" in (a.get("class") or ""):
            hidden = True
        self.stack.append((tag, hidden))

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                return

    def handle_data(self, data: str) -> None:
        if not any(hidden for _, hidden in self.stack):
            self.parts.append(data)

    @property
    def text(self) -> str:
        return " ".join(" ".join(self.parts).split())


def visible_text(html: str, allow_paths: bool = False) -> tuple[str, list[str]]:
    """The text a browser shows of ``html`` and the links it holds."""
    parser = _Text(allow_paths)
    parser.feed(html)
    return parser.text, parser.links


def machine_words(text: str) -> list[str]:
    """What in ``text`` people should not have to read: "UUID: 3f2e…" and the like."""
    found = []
    for name, pattern in CHECKS.items():
        for m in pattern.finditer(text):
            start = max(0, m.start() - 40)
            found.append(f"{name}: …{text[start : m.end() + 40]}…")
    return found


def crawl(client: FlaskClient, seeds: list[str]) -> Iterator[tuple[str, str]]:
    """The pages reachable from ``seeds`` by links within the app: (path, HTML)."""
    queue, seen = list(seeds), set(seeds)
    shapes: dict[str, int] = {}
    count = 0
    while queue and count < MAX_PAGES:
        path = queue.pop(0)
        response = client.get(path)
        if response.status_code != 200 or "text/html" not in response.content_type:
            continue
        count += 1
        html = response.get_data(as_text=True)
        yield path, html
        _, links = visible_text(html)
        for href in links:
            href = urldefrag(href)[0]
            parts = urlsplit(href)
            if parts.scheme or parts.netloc or not parts.path.startswith("/"):
                continue
            target = parts.path + (f"?{parts.query}" if parts.query else "")
            if target in seen or SKIPPED.search(parts.path):
                continue
            shape = re.sub(r"\d+", "#", parts.path)
            shapes[shape] = shapes.get(shape, 0) + 1
            if shapes[shape] > PER_SHAPE:
                continue
            seen.add(target)
            queue.append(target)


@pytest.fixture
def world(app: Flask, make_user: Any) -> dict[str, User]:
    """Essen's report returned once and submitted again (its change view has numbers, months,
    codes and a title in quotation marks), Köln's published; an account for every role."""
    cycle = factories.make_cycle("2025")
    people = {
        "reporter": make_user("reporter", municipality=ESSEN, email="bericht@essen.example.org"),
        "reviewer": make_user("reviewer", scope="05", email="pruefung@nrw.example.org"),
        "staff": make_user("staff", email="fachkraft@example.org"),
        "admin": make_user("admin", email="admin@example.org"),
        "koeln": make_user("reporter", municipality=KOELN, email="bericht@koeln.example.org"),
        "drafting": make_user("reporter", municipality=AACHEN, email="bericht@aachen.example.org"),
    }
    # Köln's published practice, which Essen's "Patenschaften" was adopted from
    origin = factories.practice(recommendations=["C2"])
    koeln = reports.start_report(people["koeln"], cycle, reports.resolve_municipality(KOELN))
    reports.save_document(
        people["koeln"],
        koeln,
        factories.document(KOELN, practices=[origin]),
        edit_version=None,
    )
    reports.submit(people["koeln"], koeln)
    reports.accept(people["reviewer"], koeln)

    quoted = factories.practice(
        "Sprachcafé „Neue Nachbarn“", started="2019-05", source_date="2018-07"
    )
    other = factories.practice(
        "Patenschaften",
        started="2021",
        ended="2024-11",
        status="ended",
        recommendations=["C2", "C4"],
        adopted_from={"practice": origin["id"], "municipality": KOELN},
    )
    essen = reports.start_report(people["reporter"], cycle, reports.resolve_municipality(ESSEN))
    reports.save_document(
        people["reporter"],
        essen,
        factories.document(ESSEN, practices=[quoted, other]),
        edit_version=None,
    )
    reports.submit(people["reporter"], essen)
    reports.return_report(
        people["reviewer"],
        essen,
        [
            ("indicators.verwaltung.budget_eur", "Eine Null zu viel?"),
            (f"practices[{quoted['id']}].started", "Seit wann genau?"),
        ],
    )
    changed = factories.document(ESSEN, practices=[dict(quoted, started="2019-06"), other])
    changed["indicators"].update(
        {"verwaltung.budget_eur": 5400000.5, "unterbringung.dezentral_anteil": 17.8}
    )
    reports.save_document(people["reporter"], essen, changed, edit_version=None)
    reports.submit(people["reporter"], essen)

    aachen = reports.start_report(people["drafting"], cycle, reports.resolve_municipality(AACHEN))
    reports.save_document(
        people["drafting"],
        aachen,
        factories.document(AACHEN, practices=[dict(other, id=factories.practice()["id"])]),
        edit_version=None,
    )
    reports.submit(people["drafting"], aachen)
    reports.return_report(
        people["reviewer"], aachen, [("indicators.verwaltung.budget_eur", "Bitte prüfen.")]
    )
    return people


SEEDS = {
    "anonymous": ["/", "/kommunen/", "/kriterien", "/kennzahlen", "/kommunen/?q=Essen"],
    "reporter": [
        "/",
        "/berichte/",
        f"/berichte/2025/{ESSEN}/",
        f"/berichte/2025/{ESSEN}/vergleich",
        f"/berichte/2025/{ESSEN}/kennzahlen",
        f"/berichte/2025/{ESSEN}/hochladen",
    ],
    "drafting": ["/", f"/berichte/2025/{AACHEN}/", f"/berichte/2025/{AACHEN}/massnahmen/neu"],
    "reviewer": ["/", "/berichte/", f"/berichte/2025/{ESSEN}/pruefung"],
    "staff": ["/", "/berichte/", f"/berichte/2025/{KOELN}/veroeffentlicht", "/suche?q=Sprachcafé"],
    "admin": ["/", "/berichte/", "/konten/", "/berichtsrunden/"],
}


@pytest.mark.parametrize("role", list(SEEDS))
def test_pages_show_no_machine_words(app: Flask, world: dict[str, User], role: str) -> None:
    client = app.test_client()
    if role != "anonymous":
        assert login(client, world[role]).status_code == 302
    problems: dict[str, list[str]] = {}
    pages = []
    for path, html in crawl(client, SEEDS[role]):
        pages.append(path)
        if path.startswith(ALLOWED_PAGES):
            continue
        text, _ = visible_text(html, allow_paths="/hochladen" in path)
        found = machine_words(text)
        if found:
            problems[path] = found[:5]
    assert set(SEEDS[role]) <= set(pages), "a start page did not answer 200"
    assert not problems, "\n".join(f"{p}:\n  " + "\n  ".join(f) for p, f in problems.items())


def test_the_crawl_would_notice(app: Flask) -> None:
    """The checks find what the issue found: a path, a practice id, a code, a month."""
    text, _ = visible_text(
        "<p>Budget <code>indicators.verwaltung.budget_eur</code></p>"
        "<p>practices[bbd731e8-0c1d-4f6e-9a55-1d2b3c4d5e6f]</p>"
        "<p>Code: sprache_bildung, seit 2019-05</p><script>var x='2019-05'</script>"
    )
    kinds = {f.split(":")[0] for f in machine_words(text)}
    assert kinds == {"document path", "code", "UUID", "ISO month"}
    allowed, _ = visible_text(
        '<td>Budget<br><code class="omk-path">indicators.x_y.z</code></td>', True
    )
    assert machine_words(allowed) == []


def test_change_view_writes_numbers_as_germans_do(app: Flask, world: dict[str, User]) -> None:
    client = app.test_client()
    assert login(client, world["reviewer"]).status_code == 302
    for path in (f"/berichte/2025/{ESSEN}/pruefung", f"/berichte/2025/{ESSEN}/vergleich"):
        html = client.get(path).get_data(as_text=True)
        text, _ = visible_text(html)
        assert "450.000 €" in text or "450.000 EUR" in text or "450.000" in text
        assert "5.400.000,50" in text
        assert "61,5" in text and "17,8" in text
        assert "Juni 2019" in text and "Mai 2019" in text
        assert "Kommunales Integrationsbudget" in text and "JJJJ" not in text
        assert "omk-diff__row--changed" in html and "kern-table--striped omk-diff" not in html
        assert "„Sprachcafé ‚Neue Nachbarn‘“" in text
        assert machine_words(text) == []


def test_change_view_in_english(app: Flask, world: dict[str, User]) -> None:
    client = app.test_client()
    assert login(client, world["reviewer"]).status_code == 302
    html = client.get(
        f"/berichte/2025/{ESSEN}/vergleich", headers={"Accept-Language": "en"}
    ).get_data(as_text=True)
    text, _ = visible_text(html)
    assert "5,400,000.50" in text and "June 2019" in text


def _form_values(html: str) -> dict[str, str]:
    return dict(re.findall(r'name="([^"]+)"[^>]*?value="([^"]*)"', html))


def test_a_number_with_a_dot_is_accepted_and_said_back(app: Flask, world: dict[str, User]) -> None:
    from tests.conftest import csrf_token

    client = app.test_client()
    assert login(client, world["drafting"]).status_code == 302
    url = f"/berichte/2025/{AACHEN}/kennzahlen"
    page = client.get(url).get_data(as_text=True)
    data = {k: v for k, v in _form_values(page).items() if k.startswith(("ind-", "edit_version"))}
    data.update(
        {
            "csrf_token": csrf_token(page),
            "ind-verwaltung.koordination_vze": "12.5",
            "ind-verwaltung.budget_eur": "5.400.000,50",
            "ind-unterbringung.zuweisungen": "1.234",
        }
    )
    response = client.post(url, data=data)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Kennzahlen gespeichert." in html
    assert "Verstanden als 12,5." in html and "Verstanden als 1234." in html
    saved = _form_values(html)
    assert saved["ind-verwaltung.koordination_vze"] == "12,5"
    assert saved["ind-verwaltung.budget_eur"] == "5.400.000,5"
    assert saved["ind-unterbringung.zuweisungen"] == "1.234"
    doc = reports.working_document(reports.get_report("2025", AACHEN))
    assert doc["indicators"]["verwaltung.koordination_vze"] == 12.5
    assert doc["indicators"]["unterbringung.zuweisungen"] == 1234
    # without a dot nothing is ambiguous: saved and back to the page as before
    data.update(
        {
            "csrf_token": csrf_token(html),
            "edit_version": saved["edit_version"],
            "ind-verwaltung.koordination_vze": "12,5",
            "ind-unterbringung.zuweisungen": "1234",
        }
    )
    assert client.post(url, data=data).status_code == 302


def test_practice_form_says_what_it_understood(app: Flask, world: dict[str, User]) -> None:
    from tests.conftest import csrf_token

    client = app.test_client()
    assert login(client, world["drafting"]).status_code == 302
    doc = reports.working_document(reports.get_report("2025", AACHEN))
    pid = doc["practices"][0]["id"]
    url = f"/berichte/2025/{AACHEN}/massnahmen/{pid}"
    page = client.get(url).get_data(as_text=True)
    values = _form_values(page)
    assert values["started"] == "2021" and values["ended"] == "11/2024"
    assert values["budget_eur"] == "1.500" and values["staff_fte"] == "0,2"
    assert "ID" not in visible_text(page)[0].split("Kontakt und Quellen")[-1]
    # the origin is picked by title; its id only travels in a hidden field
    assert values["adopted_from_practice"] == doc["practices"][0]["adopted_from"]["practice"]
    assert 'type="hidden" name="adopted_from_practice"' in page
    form = {
        "csrf_token": csrf_token(page),
        "edit_version": values["edit_version"],
        "title": "Patenschaften",
        "summary": "Patinnen und Paten begleiten Familien.",
        "criterion": "zivilgesellschaft",
        "description": "Ehrenamtliche begleiten neu zugewanderte Familien.",
        "status": "ended",
        "started": "2021",
        "ended": "11/2024",
        "budget_eur": "5.400.000,50",
        "staff_fte": "0.5",
        "actor_rows": "1",
        "actor-0-name": "Freiwilligenagentur",
        "actor-0-type": "ehrenamt",
        "actor_lead": "0",
        "target_groups": ["familien"],
        "outcomes": "30 Patenschaften.",
        "transferability": "Braucht eine Koordination.",
        "adopted_from_practice": f"http://omk.example/massnahmen/{pid.upper()}",
        "adopted_from_municipality": KOELN,
        "action": "save",
    }
    response = client.post(url, data=form)
    assert response.status_code == 302 and "verstanden=staff_fte" in response.location
    html = client.get(response.location).get_data(as_text=True)
    assert "Gespeichert und verstanden als 0,5." in html
    values = _form_values(html)
    assert values["budget_eur"] == "5.400.000,50" and values["staff_fte"] == "0,5"
    saved = reports.working_document(reports.get_report("2025", AACHEN))["practices"][0]
    assert saved["budget_eur"] == 5400000.5 and saved["adopted_from"]["practice"] == pid


def test_the_breadcrumb_names_each_place_once(app: Flask, world: dict[str, User]) -> None:
    html = app.test_client().get(f"/kommunen/{ESSEN}").get_data(as_text=True)
    crumbs = re.search(r'<nav aria-label="Brotkrumen"[^>]*>(.*?)</nav>', html, re.S)
    assert crumbs is not None
    text, _ = visible_text(crumbs.group(1))
    assert text.count("Essen") == 1, text
