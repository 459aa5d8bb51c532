"""Download names are safe whatever a cycle is called (RFC 6266/5987), new cycle codes are ASCII,
and a hostile workbook upload is answered with a 4xx naming the limit, saving nothing."""

from __future__ import annotations

import io
import time
import zipfile
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update

from omk import workbook
from omk.downloads import ascii_filename, content_disposition
from omk.errors import ValidationFailed
from omk.extensions import db
from omk.models import User
from omk.models.reporting import Cycle
from omk.services import cycles, reports
from omk.services.transaction import unit_of_work
from tests import factories
from tests import workbook_fixtures as fx
from tests.conftest import login

ESSEN = fx.ESSEN
ODD = "R日本"


def as_user(app: Flask, user: User) -> FlaskClient:
    client = app.test_client()
    assert login(client, user).status_code == 302
    return client


# --- the one helper ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "header"),
    [
        (
            "Bericht_Köln_2025.pdf",
            'attachment; filename="Bericht_Koeln_2025.pdf"; '
            "filename*=UTF-8''Bericht_K%C3%B6ln_2025.pdf",
        ),
        (
            f"omk-bericht-{ODD}-{ESSEN}.xlsx",
            f'attachment; filename="omk-bericht-R-{ESSEN}.xlsx"; '
            f"filename*=UTF-8''omk-bericht-R%E6%97%A5%E6%9C%AC-{ESSEN}.xlsx",
        ),
        (
            "日本.xlsx",
            "attachment; filename=\"download.xlsx\"; filename*=UTF-8''%E6%97%A5%E6%9C%AC.xlsx",
        ),
        (
            'a"b\r\nSet-Cookie: x=1;.xlsx',
            'attachment; filename="a_b_Set-Cookie_x_1.xlsx"; '
            "filename*=UTF-8''a%22b_Set-Cookie%3A%20x%3D1%3B.xlsx",
        ),
        (
            "../../etc/passwd",
            "attachment; filename=\"etc_passwd\"; filename*=UTF-8''.._.._etc_passwd",
        ),
    ],
)
def test_content_disposition_has_an_ascii_fallback_and_the_utf8_name(
    name: str, header: str
) -> None:
    assert content_disposition(name) == header
    assert header.isascii() and "\r" not in header and "\n" not in header


def test_the_fallback_is_plain_ascii_for_any_text() -> None:
    for name in ["", ".", "ß", "Ärger über Öfen.pdf", "\x00\x7f", "😀" * 50, "a" * 300]:
        fallback = ascii_filename(name)
        assert fallback and fallback.isascii() and '"' not in fallback and "\\" not in fallback


# --- cycle codes -------------------------------------------------------------------------------


