"""The offline path through the app: workbook download, upload of workbooks and JSON files."""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook
from werkzeug.test import TestResponse

from omk import exchange, workbook
from omk.models import User
from omk.models.reporting import Report
from omk.services import cycles, reports
from tests import factories
from tests import workbook_fixtures as fx
from tests.conftest import login

ESSEN, KOELN, HERSFELD = "05113000", "05315000", "06632002"
BASE = f"/berichte/2025/{ESSEN}"
MARKER = "GEHEIM-ENTWURF-7f3a9c"


@pytest.fixture
def people(app: Flask, make_user: Callable[..., User]) -> dict[str, User]:
    factories.make_cycle("2025")
    return {
        "reporter": make_user("reporter", municipality=ESSEN),
        "colleague": make_user("reporter", municipality=ESSEN),
        "reporter_b": make_user("reporter", municipality=KOELN),
        "reporter_c": make_user("reporter", municipality=HERSFELD),
        "reviewer": make_user("reviewer", scope="05"),
        "reviewer_2": make_user("reviewer", scope="06"),
        "staff": make_user("staff"),
        "admin": make_user("admin"),
    }


def as_user(app: Flask, user: User | None) -> FlaskClient:
    client = app.test_client()
    if user is not None:
        assert login(client, user).status_code == 302
    return client


def start(user: User, doc: dict[str, Any] | None = None) -> Report:
    """A draft of Essen with the fixture's practices (fixed ids)."""
    report, _ = reports.import_document(user, doc or fx.base_document())
    return report


def submit(app: Flask, user: User) -> None:
    """Submit Essen's report through the page, as the reporter does."""
    client = as_user(app, user)
    page = client.get(BASE + "/")
    version = re.search(r'name="edit_version" value="(\d+)"', page.text).group(1)  # type: ignore[union-attr]
    assert (
        client.post(
            BASE + "/einreichen", data={"confirm": "1", "edit_version": version}
        ).status_code
        == 302
    )
    assert reports.get_report("2025", ESSEN).state == "submitted"


def draft(report: Report | None = None) -> dict[str, Any]:
    return reports.working_document(report or reports.get_report("2025", ESSEN))


def edit_version(client: FlaskClient) -> str:
    page = client.get(BASE + "/hochladen")
    assert page.status_code == 200
    match = re.search(r'name="edit_version" value="(\d*)"', page.text)
    assert match
    return match.group(1)


def upload(
    client: FlaskClient,
    data: bytes,
    filename: str = "bericht.xlsx",
    version: str | None = None,
    **form: str,
) -> TestResponse:
    version = edit_version(client) if version is None else version
    return client.post(
        BASE + "/hochladen",
        data={"edit_version": version, "file": (io.BytesIO(data), filename), **form},
        content_type="multipart/form-data",
    )


def error_rows(html: str) -> list[list[str]]:
    """The rows of the error table: place, field, message."""
    start = re.search(r'<table class="[^"]*\bomk-upload', html)
    table = html[start.start() :] if start else ""
    table = table[: table.find("</table>")]
    rows = []
    for row in re.findall(r"<tr class=\"kern-table__row\">(.*?)</tr>", table, re.S)[1:]:
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        rows.append([re.sub(r"<[^>]+>", "", c).replace("&#39;", "'").strip() for c in cells])
    return rows


