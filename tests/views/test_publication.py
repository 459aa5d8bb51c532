"""The published report as a council would read it: the page, its print styles and the PDF."""

from __future__ import annotations

import re
import socket
import time
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from omk.extensions import db
from omk.models import User
from omk.models.reporting import Report
from omk.services import publication, reports
from omk.services.transaction import unit_of_work
from tests import factories
from tests.conftest import login
from tests.live import chromium, live_server, log_in, new_context
from tests.pdf import page_sizes, pdf_text

ESSEN = "05113000"  # 582,760 inhabitants, dicht besiedelt
KOELN = "05315000"
FORST_HAIN = "09671451"  # gemeindefreies Gebiet, population 0
PAGE = f"/berichte/2025/{ESSEN}/veroeffentlicht"
PDF = f"/berichte/2025/{ESSEN}/bericht.pdf"

SPRACHCAFE = factories.practice(
    description=(
        "Jeden Mittwoch treffen sich **Neuzugewanderte** und Ehrenamtliche. "
        "Mehr in der [Ratsvorlage](https://ratsinfo.example.org/vorlage/4711)."
    ),
    contact="integration@essen.example.org",
    sources=["https://www.example.org/sprachcafe"],
)
JOBPATEN = factories.practice(
    "Jobpaten für Geflüchtete",
    criterion="arbeitsmarkt",
    fields=["berufliche_integration"],
    recommendations=["B4", "C3"],
    summary="Ehrenamtliche begleiten Geflüchtete bei Bewerbungen und im ersten Arbeitsjahr.",
    description="Patinnen und Paten treffen sich alle zwei Wochen mit ihren Mentees.",
    site="Jobcenter Essen-Mitte",
    actors=[
        {"name": "Jobcenter Essen", "type": "jobcenter", "lead": True},
        {"name": "Unternehmerverband Ruhr", "type": "wirtschaft", "lead": False},
    ],
    target_groups=["erwachsene"],
    started="2017",
    ended="2024-06",
    status="ended",
    budget_eur=24000,
    staff_fte=0.5,
    funding="Landesprogramm KOMM-AN",
    outcomes="48 Tandems, davon 31 in Ausbildung oder Arbeit.",
    transferability="Gelingt nur mit einer festen Ansprechperson im Jobcenter.",
    contact="jobpaten@essen.example.org",
    sources=["https://www.example.org/jobpaten", "https://presse.example.org/jobpaten-bilanz"],
)


def as_user(app: Flask, user: User) -> FlaskClient:
    client = app.test_client()
    assert login(client, user).status_code == 302
    return client


@pytest.fixture
def people(app: Flask, make_user: Any) -> dict[str, User]:
    factories.make_cycle("2025", objectives="Mehr **Kita-Plätze** für geflüchtete Kinder.")
    return {
        "reporter": make_user("reporter", municipality=ESSEN),
        "reviewer": make_user("reviewer", scope="05"),
        "staff": make_user("staff"),
        "admin": make_user("admin"),
    }


def publish(people: dict[str, User], doc: dict[str, Any]) -> Report:
    """Walk ``doc`` through the real workflow to publication: draft, submit, accept."""
    report, _ = reports.import_document(people["reporter"], doc)
    reports.submit(people["reporter"], report)
    reports.accept(people["reviewer"], report)
    db.session.refresh(report)
    return report


@pytest.fixture
def published(people: dict[str, User]) -> Report:
    doc = factories.document(ESSEN, practices=[SPRACHCAFE, JOBPATEN])
    doc["indicator_practices"]["arbeitsmarkt.beschaeftigt_svp"] = [JOBPATEN["id"]]
    return publish(people, doc)


def squeeze(text: str) -> str:
    """PDF text without whitespace (long URLs wrap across lines)."""
    return "".join(text.split())


# --- the page ----------------------------------------------------------------------------


