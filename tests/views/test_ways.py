"""Ways between pages (issue 14): the municipality page leads on, the name search ranks,
publishing and submitting are confirmed, invitations name places, links use OMK_BASE_URL,
and static files are fingerprinted, compressed and cached with the security headers."""

from __future__ import annotations

import re
from collections.abc import Callable
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, url_for
from flask.testing import FlaskClient

from omk.models import User
from omk.services import reports
from tests import factories
from tests.conftest import login
from tests.views.test_municipalities import result_rows

ESSEN = "05113000"


@pytest.fixture
def published(make_user: Callable[..., User]) -> dict[str, Any]:
    """Essen with an accepted 2025 report and a 2026 draft; its reporter, a reviewer, staff."""
    factories.make_cycle("2025")
    factories.make_cycle("2026")
    people = {
        "reporter": make_user("reporter", municipality=ESSEN),
        "reviewer": make_user("reviewer", scope="05"),
        "staff": make_user("staff"),
    }
    doc = factories.document(ESSEN, practices=[factories.practice("Sprachcafé am Markt")])
    report, _ = reports.import_document(people["reporter"], doc)
    reports.submit(people["reporter"], report)
    reports.accept(people["reviewer"], report)
    draft = factories.document(
        ESSEN, cycle="2026", practices=[factories.practice("Geheimer Entwurf Lernpaten")]
    )
    reports.import_document(people["reporter"], draft)
    return people


def _as(app: Flask, user: User) -> FlaskClient:
    client = app.test_client()
    assert login(client, user).status_code == 302
    return client


def test_the_municipality_page_lists_reports_and_practices(
    app: Flask, published: dict[str, Any]
) -> None:
    staff = _as(app, published["staff"]).get(f"/kommunen/{ESSEN}").text
    assert "/berichte/2025/05113000/veroeffentlicht" in staff
    assert "Sprachcafé am Markt" in staff and "/massnahmen/" in staff
    assert "2026" not in re.sub(r"<footer.*", "", staff, flags=re.S).split("reports-heading")[1]
    assert "Geheimer Entwurf" not in staff

    own = _as(app, published["reporter"]).get(f"/kommunen/{ESSEN}").text
    assert "/berichte/2026/05113000/" in own and "Entwurf" in own  # its own draft

    anonymous = app.test_client().get(f"/kommunen/{ESSEN}").text
    assert "registrierte Fachkräfte der Integrationsarbeit" in anonymous
    assert "Sprachcafé" not in anonymous and "/berichte/2025" not in anonymous


def test_an_anonymous_report_link_says_who_may_read_it(
    app: Flask, published: dict[str, Any]
) -> None:
    client = app.test_client()
    response = client.get("/berichte/2025/05113000/veroeffentlicht")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).text
    assert "für registrierte Fachkräfte der Integrationsarbeit bestimmt" in page
    assert "regionale Stelle" in page
    plain = client.get("/anmelden").text
    assert "registrierte Fachkräfte der Integrationsarbeit bestimmt" not in plain


def test_the_name_search_ranks_the_place_itself_first(client: FlaskClient, register: None) -> None:
    names = result_rows(client.get("/kommunen/?q=Essen").text)
    assert names and names[0].startswith("Essen, Stadt"), names
    names = result_rows(client.get("/kommunen/?q=essen&level=alle").text)
    assert names[0].startswith("Essen"), names


def test_inviting_by_name(app: Flask, make_user: Callable[..., User]) -> None:
    admin = make_user("admin", name="Anna Admin")
    client = _as(app, admin)
    data = {"email": "neu@example.org", "role": "reporter", "municipality": "Essen"}
    assert client.post("/konten/einladen", data=data).status_code == 302
    [mail] = [m for m in _mails(app) if m["To"] == "neu@example.org"]
    body = mail.get_content()
    assert "Anna Admin (" in body and admin.email in body
    assert "Berichterstattung (Kommune)" in body and "Essen, Stadt (05113000)" in body

    # a name that fits several entries: the candidates, offered in a datalist
    data = {"email": "zwei@example.org", "role": "reviewer", "scope": "Kö"}
    page = client.post("/konten/einladen", data=data)
    assert page.status_code == 422
    assert '<datalist id="scope-options">' in page.text and 'list="scope-options"' in page.text
    chosen = re.findall(r'<option value="([^"]+\(\d+\))">', page.text)
    assert len(chosen) >= 2
    data["scope"] = chosen[0]
    assert client.post("/konten/einladen", data=data).status_code == 302

    # a reporter needs a municipality, and the field is not marked optional
    form = client.get("/konten/einladen").text
    assert "optional" not in form.split('for="municipality"')[1].split("</label>")[0]
    data = {"email": "ohne@example.org", "role": "reporter", "municipality": ""}
    refused = client.post("/konten/einladen", data=data)
    assert refused.status_code == 422 and "bitte die Kommune angeben" in refused.text
    long_name = {"email": "lang@example.org", "role": "staff", "municipality": "x" * 60}
    assert "keinen passenden Eintrag" in client.post("/konten/einladen", data=long_name).text


def _mails(app: Flask) -> list[EmailMessage]:
    folder = Path(app.instance_path) / "mail"
    return [
        message_from_bytes(p.read_bytes(), policy=default)  # type: ignore[misc]
        for p in sorted(folder.glob("*.eml"))
    ]


