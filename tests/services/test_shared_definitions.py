"""The database side of the shared definitions: the district level, a district's position and
urbanisation, the previous cycle, and names shown to people on the pages."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from omk.compare.definitions import ComparisonLevel
from omk.extensions import db
from omk.models import Municipality, User
from omk.services import publication, reports
from omk.services import register as register_service
from omk.services.register_import import import_register
from tests import factories
from tests.conftest import FULL_REGISTER, SAMPLE_REGISTER, login

#: The kreisfreie Stadt Aschaffenburg (the sample has only the Landkreis of the same name).
CITY_ROWS = (
    "40,41,09,6,61,,,Aschaffenburg,,,,,,,,,,,,\n"
    "50,50,09,6,61,0000,,Aschaffenburg,,,,,,,,,,,,\n"
    "60,61,09,6,61,0000,000,Aschaffenburg, 62.45, 71 002, 34 641, 36 361, 1 137,63701,"
    '"9,147832","49,973506",T12,Spessart-Mainland,01,dicht besiedelt\n'
)


@pytest.fixture
def two_aschaffenburgs(app: Flask, register: None, tmp_path: Path) -> None:
    """The sample (as the ``register`` fixture loads it) plus the kreisfreie Stadt."""
    text = SAMPLE_REGISTER.read_text(encoding="utf-8-sig").rstrip("\n") + "\n" + CITY_ROWS
    path = tmp_path / "auszug.csv"
    path.write_text(text, encoding="utf-8")
    import_register(path, reference_date=date(2020, 12, 31))


def get(key: str) -> Municipality:
    entry = db.session.get(Municipality, key)
    assert entry is not None
    return entry


# --- levels --------------------------------------------------------------------------------


def test_district_level_of_the_sample(app: Flask, register: None) -> None:
    keys = [m.key for m in register_service.district_level()]
    # Landkreise by their Kreis key, kreisfreie Städte as the Gemeinde they report as
    assert keys == [
        "01001000",
        "01002000",
        "05113000",
        "05315000",
        "05334",
        "06632",
        "08436",
        "09671",
    ]
    assert {m.comparison_level for m in register_service.district_level()} == {
        ComparisonLevel.DISTRICT
    }
    assert get("08436064").comparison_level == ComparisonLevel.MUNICIPAL  # Ravensburg, Stadt
    assert get("05").comparison_level is None


@pytest.mark.slow
def test_the_district_level_counts_401(app: Flask) -> None:
    import_register(FULL_REGISTER)
    districts = register_service.district_level()
    assert len(districts) == 401
    assert sum(1 for d in districts if d.level == "gemeinde") == 107  # kreisfreie Städte
    named = register_service.display_names(
        [get("09772"), get("09761000"), get("09761"), get("09187"), get("09162000")]
    )
    assert str(named["09772"]) == "Augsburg (Landkreis)"
    assert str(named["09761000"]) == "Augsburg (kreisfreie Stadt)"
    assert str(named["09761"]) == "Augsburg (kreisfreie Stadt)"  # its Kreis row: the same
    assert str(named["09187"]) == "Rosenheim (Landkreis)"
    assert str(named["09162000"]) == "München, Landeshauptstadt"
    # four Gemeinden named Buchholz, two of them in Schleswig-Holstein: told apart by Kreis
    buchholz = register_service.display_names([get("01051012"), get("03257008")])
    assert str(buchholz["01051012"]) == "Buchholz (Kreis Dithmarschen)"
    assert str(buchholz["03257008"]) == "Buchholz (Landkreis Schaumburg)"


def test_size_class_of_an_entry(app: Flask, register: None) -> None:
    essen = get("05113000")
    assert essen.size_class is not None and essen.size_class.code == "ab_500000"
    assert get("09671451").size_class is None  # gemeindefreies Gebiet, 0 inhabitants


# --- a district's position and urbanisation ------------------------------------------------


def test_a_kreis_lies_at_the_weighted_centroid_of_its_gemeinden(app: Flask, register: None) -> None:
    ravensburg = get("08436")
    gemeinden = register_service.gemeinden_of(ravensburg)
    total = sum(g.population or 0 for g in gemeinden if g.lat is not None)
    lat = sum((g.population or 0) * (g.lat or 0) for g in gemeinden if g.lat is not None) / total
    found = register_service.profile(ravensburg)
    assert found.lat == pytest.approx(lat, abs=1e-6)
    assert found.lon is not None and 9 < found.lon < 10
    assert found.urbanisation in (1, 2, 3)
    by_class: dict[int, int] = {}
    for g in gemeinden:
        if g.urbanisation:
            by_class[g.urbanisation] = by_class.get(g.urbanisation, 0) + (g.population or 0)
    assert found.urbanisation == max(by_class, key=lambda c: by_class[c])


def test_a_gemeinde_keeps_its_own_position(app: Flask, register: None) -> None:
    essen = get("05113000")
    assert register_service.profile(essen) == register_service.Profile(
        essen.lat, essen.lon, essen.urbanisation
    )
    both = register_service.profiles([essen, get("08436"), get("09671")])
    assert set(both) == {"05113000", "08436", "09671"}


# --- the previous cycle ----------------------------------------------------------------------


@pytest.fixture
def people(app: Flask, make_user: Any) -> dict[str, User]:
    return {
        "reporter": make_user("reporter", municipality="05113000"),
        "reviewer": make_user("reviewer", scope="05"),
        "admin": make_user("admin"),
        "staff": make_user("staff"),
    }


def test_previous_cycle_is_the_latest_earlier_published_one(
    app: Flask, people: dict[str, User]
) -> None:
    for year in (2022, 2023, 2024, 2025):
        factories.make_cycle(
            str(year),
            period_start=date(year, 1, 1),
            period_end=date(year, 12, 31),
            deadline=date(year + 1, 3, 31),
        )
    cycle_2025 = reports.cycles.get_cycle("2025")
    assert publication.previous_cycle("05113000", cycle_2025) is None
    for year in ("2022", "2023"):
        reports.import_document(people["admin"], factories.document("05113000", year), publish=True)
    # 2024: submitted but not published, so it does not count
    draft, _ = reports.import_document(people["reporter"], factories.document("05113000", "2024"))
    reports.submit(people["reporter"], draft)
    previous = publication.previous_cycle("05113000", cycle_2025)
    assert previous is not None and previous.code == "2023"
    assert publication.previous_cycle("05113000", reports.cycles.get_cycle("2023")).code == "2022"  # type: ignore[union-attr]
    assert publication.previous_cycle("05315000", cycle_2025) is None  # another municipality


# --- names on the pages ------------------------------------------------------------------------


def test_pages_tell_same_named_entries_apart(
    app: Flask, two_aschaffenburgs: None, client: FlaskClient
) -> None:
    landkreis = client.get("/kommunen/09671000").text
    assert '<h1 class="kern-heading-large kern-mb-md">Aschaffenburg (Landkreis)</h1>' in landkreis
    city = client.get("/kommunen/09661000").text
    assert "Aschaffenburg (kreisfreie Stadt)</h1>" in city
    listing = client.get("/kommunen/?q=aschaffenburg&level=kreis").text
    assert "Aschaffenburg (Landkreis)" in listing and "Aschaffenburg (kreisfreie Stadt)" in listing
    english = client.get("/kommunen/09671000", headers={"Accept-Language": "en"}).text
    assert "Aschaffenburg (district)</h1>" in english
    city_en = client.get("/kommunen/09661000", headers={"Accept-Language": "en"}).text
    assert "Aschaffenburg (independent city)</h1>" in city_en


def test_the_published_report_shows_the_display_name(
    app: Flask, two_aschaffenburgs: None, make_user: Any
) -> None:
    factories.make_cycle("2025")
    admin, staff = make_user("admin"), make_user("staff")
    reports.import_document(admin, factories.document("09671000"), publish=True)
    client = app.test_client()
    login(client, staff)
    response = client.get("/berichte/2025/09671000/veroeffentlicht")
    assert response.status_code == 200, response.text[:3000]
    page = response.text
    assert "Aschaffenburg (Landkreis): Berichtsrunde 2025</h1>" in page
    assert "<title>Aschaffenburg (Landkreis) – Berichtsrunde 2025" in page


def test_a_name_does_not_depend_on_what_else_is_asked(app: Flask, register: None) -> None:
    """Gemeindeverbände (and retired entries) are told apart but never change how the others
    read: Flensburg reads the same alone and next to its Gemeindeverband of the same name."""
    city, verband, kreis = get("01001000"), get("010010000"), get("01001")
    alone = register_service.display_name(city)
    together = register_service.display_names([city, verband, kreis])
    assert str(alone) == str(together["01001000"]) == "Flensburg, Stadt"
    assert str(together["01001"]) == "Flensburg, Stadt"  # the Kreis row: the same city
    assert str(together["010010000"]) == "Flensburg, Stadt (Gemeindeverband)"