@pytest.mark.parametrize("code", [ODD, "2025 NRW", "Rückblick", "", "-2025", "..", "a" * 21, "x\n"])
def test_a_new_cycle_needs_an_ascii_code(app: Flask, register: None, code: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        factories.make_cycle(code)
    assert [e.field for e in caught.value.errors] == ["code"]
    assert "Buchstaben A–Z" in caught.value.errors[0].message


@pytest.mark.parametrize("code", ["2025", "2025-NRW", "2025_he", "R2.1", "A" * 20])
def test_ordinary_codes_are_accepted(app: Flask, register: None, code: str) -> None:
    assert factories.make_cycle(code).code == code


def test_the_cycle_form_refuses_an_odd_code(
    app: Flask, register: None, make_user: Callable[..., User]
) -> None:
    client = as_user(app, make_user("admin"))
    assert client.get("/berichtsrunden/neu").status_code == 200
    form = {
        "code": ODD,
        "period_start": "2025-01-01",
        "period_end": "2025-12-31",
        "deadline": "2026-03-31",
        "regions": "05",
        "template_version": "1",
    }
    response = client.post("/berichtsrunden/neu", data=form)
    assert response.status_code == 422
    assert "Buchstaben A–Z oder a–z" in response.text
    assert db.session.scalar(db.select(Cycle).where(Cycle.code == ODD)) is None
    english = client.post("/berichtsrunden/neu", data=form, headers={"Accept-Language": "en"})
    assert english.status_code == 422 and "letters A–Z or a–z" in english.text


def test_the_cli_refuses_an_odd_code(runner: Any, register: None) -> None:
    dates = ["--start", "2025-01-01", "--end", "2025-12-31", "--deadline", "2026-03-31"]
    result = runner.invoke(args=["cycles", "create", ODD, *dates])
    assert result.exit_code == 1 and "Buchstaben A–Z" in result.output


# --- an existing cycle with an odd code still downloads -------------------------------------


@pytest.fixture
def odd_cycle(app: Flask, register: None) -> Cycle:
    """A cycle whose code was set before the rule (written straight into the database)."""
    factories.make_cycle("2025")
    with unit_of_work() as session:
        session.execute(update(Cycle).where(Cycle.code == "2025").values(code=ODD))
    return cycles.get_cycle(ODD)


def test_workbooks_of_a_cycle_with_a_non_ascii_code_download(
    app: Flask, odd_cycle: Cycle, make_user: Callable[..., User]
) -> None:
    reporter = make_user("reporter", municipality=ESSEN)
    reports.import_document(reporter, fx.base_document() | {"cycle": ODD})
    client = as_user(app, reporter)
    for path, name in [
        (f"/berichte/{ODD}/{ESSEN}/vorlage.xlsx", f"omk-bericht-{ODD}-{ESSEN}.xlsx"),
        (f"/berichte/{ODD}/vorlage.xlsx", f"omk-vorlage-{ODD}.xlsx"),
    ]:
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["Content-Disposition"] == content_disposition(name)
        assert "filename*=UTF-8''" in response.headers["Content-Disposition"]
        assert zipfile.ZipFile(io.BytesIO(response.data)).testzip() is None


def test_a_cycle_with_an_odd_code_can_still_be_edited(
    app: Flask, odd_cycle: Cycle, make_user: Callable[..., User]
) -> None:
    admin = make_user("admin")
    cycles.update_cycle(
        admin,
        odd_cycle,
        title="Neu",
        objectives="",
        period_start=date(2025, 1, 1),
        period_end=date(2025, 12, 31),
        deadline=date(2026, 4, 30),
        status="open",
    )
    assert cycles.get_cycle(ODD).deadline == date(2026, 4, 30)


# --- the upload route answers a hostile workbook with a 4xx ---------------------------------


def styles_bomb() -> bytes:
    source = zipfile.ZipFile(io.BytesIO(fx.base_workbook()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target:
        for item in source.infolist():
            if item.filename != "xl/styles.xml":
                target.writestr(item.filename, source.read(item.filename))
                continue
            with target.open(item.filename, "w", force_zip64=True) as stream:
                stream.write(b'<styleSheet xmlns="urn:x"><cellXfs>')
                for _ in range(40):
                    stream.write(b"<xf/>" * 200_000)  # 40 MB
                stream.write(b"</cellXfs></styleSheet>")
    return out.getvalue()


@pytest.mark.parametrize("language", ["de", "en"])
def test_an_upload_passing_a_limit_gets_422_with_the_limit_and_saves_nothing(
    app: Flask, register: None, make_user: Callable[..., User], language: str
) -> None:
    factories.make_cycle("2025")
    reporter = make_user("reporter", municipality=ESSEN)
    report, _ = reports.import_document(reporter, fx.base_document())
    before = reports.working_document(report)
    version = report.edit_version
    client = as_user(app, reporter)
    data = styles_bomb()
    assert len(data) < 300_000
    # CPU time, not wall clock: the limit must stop the parse early, whatever the machine's load
    start = time.process_time()
    response = client.post(
        f"/berichte/2025/{ESSEN}/hochladen",
        data={
            "edit_version": str(version),
            "file": (io.BytesIO(data), "a.xlsx"),
        },
        content_type="multipart/form-data",
        headers={"Accept-Language": language},
    )
    assert time.process_time() - start < 1.0
    assert response.status_code == 422
    expected = {
        "de": "Die Arbeitsmappe enthält zu viele Formatvorlagen (mehr als 5.000).",
        "en": "The workbook contains too many cell formats (more than 5,000).",
    }[language]
    assert expected in response.text
    again = reports.get_report("2025", ESSEN)
    assert again.edit_version == version and reports.working_document(again) == before
    assert workbook.MAX_STYLES == 5_000
