"""The municipality directory (search, filters, paging) and the profile page."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from omk.services.register_import import import_register
from tests.conftest import SAMPLE_REGISTER


def result_rows(html: str) -> list[str]:
    """The names in the directory's result table, in order."""
    body = html.split('<tbody class="kern-table__body">', 1)
    if len(body) == 1:
        return []
    return re.findall(r'<td class="kern-table__cell"><a href="[^"]+">([^<]+)</a>', body[1])


def total(html: str) -> int:
    match = re.search(r"([\d.]+) Treffer", html)
    assert match, "no hit count on the page"
    return int(match.group(1).replace(".", ""))


def assert_csp_clean(html: str) -> None:
    """No inline style or script: the pages work under the strict CSP."""
    assert "style=" not in html
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)
    assert not re.search(r"\son[a-z]+=", html)


# --- directory ------------------------------------------------------------------------------


def test_directory_lists_gemeinden_by_default(client: FlaskClient, register: None) -> None:
    response = client.get("/kommunen/")
    assert response.status_code == 200
    assert total(response.text) == 37
    names = result_rows(response.text)
    assert len(names) == 37
    assert names[:3] == ["Aachen, Stadt", "Aitrach", "Alheim"]
    assert_csp_clean(response.text)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("level=kreis", 8),
        ("level=land", 5),
        ("level=regierungsbezirk", 5),
        ("level=region", 1),
        ("level=gemeindeverband", 36),
        ("level=alle", 92),
        ("level=unsinn", 37),  # unknown level: the default (Gemeinden)
        ("land=06", 20),
        ("land=06&level=kreis", 1),
        ("land=xx", 37),  # not a Land key: ignored
        ("urbanisation=1", 6),
        ("urbanisation=2", 13),
        ("urbanisation=3", 18),
        ("urbanisation=9", 37),  # no such code: ignored
        ("land=05&urbanisation=1", 4),
    ],
)
def test_directory_filters(client: FlaskClient, register: None, query: str, expected: int) -> None:
    response = client.get(f"/kommunen/?{query}")
    assert response.status_code == 200
    assert total(response.text) == expected


def test_directory_filter_keeps_its_choices_selected(client: FlaskClient, register: None) -> None:
    html = client.get("/kommunen/?land=06&level=kreis&urbanisation=3&q=hers").text
    assert '<option value="06" selected>Hessen</option>' in html
    assert '<option value="kreis" selected>' in html
    assert '<option value="3" selected>' in html
    assert 'value="hers"' in html


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ("q=ravens", ["Ravensburg, Stadt"]),
        ("q=RAVENSBURG&level=alle", ["Ravensburg (Landkreis)", "Ravensburg, Stadt"]),
        (
            "q=schöllkrippen&level=alle",
            ["Schöllkrippen (Verwaltungsgemeinschaft)", "Schöllkrippen, Markt"],
        ),
        ("q=SCHÖLLKRIPPEN", ["Schöllkrippen, Markt"]),  # umlauts fold on SQLite too
        ("q=düsseldorf&level=regierungsbezirk", ["Regierungsbezirk Düsseldorf"]),
        ("q=%25", []),  # a literal percent sign, not a wildcard
        ("q=_", []),
        (
            "q=05334",
            [
                "Aachen, Stadt",
                "Alsdorf, Stadt",
                "Herzogenrath, Stadt",
                "Stolberg (Rhld.), Kupferstadt",
            ],
        ),
        ("q=08436000&level=kreis", ["Ravensburg (Landkreis)"]),  # a Kreis by its reporting key
        ("q=0843600&level=kreis", ["Ravensburg (Landkreis)"]),
        (
            "q=01001000&level=alle",
            ["Flensburg, Stadt", "Flensburg, Stadt", "Flensburg, Stadt (Gemeindeverband)"],
        ),
    ],
)
def test_directory_search_by_name_or_key_prefix(
    client: FlaskClient, register: None, query: str, names: list[str]
) -> None:
    html = client.get(f"/kommunen/?{query}").text
    assert sorted(result_rows(html)) == names
    assert total(html) == len(names)


def test_directory_search_by_key_prefix_is_a_prefix(client: FlaskClient, register: None) -> None:
    html = client.get("/kommunen/?q=066").text
    assert total(html) == 20  # every Gemeinde of Hersfeld-Rotenburg (Reg.-Bez. Kassel)
    assert total(client.get("/kommunen/?q=66").text) == 0  # not a substring match