def test_published_page_is_a_document(
    app: Flask, people: dict[str, User], published: Report
) -> None:
    page = as_user(app, people["staff"]).get(PAGE)
    assert page.status_code == 200
    html = page.text
    # title, municipality with register data, cycle and period
    assert "Essen, Stadt: Berichtsrunde 2025" in html
    assert "582.760" in html and "dicht besiedelt" in html and "210,34 km²" in html
    assert "Nordrhein-Westfalen" in html
    assert "01.01.2025" in html and "31.12.2025" in html
    assert "<strong>Kita-Plätze</strong>" in html  # the cycle's objectives
    # indicators with their values, units and normalised values, saying which basis
    assert "Neu zugewiesene Personen im Berichtszeitraum" in html and ">412<" in html
    assert '0,71 <span class="omk-basis">je 1.000 Einwohner</span>' in html  # 412 / 582,760
    assert '29,1 <span class="omk-basis">je 100 Zugewiesene</span>' in html  # 120 / 412
    assert '0,06 <span class="omk-basis">je 10.000 Einwohner</span>' in html  # 3.5 FTE
    assert '0,77 <span class="omk-basis">je Einwohner</span>' in html  # 450,000 EUR
    assert "bezogen auf die Einwohnerzahl laut Gemeindeverzeichnis (582.760)" in html
    assert "neu zugewiesenen Personen (412)" in html
    # each indicator links the practices that explain it, and each practice says so back
    assert f'href="#f-practices-{JOBPATEN["id"]}"' in html
    assert "Erläutert die Kennzahlen" in html
    # each practice's title links its own page (the page of its lineage)
    assert f'href="/massnahmen/{JOBPATEN["id"]}">Jobpaten für Geflüchtete</a>' in html
    practice_page = as_user(app, people["staff"]).get(f"/massnahmen/{JOBPATEN['id']}")
    assert practice_page.status_code == 200 and "Jobpaten für Geflüchtete" in practice_page.text
    # every practice with every field and its sources
    for text in (
        "Jobpaten für Geflüchtete",
        "Ehrenamtliche begleiten Geflüchtete",
        "Jobcenter Essen-Mitte",
        "Jobcenter Essen",
        "Unternehmerverband Ruhr",
        "federführend",
        "abgeschlossen",
        "2017",
        "Juni 2024",  # the end date, as people write it (was 2024-06)
        "24.000 €",
        "0,50 VZÄ",
        "Landesprogramm KOMM-AN",
        "48 Tandems",
        "festen Ansprechperson",
        "jobpaten@essen.example.org",
        "https://presse.example.org/jobpaten-bilanz",
        "Sprachcafé im Stadtteilzentrum",
        "<strong>Neuzugewanderte</strong>",
        'href="https://ratsinfo.example.org/vorlage/4711"',
    ):
        assert text in html, text
    # attribution, and no synthetic note on a real report
    assert "Statistisches Bundesamt (Destatis)" in html and "Revision 1" in html
    assert "synthetisch" not in html
    # the PDF download
    assert f'href="{PDF}"' in html


def test_the_page_speaks_english_on_request(
    app: Flask, people: dict[str, User], published: Report
) -> None:
    html = as_user(app, people["staff"]).get(PAGE, headers={"Accept-Language": "en"}).text
    assert "Comparison value" in html and "Download as PDF" in html
    assert "per 1,000 inhabitants" in html and "per 100 allocated" in html
    assert "based on the population in the municipality register (582,760)" in html


def test_synthetic_indicators_are_flagged_on_page_and_pdf(
    app: Flask, people: dict[str, User], published: Report
) -> None:
    with unit_of_work():
        published.has_synthetic_indicators = True
    staff = as_user(app, people["staff"])
    assert "synthetisch" in staff.get(PAGE).text
    assert "synthetisch" in pdf_text(staff.get(PDF).data)


def test_the_page_links_the_print_stylesheet_for_a4(
    app: Flask, people: dict[str, User], published: Report
) -> None:
    html = as_user(app, people["staff"]).get(PAGE).text
    # fingerprinted by WhiteNoise in production (print.<hash>.css), plain in tests
    assert re.search(r'href="/static/print(\.[0-9a-f]+)?\.css" media="print"', html)
    css = (Path(app.static_folder or "") / "print.css").read_text(encoding="utf-8")
    assert "size: A4" in css
    assert ".omk-nav" in css and ".omk-no-print" in css  # navigation is not printed
    assert 'content: " (" attr(href) ")"' in css  # link URLs are printed
    assert "break-before: page" in css  # each practice on its own page


# --- normalisation (the pure rules are tested in tests/compare/test_bases.py) -----------------


def test_a_report_of_a_gemeindefreies_gebiet_renders_without_per_capita_values(
    app: Flask, people: dict[str, User]
) -> None:
    doc = factories.document(FORST_HAIN, practices=[factories.practice()])
    reports.import_document(people["admin"], doc, publish=True)
    staff = as_user(app, people["staff"])
    page = staff.get(f"/berichte/2025/{FORST_HAIN}/veroeffentlicht")
    assert page.status_code == 200
    assert "keine Einwohnerzahl im Gemeindeverzeichnis" in page.text
    assert "Einwohnerzahl laut Gemeindeverzeichnis (nicht vorhanden)" in page.text
    assert "29,1 <span" in page.text  # per 100 allocated still works
    assert staff.get(f"/berichte/2025/{FORST_HAIN}/bericht.pdf").data.startswith(b"%PDF")