def test_page_links_follow_the_host_only_in_debug_with_the_default_base(
    make_app: Callable[..., Flask],
) -> None:
    from omk.links import page_base_url, secret_base_url

    debug = make_app(DEBUG=True, BASE_URL="http://127.0.0.1:5000")
    with debug.test_request_context(base_url="http://10.0.0.5:8080"):
        assert page_base_url() == "http://10.0.0.5:8080"
        assert secret_base_url() == "http://127.0.0.1:5000"
    configured = make_app(DEBUG=True, BASE_URL="https://omk.example.org")
    with configured.test_request_context(base_url="http://evil.example"):
        assert page_base_url() == "https://omk.example.org"
    production = make_app(BASE_URL="http://127.0.0.1:5000")
    with production.test_request_context(base_url="http://evil.example"):
        assert page_base_url() == "http://127.0.0.1:5000"


def test_static_files_are_fingerprinted_compressed_and_cached(app: Flask) -> None:
    with app.test_request_context():
        css = url_for("static", filename="omk.css")
        fonts = url_for("static", filename="fonts.css")
    assert re.fullmatch(r"/static/omk\.[0-9a-f]{12}\.css", css)
    client = app.test_client()
    response = client.get(css, headers={"Accept-Encoding": "gzip"})
    response.close()
    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == "gzip"
    assert "immutable" in response.headers["Cache-Control"]
    assert "max-age=" in response.headers["Cache-Control"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    # the fonts CSS names fingerprinted font files, and only the faces used
    text = client.get(fonts).get_data(as_text=True)
    faces = re.findall(r'url\("([^"]+)"\)', text)
    assert len(faces) == 4 and all(re.search(r"\.[0-9a-f]{12}\.woff2$", f) for f in faces)
    font = client.get(posix_join(fonts, faces[0]))
    font.close()
    assert font.status_code == 200 and "immutable" in font.headers["Cache-Control"]
    page = client.get("/").text
    assert "kern/fonts/fira-sans.css" not in page and re.search(
        r"kern\.min\.[0-9a-f]{12}\.css", page
    )


def posix_join(base: str, relative: str) -> str:
    import posixpath

    return posixpath.normpath(posixpath.join(posixpath.dirname(base), relative))


def test_the_cycle_page_for_a_reviewer(app: Flask, make_user: Callable[..., User]) -> None:
    factories.make_cycle("2025")
    essen = make_user("reporter", municipality=ESSEN)
    make_user("reporter", municipality="05334004")  # Alsdorf: expected, nothing started
    reviewer = make_user("reviewer", scope="05")
    report, _ = reports.import_document(essen, factories.document(ESSEN))
    reports.submit(essen, report)
    client = _as(app, reviewer)

    page = client.get("/berichtsrunden/2025").text
    assert "Ihr Ausschnitt:" in page and "Nordrhein-Westfalen (05)" in page
    assert "Alsdorf" in page and "Essen" in page
    only = client.get("/berichtsrunden/2025?stand=nicht_begonnen").text
    table = only.split("<tbody", 1)[1]
    assert "Alsdorf" in table and "Essen" not in table

    csv = client.get("/berichtsrunden/2025/stand.csv?sortierung=schluessel")
    assert csv.status_code == 200 and csv.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in csv.headers["Content-Disposition"]
    lines = csv.get_data().decode("utf-8-sig").splitlines()
    assert lines[0].startswith("Schlüssel;Kommune;Stand")
    assert [line.split(";")[0] for line in lines[1:]] == ["05113000", "05334004"]

    # the queue: deadline, days since submission, state; sortable
    queue = client.get("/berichte/?sortierung=wartezeit").text
    assert "Tage seit Einreichung" in queue and 'aria-sort="descending"' in queue

    # remind those that have not reported: once a day, audited
    before = len(_mails(app))
    assert client.post("/berichtsrunden/2025/erinnern").status_code == 302
    sent = _mails(app)[before:]
    assert len(sent) == 1 and "Alsdorf" in sent[0].get_content()
    assert client.post("/berichtsrunden/2025/erinnern").status_code == 302
    assert len(_mails(app)) == before + 1
    staff = _as(app, make_user("staff"))
    assert staff.post("/berichtsrunden/2025/erinnern").status_code == 403
    assert staff.get("/berichtsrunden/2025/stand.csv").status_code == 403


def test_the_accounts_page_pages_and_filters(app: Flask, make_user: Callable[..., User]) -> None:
    admin = make_user("admin")
    for _ in range(55):
        make_user("staff")
    make_user("reviewer", scope="05")
    client = _as(app, admin)
    first = client.get("/konten/").text
    assert "57 Konten" in first and "Seite 1 von 2" in first and 'rel="next"' in first
    assert len(re.findall(r'href="/konten/\d+"', first)) == 50
    second = client.get("/konten/?seite=2").text
    assert 'rel="prev"' in second
    reviewers = client.get("/konten/?rolle=reviewer").text
    assert "1 Konto" in reviewers and "reviewer" in reviewers
    assert "1 Konto" in client.get("/konten/?region=05").text
    assert "57 Konten" in client.get("/konten/?status=aktiv").text
    assert "0 Konten" in client.get("/konten/?status=deaktiviert").text
    assert client.get("/konten/?seite=999&rolle=unsinn").status_code == 200
