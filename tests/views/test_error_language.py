"""Error messages are shown in the language of the page: English pages show English errors,
German pages the German ones, and the API keeps its German texts (omk.messages)."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from omk.messages import Message, msg
from omk.models import User
from omk.services import accounts, reports
from tests import factories
from tests import workbook_fixtures as fx
from tests.conftest import login
from tests.views.test_report_files import BASE, ESSEN, error_rows, start, upload


@pytest.fixture
def reporter(app: Flask, make_user: Callable[..., User]) -> User:
    factories.make_cycle("2025")
    return make_user("reporter", municipality=ESSEN)


def client_in(app: Flask, user: User, lang: str) -> FlaskClient:
    client = app.test_client()
    assert login(client, user).status_code == 302
    assert client.post("/sprache", data={"lang": lang, "next": "/"}).status_code == 302
    return client


def test_a_message_is_german_text_that_knows_its_msgid(app: Flask) -> None:
    message = msg("Revision %(number)s gibt es nicht.", number=7)
    assert isinstance(message, str) and isinstance(message, Message)
    assert message == "Revision 7 gibt es nicht."
    assert message.msgid == "Revision %(number)s gibt es nicht."
    assert message.params == {"number": 7}
    from flask_babel import force_locale, gettext

    with app.test_request_context("/"), force_locale("en"):
        assert gettext(message) == "Revision 7 does not exist."
        nested = msg("„%(text)s“: %(problem)s", text="x", problem=msg("Ungültiger Wert."))
        assert gettext(nested) == "“x”: Invalid value."
    with app.test_request_context("/"), force_locale("de"):
        assert gettext(message) == "Revision 7 gibt es nicht."


def test_workbook_upload_errors_in_english_and_german(app: Flask, reporter: User) -> None:
    start(reporter)
    english = upload(client_in(app, reporter, "en"), fx.ERRORS.read_bytes())
    assert english.status_code == 422
    assert "The workbook contains errors; nothing was saved." in english.text
    rows = error_rows(english.text)
    assert rows[0][0] == "Sheet Kennzahlen, row 5, column Wert"
    assert not [row for row in rows if "Blatt" in row[0] or "Zeile" in row[0]]
    assert "„" not in " ".join(row[-1] for row in rows)  # English quotes in cell problems

    german = upload(client_in(app, reporter, "de"), fx.ERRORS.read_bytes())
    assert german.status_code == 422
    assert "Die Arbeitsmappe enthält Fehler; es wurde nichts gespeichert." in german.text
    assert error_rows(german.text)[0][0] == "Blatt Kennzahlen, Zeile 5, Spalte Wert"


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("en", "The file is too large (at most"),
        ("de", "Die Datei ist zu groß (höchstens"),
    ],
)
def test_an_upload_refusal_with_a_parameter(
    app: Flask, reporter: User, lang: str, expected: str
) -> None:
    start(reporter)
    app.config["UPLOAD_MAX_BYTES"] = 10
    response = upload(client_in(app, reporter, lang), b"PK\x03\x04" + b"x" * 20)
    assert response.status_code == 422
    assert expected in response.text


def _submit(client: FlaskClient, version: str) -> str:
    response = client.post(BASE + "/einreichen", data={"edit_version": version, "confirm": "1"})
    assert response.status_code == 302
    return client.get(BASE + "/").text


def _version(client: FlaskClient) -> str:
    match = re.search(r'name="edit_version" value="(\d+)"', client.get(BASE + "/").text)
    assert match
    return match.group(1)


def test_a_submit_refusal_in_english_and_german(app: Flask, reporter: User) -> None:
    start(reporter, fx.base_document())
    english = client_in(app, reporter, "en")
    stale = _version(english)
    changed = fx.base_document()
    changed["indicators"]["arbeitsmarkt.praktika"] = 77
    reports.save_document(reporter, reports.get_report("2025", ESSEN), changed, edit_version=None)
    page = _submit(english, stale)
    assert "Someone else has saved the report in the meantime." in page
    assert "inzwischen von jemand anderem gespeichert" not in page

    german = client_in(app, reporter, "de")
    page = _submit(german, stale)
    assert "Der Bericht wurde inzwischen von jemand anderem gespeichert." in page

    reports.submit(reporter, reports.get_report("2025", ESSEN))
    page = _submit(english, str(reports.get_report("2025", ESSEN).edit_version))
    assert "The report has been submitted and can only be edited again after the review." in page


def test_the_api_keeps_its_german_text(app: Flask, reporter: User) -> None:
    start(reporter)
    token = accounts.create_token(None, reporter)
    response = app.test_client().get(
        f"/api/v1/reports/{ESSEN}/2025/diff?from=1&to=2",
        headers={"Authorization": f"Bearer {token}", "Accept-Language": "en"},
    )
    assert response.status_code == 404
    assert response.get_json()["message"] == "Revision 1 gibt es nicht."