# --- the PDF -------------------------------------------------------------------------------


def test_pdf_download(app: Flask, people: dict[str, User], published: Report) -> None:
    staff = as_user(app, people["staff"])
    started = time.perf_counter()
    response = staff.get(PDF)
    elapsed = time.perf_counter() - started
    assert response.status_code == 200
    assert response.data.startswith(b"%PDF")
    assert response.headers["Content-Type"] == "application/pdf"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="Bericht_Essen_2025.pdf"')
    assert response.headers["Cache-Control"] == "no-store"
    text = pdf_text(response.data)
    assert "Essen, Stadt" in text and "582.760" in text
    assert "412" in text  # an indicator value
    assert "Sprachcafé im Stadtteilzentrum" in text and "Jobpaten für Geflüchtete" in text
    assert "/massnahmen/" not in text  # titles link their pages without printing the address
    assert "(https://ratsinfo.example.org/vorlage/4711)" in squeeze(text)  # URLs are printed
    assert "Statistisches Bundesamt" in text
    assert "Mein Konto" not in text and "Abmelden" not in text  # no navigation
    print(f"PDF of 2 practices: {len(response.data)} bytes in {elapsed:.2f} s")


def test_pdf_filename_keeps_umlauts_in_the_unicode_form(
    app: Flask, people: dict[str, User]
) -> None:
    reports.import_document(
        people["admin"], factories.document(KOELN, practices=[factories.practice()]), publish=True
    )
    response = as_user(app, people["staff"]).get(f"/berichte/2025/{KOELN}/bericht.pdf")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="Bericht_Koeln_2025.pdf"; '
        "filename*=UTF-8''Bericht_K%C3%B6ln_2025.pdf"
    )


def test_pdf_and_page_are_refused_until_published(app: Flask, people: dict[str, User]) -> None:
    """Those who may not even see the report get 404 (its existence stays hidden); those
    who see the draft or the submitted revision get 403 or 404; nobody gets a PDF."""
    report, _ = reports.import_document(people["reporter"], factories.document(ESSEN))
    reporter, staff = as_user(app, people["reporter"]), as_user(app, people["staff"])
    reviewer, admin = as_user(app, people["reviewer"]), as_user(app, people["admin"])

    def refused(client: FlaskClient, hidden: bool) -> None:
        for url in (PDF, PAGE):
            response = client.get(url)
            assert response.status_code == 404 if hidden else response.status_code in (403, 404)
            assert b"%PDF" not in response.data and b"Sprachcaf" not in response.data

    refused(reporter, hidden=False)  # its own draft: it knows it exists
    for client in (staff, reviewer, admin):
        refused(client, hidden=True)
    reports.submit(people["reporter"], report)
    refused(staff, hidden=True)
    for client in (reporter, reviewer, admin):
        refused(client, hidden=False)
    anonymous = app.test_client().get(PDF)
    assert anonymous.status_code in (302, 401) and b"%PDF" not in anonymous.data
    assert staff.get("/berichte/2025/05315000/bericht.pdf").status_code == 404  # no report
    assert staff.get("/berichte/1999/05113000/bericht.pdf").status_code == 404  # no cycle


def test_a_correction_in_progress_shows_the_accepted_revision(
    app: Flask, people: dict[str, User], published: Report
) -> None:
    reports.reopen(people["reviewer"], published, "Zahlen zur Kita prüfen")
    draft = reports.working_document(published)
    draft["practices"][0]["title"] = "Korrekturentwurf mit neuem Titel"
    draft["indicators"]["unterbringung.zuweisungen"] = 824  # would halve the per-100 values
    reports.save_document(people["reporter"], published, draft, edit_version=None)
    for user in ("staff", "reporter", "reviewer", "admin"):
        client = as_user(app, people[user])
        page = client.get(PAGE).text
        assert "Sprachcafé im Stadtteilzentrum" in page, user
        assert "Korrekturentwurf" not in page and ">824<" not in page, user
        assert "29,1 <span" in page  # 120 per 100 of the accepted 412, not of the draft's 824
        if user in ("staff", "reporter"):  # the PDF comes from the same data; two suffice
            text = pdf_text(client.get(PDF).data)
            assert "Sprachcafé im Stadtteilzentrum" in text, user
            assert "Korrekturentwurf" not in text and "824" not in text, user


