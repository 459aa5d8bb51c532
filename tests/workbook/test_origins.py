"""The origin of an adopted practice (``adopted_from``) in the workbook: downloaded as a title
the upload reads back, errors named in words; and the same errors in the practice form."""

from __future__ import annotations

import copy
import io
import re
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import force_locale
from openpyxl import load_workbook
from werkzeug.test import TestResponse

from omk import exchange
from omk.models import User
from omk.services import accounts, reports
from omk.views import changes
from omk.workbook.columns import practice_columns
from tests import factories
from tests import workbook_fixtures as fx
from tests.conftest import login

ESSEN, KOELN = "05113000", "05315000"
BASE = f"/berichte/2025/{ESSEN}"
ORIGIN_COLUMN = "Übernommen von: Titel oder ID der Maßnahme"
MUNICIPALITY_COLUMN = "Übernommen von: Kommune (AGS)"


@pytest.fixture
def people(app: Flask, make_user: Callable[..., User]) -> dict[str, User]:
    factories.make_cycle("2025")
    return {
        "reporter": make_user("reporter", municipality=ESSEN),
        "reporter_b": make_user("reporter", municipality=KOELN),
        "reviewer": make_user("reviewer", scope="05"),
    }


def publish_koeln(people: dict[str, User], *practices: dict[str, Any]) -> None:
    report, _ = reports.import_document(
        people["reporter_b"], factories.document(KOELN, practices=list(practices))
    )
    reports.submit(people["reporter_b"], report)
    reports.accept(people["reviewer"], report)


def start_adopting(people: dict[str, User], practice_id: str, municipality: str = KOELN) -> None:
    """Essen's draft (the fixture's practices), "Patenschaften" adopted from ``practice_id``."""
    doc = copy.deepcopy(fx.base_document())
    for p in doc["practices"]:
        if p["id"] == fx.PATEN:
            p["adopted_from"] = {"practice": practice_id, "municipality": municipality}
    reports.import_document(people["reporter"], doc)


def as_reporter(app: Flask, people: dict[str, User]) -> FlaskClient:
    client = app.test_client()
    assert login(client, people["reporter"]).status_code == 302
    return client


def origin_cells(data: bytes) -> tuple[Any, Any]:
    """The origin cells of the "Patenschaften" row: practice and municipality."""
    sheet = load_workbook(io.BytesIO(data))["Maßnahmen"]
    row = next(r for r in range(1, sheet.max_row + 1) if sheet.cell(r, 1).value == fx.PATEN)
    return (
        sheet.cell(row, fx.column(sheet, ORIGIN_COLUMN)).value,
        sheet.cell(row, fx.column(sheet, MUNICIPALITY_COLUMN)).value,
    )


def upload(client: FlaskClient, data: bytes) -> TestResponse:
    page = client.get(BASE + "/hochladen")
    version = re.search(r'name="edit_version" value="(\d*)"', page.text)
    assert version
    return client.post(
        BASE + "/hochladen",
        data={"edit_version": version.group(1), "file": (io.BytesIO(data), "bericht.xlsx")},
        content_type="multipart/form-data",
    )


def with_origin(data: bytes, practice: str, municipality: str) -> bytes:
    wb = load_workbook(io.BytesIO(data))
    sheet = wb["Maßnahmen"]
    row = next(r for r in range(1, sheet.max_row + 1) if sheet.cell(r, 1).value == fx.PATEN)
    sheet.cell(row, fx.column(sheet, ORIGIN_COLUMN)).value = practice
    sheet.cell(row, fx.column(sheet, MUNICIPALITY_COLUMN)).value = municipality
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def error_fields(html: str) -> list[tuple[str, str]]:
    """The error table's rows: the field in words ("Feld") and the message."""
    rows = re.findall(
        r'<th class="kern-table__cell" scope="row">(.*?)</th>.*?'
        r'<td class="kern-table__cell">(?:(?!</td>).)*</td>\s*'
        r'<td class="kern-table__cell">(.*?)</td>',
        html,
        re.S,
    )
    return [(field.strip(), message.strip()) for field, message in rows]


def adopted() -> dict[str, Any]:
    doc = reports.working_document(reports.get_report("2025", ESSEN))
    return next(p for p in doc["practices"] if p["id"] == fx.PATEN)["adopted_from"]


def test_the_download_names_the_origin_by_title_and_the_upload_reads_it_back(
    app: Flask, people: dict[str, User]
) -> None:
    """The column says "Titel oder ID": a title that names exactly one published practice of
    the origin's municipality is written as the title, and uploads unchanged."""
    origin = factories.practice("Fahrradwerkstatt  für alle")
    publish_koeln(people, origin)
    start_adopting(people, origin["id"])
    client = as_reporter(app, people)
    download = client.get(BASE + "/vorlage.xlsx").data
    assert origin_cells(download) == ("Fahrradwerkstatt für alle", KOELN)

    response = upload(client, download)
    assert response.status_code == 302, error_fields(response.text)
    assert adopted() == {"practice": origin["id"], "municipality": KOELN}


def test_an_origin_the_title_does_not_name_alone_is_written_as_its_id(
    app: Flask, people: dict[str, User]
) -> None:
    """Two published practices of Köln share the title: the id, which uploads as it is."""
    first, second = factories.practice("Sprachcafé"), factories.practice("Sprachcafé")
    publish_koeln(people, first, second)
    start_adopting(people, second["id"])
    client = as_reporter(app, people)
    download = client.get(BASE + "/vorlage.xlsx").data
    assert origin_cells(download) == (second["id"], KOELN)
    assert upload(client, download).status_code == 302
    assert adopted() == {"practice": second["id"], "municipality": KOELN}