def test_directory_pages(client: FlaskClient, register: None) -> None:
    first = client.get("/kommunen/?level=alle")
    assert len(result_rows(first.text)) == 50
    assert "Seite 1 von 2" in first.text
    assert 'rel="next"' in first.text and 'rel="prev"' not in first.text
    next_url = re.search(r'href="([^"]+)" rel="next"', first.text)
    assert next_url is not None
    assert "level=alle" in next_url.group(1) and "page=2" in next_url.group(1)

    second = client.get(next_url.group(1).replace("&amp;", "&"))
    assert len(result_rows(second.text)) == 42
    assert "Seite 2 von 2" in second.text
    assert 'rel="prev"' in second.text and 'rel="next"' not in second.text
    everything = client.get("/kommunen/?level=alle&page=1").text
    assert result_rows(everything) == result_rows(first.text)

    beyond = client.get("/kommunen/?level=alle&page=99")
    assert beyond.status_code == 200
    assert result_rows(beyond.text) == []
    assert "Diese Seite gibt es nicht" in beyond.text

    assert client.get("/kommunen/?page=abc").status_code == 200


def test_directory_is_empty_without_register(client: FlaskClient) -> None:
    response = client.get("/kommunen/")
    assert response.status_code == 200
    assert total(response.text) == 0


# --- profile --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "expected"),
    [("de", "33,45000° S, 70,66000° W"), ("en", "33.45000° S, 70.66000° W")],
)
def test_coordinates_name_south_and_west(app: Flask, language: str, expected: str) -> None:
    with app.test_request_context(headers={"Accept-Language": language}):
        assert app.jinja_env.filters["coordinates"](-33.45, -70.66) == expected


def test_profile_of_a_kreisfreie_stadt(client: FlaskClient, register: None) -> None:
    response = client.get("/kommunen/01001000")
    assert response.status_code == 200
    html = response.text
    assert "<h1" in html and "Flensburg, Stadt</h1>" in html
    assert "<code>01001000</code>" in html
    assert "Kreisfreie Stadt" in html
    assert "kreisfrei – die Stadt gehört keinem Landkreis an" in html
    assert "90.164" in html
    assert "53,02 km²" in html
    assert "1.700,6" in html  # 90,164 / 53.02 km²
    assert "dicht besiedelt" in html
    assert "54,78252° N, 9,43751° O" in html
    english = client.get("/kommunen/01001000", headers={"Accept-Language": "en"}).text
    assert "54.78252° N, 9.43751° E" in english
    assert "24937" in html
    # Breadcrumbs: the Land, not the city's own Kreis row (that is the city itself).
    crumbs = html.split('class="omk-breadcrumb"', 1)[1].split("</nav>", 1)[0]
    assert 'href="/kommunen/01">Schleswig-Holstein</a>' in crumbs
    assert 'href="/kommunen/01001000"' not in crumbs
    assert "nicht mehr aktuell" not in html.lower()
    assert_csp_clean(html)


def test_profile_of_a_landkreis(client: FlaskClient, register: None) -> None:
    html = client.get("/kommunen/08436000").text
    # told apart from the city "Ravensburg, Stadt": a bare "Ravensburg" reads as the city
    assert "Ravensburg (Landkreis)</h1>" in html
    assert "Landkreis" in html
    assert "Kreisschlüssel <code>08436</code>" in html
    assert "kreisfrei –" not in html
    assert "54.275" in html and "Summe der Gemeinden" in html  # 683 + 2,695 + 50,897
    crumbs = html.split('class="omk-breadcrumb"', 1)[1].split("</nav>", 1)[0]
    assert re.findall(r">([^<]+)</a>", crumbs) == [
        "Kommunen",
        "Baden-Württemberg",
        "Regierungsbezirk Tübingen",
        "Region Bodensee-Oberschwaben",
    ]
    gemeinden = html.split('id="gemeinden-heading"', 1)[1].split("</section>", 1)[0]
    assert re.findall(r">([^<]+)</a>", gemeinden) == [
        "Aitrach",
        "Fleischwangen",
        "Ravensburg, Stadt",
    ]
    children = html.split('id="children-heading"', 1)[1].split("</section>", 1)[0]
    assert (
        "Gemeindeverwaltungsverband Altshausen" in children
        and 'href="/kommunen/084365001"' in children
    )


