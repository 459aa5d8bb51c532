"""Stable denominators: a published revision keeps the population it divides by, with the
register's reference date, and a later register import changes no figure already published."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from omk.extensions import db
from omk.models import RegisterImport, Report, Revision, User
from omk.services import register as register_service
from omk.services import reports
from omk.services.register_import import (
    RegisterImportError,
    import_register,
    parse_reference_date,
    reference_date_beside,
)
from tests import factories
from tests.conftest import SAMPLE_REGISTER, login

ESSEN = "05113000"  # 582,760 inhabitants in the sample (Gebietsstand 31.12.2020)
KOELN = "05315000"
PAGE = f"/berichte/2025/{ESSEN}/veroeffentlicht"


def newer_register(tmp_path: Path, population: str = " 700 000", stand: str = "31.12.2022") -> Path:
    """The sample with Essen grown to 700,000, beside a README naming another Gebietsstand."""
    text = SAMPLE_REGISTER.read_text(encoding="utf-8-sig")
    assert " 582 760," in text
    folder = tmp_path / "neu"
    folder.mkdir()
    path = folder / "AuszugGV4QAktuell.csv"
    path.write_text("\ufeff" + text.replace(" 582 760,", f"{population},"), encoding="utf-8")
    (folder / "README.md").write_text(f"Auszug, Gebietsstand {stand}.\n", encoding="utf-8")
    return path


@pytest.fixture
def people(app: Flask, make_user: Any) -> dict[str, User]:
    factories.make_cycle("2025")
    return {
        "reporter": make_user("reporter", municipality=ESSEN),
        "reviewer": make_user("reviewer", scope="05"),
        "staff": make_user("staff"),
        "admin": make_user("admin"),
    }


def publish(people: dict[str, User], ags: str = ESSEN) -> Report:
    report, _ = reports.import_document(people["reporter"], factories.document(ags))
    reports.submit(people["reporter"], report)
    reports.accept(people["reviewer"], report)
    db.session.refresh(report)
    return report


def published_revision(report: Report) -> Revision:
    revision = db.session.get(Revision, report.published_revision_id)
    assert revision is not None
    return revision


def staff_client(app: Flask, people: dict[str, User]) -> FlaskClient:
    client = app.test_client()
    assert login(client, people["staff"]).status_code == 302
    return client


# --- the register's reference date ----------------------------------------------------------


def test_the_import_records_the_gebietsstand_named_beside_the_extract(app: Flask) -> None:
    assert reference_date_beside(SAMPLE_REGISTER) == date(2020, 12, 31)  # tests/data/README.md
    result = import_register(SAMPLE_REGISTER)
    assert result.reference_date == date(2020, 12, 31)
    assert register_service.reference_date() == date(2020, 12, 31)
    row = db.session.scalar(select(RegisterImport))
    assert row is not None and row.source == "register-sample.csv" and row.inserted == 92


def test_an_explicit_date_wins_and_the_newest_import_counts(app: Flask) -> None:
    import_register(SAMPLE_REGISTER)
    import_register(SAMPLE_REGISTER, reference_date=date(2021, 6, 30))
    assert register_service.reference_date() == date(2021, 6, 30)
    assert len(db.session.scalars(select(RegisterImport)).all()) == 2


def test_without_a_date_the_service_records_none_and_the_cli_refuses(
    app: Flask, runner: Any, tmp_path: Path
) -> None:
    lonely = tmp_path / "auszug.csv"
    lonely.write_bytes(SAMPLE_REGISTER.read_bytes())
    assert reference_date_beside(lonely) is None
    with pytest.raises(RegisterImportError, match="Gebietsstand unbekannt"):
        import_register(lonely, require_reference_date=True)
    assert db.session.scalar(select(RegisterImport)) is None  # nothing written

    refused = runner.invoke(args=["municipalities", "import", str(lonely)])
    assert refused.exit_code == 1 and "--stand" in refused.stderr
    done = runner.invoke(args=["municipalities", "import", str(lonely), "--stand", "30.09.2021"])
    assert done.exit_code == 0, done.output
    assert "Gebietsstand: 30.09.2021" in done.stdout
    assert register_service.reference_date() == date(2021, 9, 30)
    bad = runner.invoke(args=["municipalities", "import", str(lonely), "--stand", "31.02.2021"])
    assert bad.exit_code == 1 and "kein Datum" in bad.stderr


def test_the_cli_reads_the_shipped_readme(app: Flask, runner: Any) -> None:
    result = runner.invoke(args=["municipalities", "import", str(SAMPLE_REGISTER)])
    assert result.exit_code == 0, result.output
    assert "Gebietsstand: 31.12.2020" in result.stdout


def test_a_readme_naming_two_dates_names_none(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    (tmp_path / "README.md").write_text("Gebietsstand 31.12.2020, Gebietsstand 31.12.2021")
    assert reference_date_beside(path) is None
    (tmp_path / "README.md").write_text("(Gebietsstand: 1.1.2024)")
    assert reference_date_beside(path) == date(2024, 1, 1)


@pytest.mark.parametrize(
    ("text", "expected"), [("31.12.2020", date(2020, 12, 31)), ("2021-06-30", date(2021, 6, 30))]
)
def test_parse_reference_date(text: str, expected: date) -> None:
    assert parse_reference_date(text) == expected


@pytest.mark.parametrize("text", ["", "31.12.20", "2020/12/31", "32.01.2020", "heute"])
def test_parse_reference_date_refuses(text: str) -> None:
    with pytest.raises(ValueError):
        parse_reference_date(text)


# --- stamping revisions as they become published ------------------------------------------


def test_accept_stamps_population_and_reference_date(
    app: Flask, register: None, people: dict[str, User]
) -> None:
    report = publish(people)
    revision = published_revision(report)
    assert revision.population == 582760
    assert revision.population_as_of == date(2020, 12, 31)


def test_import_with_publish_stamps_too(
    app: Flask, register: None, people: dict[str, User]
) -> None:
    report, _ = reports.import_document(people["admin"], factories.document(KOELN), publish=True)
    revision = published_revision(report)
    assert revision.population == report.municipality.population
    assert revision.population_as_of == date(2020, 12, 31)


def test_submitted_and_returned_revisions_are_not_stamped(
    app: Flask, register: None, people: dict[str, User]
) -> None:
    report, _ = reports.import_document(people["reporter"], factories.document(ESSEN))
    revision = reports.submit(people["reporter"], report)
    assert revision.population is None and revision.population_as_of is None


def test_a_later_register_import_changes_no_published_figure(
    app: Flask, register: None, people: dict[str, User], tmp_path: Path
) -> None:
    """The figures a council read stay as they were published; the register page moves on,
    and the next publication (a correction accepted) uses the new register."""
    report = publish(people)
    client = staff_client(app, people)
    before = client.get(PAGE).text
    assert "Einwohner laut Register, Stand 31.12.2020</dt><dd>582.760</dd>" in before
    assert "Gemeindeverzeichnis, Gebietsstand 31.12.2020" in before  # the footer
    assert '0,71 <span class="omk-basis">je 1.000 Einwohner</span>' in before  # 412 / 582,760
    pdf_before = client.get(f"/berichte/2025/{ESSEN}/bericht.pdf")
    assert pdf_before.status_code == 200

    result = import_register(newer_register(tmp_path))
    assert result.updated > 0 and register_service.reference_date() == date(2022, 12, 31)
    db.session.expire_all()

    after = client.get(PAGE).text
    assert "Einwohner laut Register, Stand 31.12.2020</dt><dd>582.760</dd>" in after
    assert '0,71 <span class="omk-basis">je 1.000 Einwohner</span>' in after
    assert "bezogen auf die Einwohnerzahl laut Gemeindeverzeichnis (582.760)" in after
    assert "700.000" not in after.split("<footer", 1)[0]
    assert published_revision(report).population == 582760
    profile = client.get(f"/kommunen/{ESSEN}").text
    assert "700.000" in profile  # the register itself moved on, and says from when
    assert "Gemeindeverzeichnis, Gebietsstand 31.12.2022" in profile

    # A correction accepted becomes published with the register of its day.
    reports.reopen(people["reviewer"], report, "Zahlen prüfen")
    reports.submit(people["reporter"], report)
    reports.accept(people["reviewer"], report)
    db.session.refresh(report)
    corrected = published_revision(report)
    assert corrected.population == 700000
    assert corrected.population_as_of == date(2022, 12, 31)
    page = client.get(PAGE).text
    assert "Einwohner laut Register, Stand 31.12.2022</dt><dd>700.000</dd>" in page
    assert '0,59 <span class="omk-basis">je 1.000 Einwohner</span>' in page  # 412 / 700,000


def test_the_stand_is_translated(app: Flask, register: None, people: dict[str, User]) -> None:
    publish(people)
    html = staff_client(app, people).get(PAGE, headers={"Accept-Language": "en"}).text
    assert "Inhabitants according to the register, as of Dec 31, 2020" in html