def test_an_origin_not_published_here_is_written_as_its_id(
    app: Flask, people: dict[str, User]
) -> None:
    unknown = str(uuid.uuid4())
    start_adopting(people, unknown)
    client = as_reporter(app, people)
    download = client.get(BASE + "/vorlage.xlsx").data
    assert origin_cells(download) == (unknown, KOELN)
    assert upload(client, download).status_code == 302
    assert adopted() == {"practice": unknown, "municipality": KOELN}


def test_origin_errors_are_named_in_words(app: Flask, people: dict[str, User]) -> None:
    """The error table's "Feld" names the origin as the other fields are named: "Maßnahme
    „…“ – Übernommen von: Maßnahme", never ``adopted_from``; in English too."""
    publish_koeln(people, factories.practice("Fahrradwerkstatt für alle"))
    reports.import_document(people["reporter"], fx.base_document())
    client = as_reporter(app, people)
    download = client.get(BASE + "/vorlage.xlsx").data

    page = upload(client, with_origin(download, "Gibt es nicht", ""))
    assert page.status_code == 422
    assert error_fields(page.text) == [
        (
            "Maßnahme „Patenschaften für Familien“ – Übernommen von: Maßnahme",
            "Keine veröffentlichte Maßnahme einer anderen Kommune mit diesem Titel.",
        )
    ]
    page = upload(client, with_origin(download, str(uuid.uuid4()), "Köln"))
    assert page.status_code == 422
    assert error_fields(page.text) == [
        (
            "Maßnahme „Patenschaften für Familien“ – Übernommen von: Kommune",
            "8 Ziffern erwartet (AGS).",
        )
    ]

    client.post("/sprache", data={"lang": "en", "next": "/"})
    page = upload(client, with_origin(download, "Gibt es nicht", ""))
    fields = [field for field, _message in error_fields(page.text)]
    assert fields == ["Maßnahme „Patenschaften für Familien“ – Adopted from: practice"]
    assert "adopted_from" not in " ".join(fields)


def test_the_practice_form_names_an_origin_error_in_words(
    app: Flask, people: dict[str, User]
) -> None:
    """A broken origin in the practice form is listed as "Übernommen von", not as the
    document's key."""
    reports.import_document(people["reporter"], fx.base_document())
    client = as_reporter(app, people)
    url = f"{BASE}/massnahmen/{fx.PATEN}"
    p = next(p for p in fx.base_document()["practices"] if p["id"] == fx.PATEN)
    page = client.post(
        url,
        data={
            "title": p["title"],
            "criterion": p["criterion"],
            "summary": p["summary"],
            "description": p["description"],
            "actor_rows": "1",
            "actor-0-name": "Caritas Essen",
            "actor-0-type": "wohlfahrtsverband",
            "edit_version": str(reports.get_report("2025", ESSEN).edit_version),
            "adopted_from_practice": str(uuid.uuid4()),
            "adopted_from_municipality": "Köln",
            "action": "save",
        },
    )
    assert page.status_code == 422
    summary = page.text.split('id="error-summary"')[1].split("</div>\n</div>")[0]
    assert ">Übernommen von: 8 Ziffern erwartet (AGS).<" in summary
    assert ">adopted_from" not in summary


def test_the_api_keeps_the_origin_json_path(app: Flask, people: dict[str, User]) -> None:
    """The API answers with document paths, as an API should: no words there."""
    doc = copy.deepcopy(fx.base_document())
    doc["practices"][1]["adopted_from"] = {"practice": "Fahrradwerkstatt", "municipality": "x"}
    token = accounts.create_token(None, people["reporter"])
    r = app.test_client().post(
        "/api/v1/reports", json=doc, headers={"Authorization": f"Bearer {token}"}
    )
    assert r.status_code == 422
    fields = {e["field"] for e in r.json["errors"]}
    assert f"practices[{doc['practices'][1]['id']}].adopted_from.practice" in fields
    assert f"practices[{doc['practices'][1]['id']}].adopted_from.municipality" in fields


def test_the_origin_has_one_name_german_in_messages_and_translated_on_a_page(
    app: Flask,
) -> None:
    """The origin's three names are defined once: the upload's German messages (``exchange``)
    and the page (``views.changes``) say the same, the page in the reader's language; the
    workbook's own column headings stay as an upload reads them back."""
    content = reports.content()
    template = content.current_template
    doc = fx.base_document()
    path = f"practices[{fx.PATEN}].adopted_from.municipality"
    practice = "Maßnahme „Patenschaften für Familien“"
    assert exchange.describe(path, doc, content, template) == (
        f"{practice} – Übernommen von: Kommune"
    )
    for part in exchange.ORIGIN_LABELS:
        assert exchange.practice_field_label(part, template) == exchange.ORIGIN_LABELS[part]
    with app.test_request_context("/"), force_locale("de"):
        assert [changes.origin_label(p) for p in exchange.ORIGIN_LABELS] == list(
            exchange.ORIGIN_LABELS.values()
        )
        assert changes.label(path, [doc], content, template) == (
            f"{practice} – Übernommen von: Kommune"
        )
    with app.test_request_context("/"), force_locale("en"):
        assert [changes.origin_label(p) for p in exchange.ORIGIN_LABELS] == [
            "Adopted from",
            "Adopted from: practice",
            "Adopted from: municipality",
        ]
        assert exchange.describe(path, doc, content, template).endswith("Übernommen von: Kommune")
    headings = [c.heading for c in practice_columns(template) if c.key.startswith("adopted.")]
    assert headings == [ORIGIN_COLUMN, MUNICIPALITY_COLUMN]