def test_kreis_keys_redirect_to_the_reporting_key(client: FlaskClient, register: None) -> None:
    response = client.get("/kommunen/08436")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/kommunen/08436000")
    flensburg = client.get("/kommunen/01001")
    assert flensburg.status_code == 302
    assert flensburg.headers["Location"].endswith("/kommunen/01001000")


def test_profile_of_a_land_and_a_gemeindeverband(client: FlaskClient, register: None) -> None:
    land = client.get("/kommunen/05").text
    assert "Nordrhein-Westfalen</h1>" in land
    assert re.search(r"<dt>Ebene</dt><dd>Land</dd>", land)
    children = land.split('id="children-heading"', 1)[1].split("</section>", 1)[0]
    assert "Regierungsbezirk Düsseldorf" in children and "Regierungsbezirk Köln" in children

    gv = client.get("/kommunen/096715604").text
    assert "Schöllkrippen (Verwaltungsgemeinschaft)</h1>" in gv
    assert "Verwaltungsgemeinschaft" in gv
    assert "Schöllkrippen, Markt" in gv and "Sommerkahl" in gv


def test_profile_of_an_uninhabited_area(client: FlaskClient, register: None) -> None:
    html = client.get("/kommunen/09671451").text
    assert "Forst Hain i.Spessart</h1>" in html
    assert "Gemeindefreies Gebiet, unbewohnt" in html
    assert re.search(r"<dt>Einwohner je km²</dt><dd>–</dd>", html)
    assert "Unbewohntes gemeindefreies Gebiet" in html


def test_profile_of_a_retired_entry(client: FlaskClient, register: None, tmp_path: Path) -> None:
    lines = SAMPLE_REGISTER.read_bytes().split(b"\n")
    lines = [line for line in lines if b",Fleischwangen," not in line]
    newer = tmp_path / "neuer.csv"
    newer.write_bytes(b"\n".join(lines))
    import_register(newer)

    html = client.get("/kommunen/08436032").text
    assert "Fleischwangen</h1>" in html
    assert "Nicht mehr aktuell" in html
    assert "Nicht mehr aktuell seit" in html
    assert "Fleischwangen" not in client.get("/kommunen/?q=fleisch").text.split("<tbody", 1)[-1]
    kreis = client.get("/kommunen/08436000").text
    assert "Fleischwangen" not in kreis


@pytest.mark.parametrize("key", ["99999999", "0500", "abc", "01001000x", "٠١"])
def test_unknown_keys_are_404(client: FlaskClient, register: None, key: str) -> None:
    response = client.get(f"/kommunen/{key}")
    assert response.status_code == 404
    assert "text/html" in response.content_type


def test_directory_and_profile_in_english(client: FlaskClient, register: None) -> None:
    english = {"Accept-Language": "en"}
    land = client.get("/kommunen/05", headers=english).text
    assert re.search(r"<dt>Level</dt><dd>State</dd>", land)
    flensburg = client.get("/kommunen/01001000", headers=english).text
    assert "county-free – the city belongs to no rural district" in flensburg
    # the register's type, as every label, in English (its own msgids: "register type")
    assert "<dt>Type</dt><dd>Independent city</dd>" in flensburg
    ravensburg = client.get("/kommunen/08436000", headers=english).text
    assert "<dt>Type</dt><dd>Rural district</dd>" in ravensburg
    assert "Kreisfreie Stadt" not in flensburg and "Landkreis<" not in ravensburg
    directory = client.get("/kommunen/?level=alle", headers=english).text
    assert '<option value="alle" selected>all levels</option>' in directory
    assert '<option value="kreis">District</option>' in directory


def test_a_kreis_lists_a_one_gemeinde_verband_once(client: FlaskClient, register: None) -> None:
    """In Nordrhein-Westfalen every Gemeinde is a Gemeindeverband of its own name: the Kreis
    lists it once, as a Gemeinde, not again under "Darunter" as "Aachen, Stadt
    (Gemeindeverband) (Gemeindeverband)"."""
    for headers in ({}, {"Accept-Language": "en"}):
        html = client.get("/kommunen/05334000", headers=headers).text
        gemeinden = html.split('id="gemeinden-heading"', 1)[1].split("</section>", 1)[0]
        assert "Aachen, Stadt" in gemeinden
        assert 'id="children-heading"' not in html
        assert "(Gemeindeverband) (Gemeindeverband)" not in html
    # a Verwaltungsgemeinschaft of several Gemeinden is still listed beside them
    html = client.get("/kommunen/08436000").text
    assert "Gemeindeverwaltungsverband Altshausen" in html.split('id="children-heading"', 1)[1]