# --- only local resources -------------------------------------------------------------------


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Record (and refuse) every attempt to open a network connection."""
    attempts: list[Any] = []

    def refuse(self: socket.socket, address: Any, *args: Any) -> None:
        attempts.append(address)
        raise OSError("network access in a test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    return attempts


HOSTILE = """Bild: ![Logo](https://evil.example/logo.png) und [Link](https://evil.example/seite).

<img src="https://evil.example/raw.png"> <link rel="stylesheet" href="https://evil.example/x.css">
<style>@import url(https://evil.example/import.css);</style>
<object data="https://evil.example/o.svg"></object> <iframe src="https://evil.example/f"></iframe>
"""


def test_external_urls_in_markdown_trigger_no_fetch(
    app: Flask,
    people: dict[str, User],
    monkeypatch: pytest.MonkeyPatch,
    no_network: list[Any],
) -> None:
    practice = factories.practice(description=HOSTILE, outcomes=HOSTILE, transferability=HOSTILE)
    publish(people, factories.document(ESSEN, practices=[practice]))
    renders: list[publication.RenderedPdf] = []
    original = publication.render_pdf

    def spy(html: str) -> publication.RenderedPdf:
        renders.append(original(html))
        return renders[-1]

    monkeypatch.setattr(publication, "render_pdf", spy)
    response = as_user(app, people["staff"]).get(PDF)
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    assert "https://evil.example/seite" in pdf_text(response.data)  # printed, not fetched
    assert renders[0].refused == []
    assert no_network == []


def test_the_fetcher_serves_static_files_and_refuses_everything_else(
    app: Flask, no_network: list[Any]
) -> None:
    html = """<html><head>
      <link rel="stylesheet" href="/static/print.css">
      <link rel="stylesheet" href="https://evil.example/x.css">
      <link rel="stylesheet" href="/static/../../../../etc/passwd">
      <link rel="stylesheet" href="/static/%2e%2e/%2e%2e/setup.cfg">
    </head><body><h1>Test</h1>
      <img src="http://evil.example/i.png"><img src="file:///etc/passwd">
      <img src="data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg'/%3E">
      <img src="//evil.example/protocol-relative.png"><img src="/kommunen/">
    </body></html>"""
    with app.test_request_context():
        rendered = publication.render_pdf(html)
    assert rendered.data.startswith(b"%PDF")
    refused = " ".join(rendered.refused)
    for fragment in (
        "evil.example/x.css",
        "evil.example/i.png",
        "file:///etc/passwd",
        "data:image/svg",
        "evil.example/protocol-relative.png",
        "/kommunen/",
        "setup.cfg",
    ):
        assert fragment in refused, fragment
    assert "print.css" not in refused
    assert no_network == []


# --- print in a browser ---------------------------------------------------------------------


@pytest.mark.browser
def test_browser_print_is_clean_a4(app: Flask, people: dict[str, User], published: Report) -> None:
    email = people["staff"].email  # read here: the browser's thread has no app context

    def print_page(browser: Any, origin: str) -> tuple[bytes, list[str]]:
        context, foreign = new_context(browser, origin)
        log_in(context, email)
        page = context.new_page()
        page.goto(PAGE)
        page.emulate_media(media="print")
        data = page.pdf(prefer_css_page_size=True)
        context.close()
        return data, foreign.urls

    with live_server(app) as origin, chromium() as browser:
        data, foreign_urls = browser.run(print_page, origin)
    text = pdf_text(data)
    assert "Essen, Stadt" in text and "Jobpaten für Geflüchtete" in text
    assert "(https://ratsinfo.example.org/vorlage/4711)" in squeeze(text)
    for navigation in ("Mein Konto", "Abmelden", "Hauptnavigation", "Als PDF herunterladen"):
        assert navigation not in text
    assert foreign_urls == []
    # A4 (595 x 842 pt), and a page break before the second practice
    assert all(abs(w - 595.3) < 2 and abs(h - 841.9) < 2 for w, h in page_sizes(data))
    pages = text.split("\f")
    assert any("Jobpaten für Geflüchtete" in p and "Sprachcafé" not in p for p in pages)


def test_a_pdf_is_rendered_once_and_served_from_the_cache(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []
    original = publication.render_pdf

    def counting(html: str) -> Any:
        calls.append(1)
        return original(html)

    monkeypatch.setattr(publication, "render_pdf", counting)
    with app.test_request_context():
        first = publication.pdf_for("<html><body><p>Bericht</p></body></html>")
        second = publication.pdf_for("<html><body><p>Bericht</p></body></html>")
        other = publication.pdf_for("<html><body><p>Anderer Bericht</p></body></html>")
    assert first == second and first.startswith(b"%PDF")
    assert other != first
    assert len(calls) == 2