def edit(data: bytes, change: Callable[[Any], None]) -> bytes:
    wb = load_workbook(io.BytesIO(data))
    change(wb)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def workbook_text(data: bytes) -> str:
    """Every XML part of a workbook, as text (to look for a marker)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return "".join(archive.read(n).decode("utf-8", "replace") for n in archive.namelist())


# --- round trip --------------------------------------------------------------------------------


def test_round_trip_unchanged_then_one_cell_edited(app: Flask, people: dict[str, User]) -> None:
    report = start(people["reporter"])
    before = draft(report)
    version_before = reports.get_report("2025", ESSEN).edit_version
    client = as_user(app, people["reporter"])

    page = client.get(BASE + "/")
    assert BASE + "/vorlage.xlsx" in page.text and BASE + "/hochladen" in page.text
    download = client.get(BASE + "/vorlage.xlsx")
    assert download.status_code == 200
    assert download.mimetype == workbook.MIME_TYPE
    assert f"omk-bericht-2025-{ESSEN}.xlsx" in download.headers["Content-Disposition"]
    assert download.headers["Cache-Control"] == "no-store"

    # unchanged: nothing changes, ids are kept
    response = upload(client, download.data)
    assert response.status_code == 302
    page = client.get(response.headers["Location"])
    assert "Die Datei enthält keine Änderungen gegenüber dem Entwurf." in page.text
    assert draft() == before
    assert reports.get_report("2025", ESSEN).edit_version == version_before

    # one cell edited with openpyxl: exactly that change
    def change(wb: Any) -> None:
        pr = wb["Maßnahmen"]
        pr.cell(5, fx.column(pr, "Titel")).value = "Patenschaften für Familien und Alleinstehende"

    response = upload(client, edit(download.data, change))
    assert response.status_code == 302
    page = client.get(response.headers["Location"])
    assert "Datei übernommen: 1 Maßnahme geändert." in page.text
    assert "nicht eingereicht" in page.text
    after = draft()
    assert exchange.diff(before, after) == [
        {
            "field": f"practices[{fx.PATEN}].title",
            "old": "Patenschaften für Familien",
            "new": "Patenschaften für Familien und Alleinstehende",
        }
    ]
    assert [p["id"] for p in after["practices"]] == [fx.SPRACHCAFE, fx.PATEN]
    report = reports.get_report("2025", ESSEN)
    assert report.state == "draft" and report.revision_count == 0  # filled, never submitted


def test_libreoffice_workbook_uploads_with_its_changes(app: Flask, people: dict[str, User]) -> None:
    start(people["reporter"])
    before = draft()
    client = as_user(app, people["reporter"])
    response = upload(client, fx.CLEAN.read_bytes())
    assert response.status_code == 302, error_rows(response.text)
    page = client.get(response.headers["Location"])
    assert (
        "Datei übernommen: 4 Kennzahlen geändert, 1 Maßnahme neu, 2 Maßnahmen geändert, "
        "1 Zuordnung Kennzahl–Maßnahme geändert." in page.text
    )
    after = draft()
    assert after["indicators"]["unterbringung.zuweisungen"] == 415
    assert [p["title"] for p in after["practices"]] == [
        "Sprachcafé im Stadtteilzentrum",
        "Patenschaften für Familien",
        "Lernpaten Weststadt",
    ]
    assert after["practices"][0]["id"] == before["practices"][0]["id"]


def test_libreoffice_workbook_with_mistakes_lists_every_cell_and_saves_nothing(
    app: Flask, people: dict[str, User]
) -> None:
    start(people["reporter"])
    before, version = draft(), reports.get_report("2025", ESSEN).edit_version
    client = as_user(app, people["reporter"])
    response = upload(client, fx.ERRORS.read_bytes())
    assert response.status_code == 422
    assert "Die Arbeitsmappe enthält Fehler; es wurde nichts gespeichert." in response.text
    rows = error_rows(response.text)
    assert [row[0] for row in rows] == [
        "Blatt Kennzahlen, Zeile 5, Spalte Wert",
        "Blatt Kennzahlen, Zeile 6, Spalte Wert",
        "Blatt Kennzahlen, Zeile 7, Spalte Wert",
        "Blatt Kennzahlen, Zeile 8, Spalte Wert",
        "Blatt Kennzahlen, Zeile 9, Spalte Code",
        "Blatt Maßnahmen, Zeile 4, Spalte Kriterium",
        "Blatt Maßnahmen, Zeile 4, Spalte Beginn (JJJJ oder JJJJ-MM)",
        "Blatt Maßnahmen, Zeile 4, Spalte Budget in Euro",
        "Blatt Maßnahmen, Zeile 6, Spalte Titel",
        "Blatt Maßnahmen, Zeile 6, Spalte Erläutert Kennzahlen",
        "Blatt Maßnahmen, Zeile 6, Spalte Akteur 2: federführend",
        "Blatt Maßnahmen, Zeile 6, Spalte Akteur 3: Name",
        "Blatt Maßnahmen, Zeile 7, Spalte ID",
        "Blatt Maßnahmen, Zeile 7, Spalte Quellen (Links)",
    ]
    assert rows[0][1] == "indicators.unterbringung.zuweisungen"
    assert rows[5][1] == f"practices[{fx.SPRACHCAFE}].criterion"
    assert "Unbekannter Code 'Quatsch'" in rows[5][2]
    assert "14 Fehler gefunden." in response.text
    assert draft() == before
    assert reports.get_report("2025", ESSEN).edit_version == version


def test_a_new_report_can_start_from_the_blank_template(
    app: Flask, people: dict[str, User]
) -> None:
    client = as_user(app, people["reporter"])
    blank = client.get("/berichte/2025/vorlage.xlsx")
    assert blank.status_code == 200
    assert "omk-vorlage-2025.xlsx" in blank.headers["Content-Disposition"]

    def fill(wb: Any) -> None:
        ind, pr = wb["Kennzahlen"], wb["Maßnahmen"]
        ind.cell(fx.indicator_row(ind, "unterbringung.zuweisungen"), 4).value = 300
        values = {
            "Titel": "Willkommenscafé",
            "Zusammenfassung in einem Satz": "Ein Treffpunkt im Rathaus.",
            "Kriterium": "Soziale Einbindung in die Zivilgesellschaft",
            "Beschreibung": "Jeden Freitag.",
            "Akteur 1: Name": "Stadt Essen",
            "Akteur 1: Typ": "Kommunalverwaltung",
        }
        for heading, value in values.items():
            pr.cell(4, fx.column(pr, heading)).value = value

    assert reports.find_report(cycles.get_cycle("2025"), ESSEN) is None
    page = client.get(BASE + "/hochladen")
    assert page.status_code == 200
    response = upload(client, edit(blank.data, fill), version="")
    assert response.status_code == 302, error_rows(response.text)
    doc = draft()
    assert doc["indicators"] == {"unterbringung.zuweisungen": 300}
    assert doc["practices"][0]["criterion"] == "zivilgesellschaft"
    assert doc["practices"][0]["actors"] == [
        {"name": "Stadt Essen", "type": "verwaltung", "lead": False}
    ]


# --- the edit check ------------------------------------------------------------------------------


def test_a_draft_changed_since_the_download_is_not_silently_overwritten(
    app: Flask, people: dict[str, User]
) -> None:
    report = start(people["reporter"])
    client = as_user(app, people["reporter"])
    data = client.get(BASE + "/vorlage.xlsx").data
    # meanwhile a colleague saves the draft in the browser
    changed = draft(report)
    changed["indicators"]["arbeitsmarkt.praktika"] = 77
    reports.save_document(people["colleague"], report, changed, edit_version=None)

    def change(wb: Any) -> None:
        ind = wb["Kennzahlen"]
        ind.cell(fx.indicator_row(ind, "arbeitsmarkt.ausbildung"), 4).value = 40

    mine = edit(data, change)
    response = upload(client, mine)
    assert response.status_code == 409
    assert "Der Entwurf wurde geändert, seit diese Arbeitsmappe heruntergeladen wurde" in (
        response.text
    )
    assert 'name="replace"' in response.text
    assert "<li>Vermittelte Praktika</li>" in response.text  # what would be lost
    assert draft()["indicators"]["arbeitsmarkt.praktika"] == 77
    assert draft()["indicators"]["arbeitsmarkt.ausbildung"] == 35

    # confirmed: the workbook replaces the draft
    response = upload(client, mine, replace="1")
    assert response.status_code == 302
    assert draft()["indicators"]["arbeitsmarkt.ausbildung"] == 40
    assert draft()["indicators"]["arbeitsmarkt.praktika"] == 60


def test_uploading_the_same_workbook_again_after_more_edits_is_no_conflict(
    app: Flask, people: dict[str, User]
) -> None:
    start(people["reporter"])
    client = as_user(app, people["reporter"])
    data = client.get(BASE + "/vorlage.xlsx").data

    def first(wb: Any) -> None:
        pr = wb["Maßnahmen"]
        pr.cell(4, fx.column(pr, "Ergebnisse")).value = "Rund 45 Teilnehmende pro Woche."

    once = edit(data, first)
    assert upload(client, once).status_code == 302

    def second(wb: Any) -> None:  # the same file, edited further, uploaded again
        pr = wb["Maßnahmen"]
        pr.cell(4, fx.column(pr, "Ort oder Stadtteil")).value = "Stadtteilzentrum Altendorf"

    response = upload(client, edit(once, second))
    assert response.status_code == 302, response.text
    first_practice = draft()["practices"][0]
    assert first_practice["outcomes"] == "Rund 45 Teilnehmende pro Woche."
    assert first_practice["site"] == "Stadtteilzentrum Altendorf"


def test_a_colleague_change_in_another_practice_field_is_protected(
    app: Flask, people: dict[str, User]
) -> None:
    report = start(people["reporter"])
    client = as_user(app, people["reporter"])
    data = client.get(BASE + "/vorlage.xlsx").data
    changed = draft(report)
    changed["practices"][1]["outcomes"] = "Zwölf Patenschaften."
    changed["indicators"]["arbeitsmarkt.praktika"] = 77
    reports.save_document(people["colleague"], report, changed, edit_version=None)

    def change(wb: Any) -> None:
        ind, pr = wb["Kennzahlen"], wb["Maßnahmen"]
        ind.cell(fx.indicator_row(ind, "arbeitsmarkt.praktika"), 4).value = 77  # the same
        pr.cell(5, fx.column(pr, "Titel")).value = "Patenschaften"

    response = upload(client, edit(data, change))
    assert response.status_code == 409
    assert "Maßnahme „Patenschaften für Familien“ – Ergebnisse" in response.text
    assert "Vermittelte Praktika" not in response.text  # typed the same value: no loss
    assert draft()["practices"][1]["title"] == "Patenschaften für Familien"


def test_a_save_after_the_upload_page_was_opened_is_a_conflict(
    app: Flask, people: dict[str, User]
) -> None:
    report = start(people["reporter"])
    client = as_user(app, people["reporter"])
    version = edit_version(client)
    data = client.get(BASE + "/vorlage.xlsx").data
    changed = draft(report)
    changed["indicators"]["arbeitsmarkt.praktika"] = 77
    reports.save_document(people["colleague"], report, changed, edit_version=None)
    fresh = client.get(BASE + "/vorlage.xlsx").data  # made from the new draft …

    def change(wb: Any) -> None:
        ind = wb["Kennzahlen"]
        ind.cell(fx.indicator_row(ind, "arbeitsmarkt.ausbildung"), 4).value = 40

    # … but sent from the page opened before the colleague saved
    response = upload(client, edit(fresh, change), version=version)
    assert response.status_code == 409
    assert "inzwischen von jemand anderem gespeichert" in response.text
    assert draft()["indicators"]["arbeitsmarkt.ausbildung"] == 35
    assert data  # the old workbook is simply outdated


def test_the_blank_template_does_not_silently_replace_a_filled_draft(
    app: Flask, people: dict[str, User]
) -> None:
    start(people["reporter"])
    client = as_user(app, people["reporter"])
    blank = client.get("/berichte/2025/vorlage.xlsx").data
    response = upload(client, blank)
    assert response.status_code == 409
    assert "leere Vorlage der Runde" in response.text
    assert len(draft()["practices"]) == 2


# --- JSON ------------------------------------------------------------------------------------


def test_json_upload_shows_each_path_and_reason(app: Flask, people: dict[str, User]) -> None:
    start(people["reporter"])
    before = draft()
    client = as_user(app, people["reporter"])
    doc = fx.base_document()
    doc["indicators"]["unterbringung.dezentral_anteil"] = "viel"
    doc["practices"][0]["criterion"] = "quatsch"
    doc["practices"][1]["sources"] = ["ftp://example.org"]
    del doc["practices"][1]["summary"]
    response = upload(client, json.dumps(doc).encode(), "bericht.json")
    assert response.status_code == 422
    rows = error_rows(response.text)
    assert sorted(rows) == [  # the JSON path and the reason
        ["indicators.unterbringung.dezentral_anteil", "Erwartet wird eine Zahl oder null."],
        [
            f"practices[{fx.SPRACHCAFE}].criterion",
            "Unbekannter Code 'quatsch'. Erlaubt: unterbringung, sprache_bildung, "
            "arbeitsmarkt, zivilgesellschaft, verwaltung.",
        ],
        [f"practices[{fx.PATEN}].sources[0]", "Ein Link muss mit http:// oder https:// beginnen."],
        [f"practices[{fx.PATEN}].summary", "Pflichtfeld fehlt."],
    ]
    assert draft() == before


def test_json_upload_fills_the_draft(app: Flask, people: dict[str, User]) -> None:
    start(people["reporter"])
    client = as_user(app, people["reporter"])
    doc = fx.base_document()
    doc["indicators"]["arbeitsmarkt.praktika"] = 61
    doc["practices"].append(factories.practice("Neu aus dem Fachverfahren", id=None))
    body = b"\xef\xbb\xbf" + json.dumps(doc, ensure_ascii=False).encode()  # with a BOM
    response = upload(client, body, "export.json")
    assert response.status_code == 302
    page = client.get(response.headers["Location"])
    assert "Datei übernommen: 1 Kennzahl geändert, 1 Maßnahme neu." in page.text
    after = draft()
    assert after["indicators"]["arbeitsmarkt.praktika"] == 61
    assert after["practices"][2]["title"] == "Neu aus dem Fachverfahren"
    assert after["practices"][2]["id"]
    assert reports.get_report("2025", ESSEN).state == "draft"


def test_json_for_another_municipality_is_refused(app: Flask, people: dict[str, User]) -> None:
    start(people["reporter"])
    client = as_user(app, people["reporter"])
    doc = fx.base_document()
    doc["municipality"] = KOELN
    response = upload(client, json.dumps(doc).encode(), "bericht.json")
    assert response.status_code == 422
    assert error_rows(response.text) == [["municipality", "Der Bericht gehört zu 05113000."]]


@pytest.mark.parametrize(
    ("body", "name", "message"),
    [
        (b"", "leer.xlsx", "Die Datei ist leer."),
        (b"{ kaputt", "bericht.json", "kein gültiges JSON (Zeile 1, Spalte 3"),
        (b"\xff\xfe{}", "bericht.json", "nicht UTF-8-kodiert"),
        (b'{"indicators": {"a.b": NaN}}', "bericht.json", "enthält NaN"),
        (b"[" * 50_000 + b"]" * 50_000, "bericht.json", "zu tief verschachtelt"),
        (b"PK\x03\x04kaputt", "bericht.xlsx", "beschädigt"),
        (b"<html></html>", "bericht.xlsx", "keine Excel-Arbeitsmappe"),
        (b"PK\x03\x04", "bericht.ods", "Excel-Arbeitsmappe (.xlsx)"),
        (b"Titel;Wert", "bericht.txt", "eine Excel-Arbeitsmappe (.xlsx) oder eine JSON-Datei"),
    ],
)
def test_unusable_files_get_a_clear_message(
    app: Flask, people: dict[str, User], body: bytes, name: str, message: str
) -> None:
    start(people["reporter"])
    before = draft()
    client = as_user(app, people["reporter"])
    response = upload(client, body, name)
    assert response.status_code == 422
    assert message in response.text
    assert draft() == before


def test_no_file_chosen(app: Flask, people: dict[str, User]) -> None:
    start(people["reporter"])
    client = as_user(app, people["reporter"])
    response = client.post(BASE + "/hochladen", data={"edit_version": edit_version(client)})
    assert response.status_code == 422 and "Bitte wählen Sie eine Datei aus." in response.text


def test_size_limit(make_app: Callable[..., Flask], make_user: Callable[..., User]) -> None:
    app = make_app(UPLOAD_MAX_BYTES=1000, MAX_CONTENT_LENGTH=20_000)
    with app.app_context():
        factories.make_cycle("2025")
        reporter = make_user("reporter", municipality=ESSEN)
        start(reporter)
        client = as_user(app, reporter)
        response = upload(client, b"{" + b" " * 2000 + b"}", "bericht.json")
        assert response.status_code == 422
        assert "Die Datei ist zu groß (höchstens 1 KB)." in response.text
        response = upload(client, b"{" + b" " * 30_000 + b"}", "bericht.json")
        assert response.status_code == 413


def test_no_upload_into_a_submitted_report(app: Flask, people: dict[str, User]) -> None:
    start(people["reporter"])
    submit(app, people["reporter"])
    client = as_user(app, people["reporter"])
    page = client.get(BASE + "/hochladen")
    assert page.status_code == 200 and "Eingereicht" in page.text
    assert 'type="file"' not in page.text
    response = upload(client, json.dumps(fx.base_document()).encode(), "b.json", version="")
    assert response.status_code == 409
    assert reports.get_report("2025", ESSEN).state == "submitted"


def test_csrf_is_required(make_app: Callable[..., Flask], make_user: Callable[..., User]) -> None:
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        factories.make_cycle("2025")
        reporter = make_user("reporter", municipality=ESSEN)
        start(reporter)
        client = app.test_client()
        page = client.get("/anmelden")
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
        client.post(
            "/anmelden",
            data={"email": reporter.email, "password": "korrekt-pferd-batterie-heftklammer"}
            | {"csrf_token": token},
        )
        before = draft()
        doc = fx.base_document()
        doc["indicators"]["arbeitsmarkt.praktika"] = 99
        response = client.post(
            BASE + "/hochladen",
            data={"file": (io.BytesIO(json.dumps(doc).encode()), "b.json")},
            content_type="multipart/form-data",
        )
        assert response.status_code == 400
        assert draft() == before


# --- who may ---------------------------------------------------------------------------------

OTHERS = ["reporter_b", "reporter_c", "reviewer", "reviewer_2", "staff", "admin"]


@pytest.mark.parametrize("who", OTHERS)
def test_only_the_municipality_gets_its_draft_workbook_and_upload(
    app: Flask, people: dict[str, User], who: str
) -> None:
    doc = fx.base_document()
    doc["practices"][0]["title"] = f"Sprachcafé {MARKER}"
    report = start(people["reporter"], doc)
    client = as_user(app, people[who])
    for path in ("/vorlage.xlsx", "/hochladen"):
        response = client.get(BASE + path)
        assert response.status_code in (403, 404), (who, path)
        assert MARKER not in response.get_data(as_text=True)
    before = draft(report)
    attack = fx.base_document()
    attack["indicators"]["arbeitsmarkt.praktika"] = 1
    response = client.post(
        BASE + "/hochladen",
        data={"file": (io.BytesIO(json.dumps(attack).encode()), "b.json"), "edit_version": "0"},
        content_type="multipart/form-data",
    )
    assert response.status_code in (403, 404)
    assert draft(report) == before

    # a submitted draft is still the municipality's: the reviewer sees revisions, not this
    submit(app, people["reporter"])
    response = client.get(BASE + "/vorlage.xlsx")
    assert response.status_code in (403, 404)

    # the blank template never carries anyone's data
    blank = client.get("/berichte/2025/vorlage.xlsx")
    if who.startswith("reporter"):
        assert blank.status_code == 200
        assert MARKER not in workbook_text(blank.data)
        assert ESSEN not in workbook_text(blank.data)
    else:
        assert blank.status_code in (403, 404)


def test_the_own_reporters_get_the_marker(app: Flask, people: dict[str, User]) -> None:
    doc = fx.base_document()
    doc["practices"][0]["title"] = f"Sprachcafé {MARKER}"
    start(people["reporter"], doc)
    response = as_user(app, people["colleague"]).get(BASE + "/vorlage.xlsx")
    assert response.status_code == 200 and MARKER in workbook_text(response.data)


def test_anonymous_is_sent_to_the_login(app: Flask, people: dict[str, User]) -> None:
    start(people["reporter"])
    client = as_user(app, None)
    for path in (BASE + "/vorlage.xlsx", BASE + "/hochladen", "/berichte/2025/vorlage.xlsx"):
        response = client.get(path)
        assert response.status_code in (302, 401), path
        assert "/anmelden" in response.headers.get("Location", "/anmelden")
    response = client.post(BASE + "/hochladen", data={})
    assert response.status_code in (401, 403)


def test_unknown_cycle_or_municipality_is_404(app: Flask, people: dict[str, User]) -> None:
    client = as_user(app, people["reporter"])
    assert client.get("/berichte/1999/vorlage.xlsx").status_code == 404
    assert client.get(f"/berichte/1999/{ESSEN}/vorlage.xlsx").status_code == 404
    assert client.get("/berichte/2025/99999999/vorlage.xlsx").status_code == 404
    other = factories.make_cycle("2024-he", regions=["06"])
    assert client.get(f"/berichte/{other.code}/vorlage.xlsx").status_code == 404
    assert client.get(f"/berichte/{other.code}/{ESSEN}/vorlage.xlsx").status_code == 404


def test_the_pages_speak_english_on_request(app: Flask, people: dict[str, User]) -> None:
    start(people["reporter"])
    client = as_user(app, people["reporter"])
    client.post("/sprache", data={"lang": "en", "next": "/"})
    assert "Upload a file (Excel or JSON)" in client.get(BASE + "/").text
    page = client.get(BASE + "/hochladen")
    assert "Upload into the draft" in page.text and "Download the cycle" in page.text


def test_an_origin_is_named_by_title_and_municipality_in_the_workbook(
    app: Flask, people: dict[str, User]
) -> None:
    """Like the form: the origin by its title (and the municipality by name or AGS); ids
    keep working; unknown and ambiguous titles are errors at the cell."""
    origin = factories.practice("Fahrradwerkstatt für alle")
    other = factories.practice("Sprachcafé")
    for user, ags, practices in (
        (people["reporter_b"], KOELN, [origin, other]),
        (people["reporter_c"], HERSFELD, [factories.practice("Sprachcafé")]),
    ):
        report, _ = reports.import_document(user, factories.document(ags, practices=practices))
        reports.submit(user, report)
        reviewer = people["reviewer"] if ags == KOELN else people["reviewer_2"]
        reports.accept(reviewer, report)
    start(people["reporter"])
    client = as_user(app, people["reporter"])
    download = client.get(BASE + "/vorlage.xlsx").data

    def named(title: str, where: str) -> Callable[[Any], None]:
        def change(wb: Any) -> None:
            pr = wb["Maßnahmen"]
            pr.cell(5, fx.column(pr, "Übernommen von: Titel oder ID der Maßnahme")).value = title
            pr.cell(5, fx.column(pr, "Übernommen von: Kommune (AGS)")).value = where

        return change

    response = upload(client, edit(download, named("fahrradwerkstatt FÜR alle", "Köln")))
    assert response.status_code == 302, error_rows(response.text)
    adopted = {p["id"]: p["adopted_from"] for p in draft()["practices"]}
    assert adopted[fx.PATEN] == {"practice": origin["id"], "municipality": KOELN}

    download = client.get(BASE + "/vorlage.xlsx").data  # the id is written back: still fine
    assert upload(client, download).status_code == 302
    assert {p["id"]: p["adopted_from"] for p in draft()["practices"]}[fx.PATEN]["practice"] == (
        origin["id"]
    )

    page = upload(client, edit(download, named("Sprachcafé", "")))
    assert page.status_code == 422
    assert any("Mehrere veröffentlichte Maßnahmen" in row[-1] for row in error_rows(page.text))
    page = upload(client, edit(download, named("Sprachcafé", KOELN)))
    assert page.status_code == 302
    assert {p["id"]: p["adopted_from"] for p in draft()["practices"]}[fx.PATEN] == {
        "practice": other["id"],
        "municipality": KOELN,
    }
    page = upload(client, edit(download, named("Gibt es nicht", "")))
    # one clear error for the one cell, not a second "Pflichtfeld fehlt." for the origin
    assert [row[-1] for row in error_rows(page.text)] == [
        "Keine veröffentlichte Maßnahme einer anderen Kommune mit diesem Titel."
    ]


def test_a_workbook_with_the_former_origin_heading_is_still_read(
    app: Flask, people: dict[str, User]
) -> None:
    """The origin column was headed "Übernommen von: Maßnahme (ID)"; it now says that a title
    is accepted, and workbooks downloaded before still upload."""
    origin = factories.practice("Fahrradwerkstatt für alle")
    report, _ = reports.import_document(
        people["reporter_b"], factories.document(KOELN, practices=[origin])
    )
    reports.submit(people["reporter_b"], report)
    reports.accept(people["reviewer"], report)
    start(people["reporter"])
    client = as_user(app, people["reporter"])
    download = client.get(BASE + "/vorlage.xlsx").data

    def former(wb: Any) -> None:
        pr = wb["Maßnahmen"]
        column = fx.column(pr, "Übernommen von: Titel oder ID der Maßnahme")
        pr.cell(workbook.HEADER_ROW, column).value = "Übernommen von: Maßnahme (ID)"
        pr.cell(5, column).value = "Fahrradwerkstatt für alle"

    response = upload(client, edit(download, former))
    assert response.status_code == 302, error_rows(response.text)
    adopted = {p["id"]: p["adopted_from"] for p in draft()["practices"]}
    assert adopted[fx.PATEN] == {"practice": origin["id"], "municipality": KOELN}
