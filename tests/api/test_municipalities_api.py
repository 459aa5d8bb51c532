"""The register API: list and detail, validation errors, bearer tokens, the OpenAPI document."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import jsonschema
import pytest
from flask import Flask
from flask.testing import FlaskClient
from openapi_spec_validator import validate as validate_openapi

from omk.api.schemas import Error, MunicipalityList, MunicipalityOut
from omk.models import User
from omk.services import accounts
from tests.conftest import login

LEVELS = {"land", "regierungsbezirk", "region", "kreis", "gemeindeverband", "gemeinde"}
ITEM_FIELDS = {
    "ags",
    "key",
    "name",
    "level",
    "type",
    "population",
    "area_km2",
    "density",
    "urbanisation",
    "lat",
    "lon",
    "postcode",
    "is_kreisfrei",
    "is_current",
    "parent",
}
REF = "#/components/schemas/{model}"


def spec(client: FlaskClient) -> dict[str, Any]:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    data: dict[str, Any] = response.json
    return data


def assert_matches_document(client: FlaskClient, model: str, body: Any) -> None:
    """The body is valid against the schema the OpenAPI document publishes for ``model``."""
    document = spec(client)
    schema = {"$ref": f"#/components/schemas/{model}", "components": document["components"]}
    jsonschema.Draft202012Validator(schema).validate(body)


# --- list -----------------------------------------------------------------------------------


def test_list_defaults_to_every_current_entry(client: FlaskClient, register: None) -> None:
    response = client.get("/api/v1/municipalities")
    assert response.status_code == 200
    body = response.json
    assert (body["total"], body["page"], body["per_page"]) == (92, 1, 50)
    assert len(body["items"]) == 50
    for item in body["items"]:
        assert set(item) == ITEM_FIELDS
        assert item["level"] in LEVELS
    MunicipalityList.model_validate(body)
    assert_matches_document(client, "MunicipalityList", body)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("level=gemeinde", 37),
        ("level=kreis", 8),
        ("level=land", 5),
        ("level=region", 1),
        ("land=06", 43),  # Land, RB, Kreis, 20 Gemeindeverbände, 20 Gemeinden
        ("land=06&level=gemeinde", 20),
        ("q=ravensburg", 2),
        ("q=RAVENSBURG&level=kreis", 1),
        ("q=08436000", 1),  # the Kreis by its reporting key
        ("q=0843", 8),  # Region, Kreis, 3 Gemeindeverbände, 3 Gemeinden
        ("q=%25", 0),
        ("urbanisation=1&level=gemeinde", 6),
        ("q=&land=&level=", 92),  # empty parameters are absent parameters
    ],
)
def test_list_filters_and_totals(
    client: FlaskClient, register: None, query: str, expected: int
) -> None:
    response = client.get(f"/api/v1/municipalities?{query}")
    assert response.status_code == 200, response.json
    assert response.json["total"] == expected
    assert len(response.json["items"]) == min(expected, 50)


def test_list_pages_through_everything_once(client: FlaskClient, register: None) -> None:
    seen: list[str] = []
    for page in range(1, 11):
        body = client.get(f"/api/v1/municipalities?per_page=10&page={page}").json
        assert body["total"] == 92 and body["page"] == page and body["per_page"] == 10
        assert len(body["items"]) == (10 if page < 10 else 2)
        seen += [item["key"] for item in body["items"]]
    assert len(seen) == len(set(seen)) == 92
    beyond = client.get("/api/v1/municipalities?per_page=10&page=11").json
    assert beyond["total"] == 92 and beyond["items"] == []


def test_list_item_of_a_kreisfreie_stadt(client: FlaskClient, register: None) -> None:
    items = client.get("/api/v1/municipalities?q=01001000&level=gemeinde").json["items"]
    assert len(items) == 1
    assert items[0] == {
        "ags": "01001000",
        "key": "01001000",
        "name": "Flensburg, Stadt",
        "level": "gemeinde",
        "type": "Kreisfreie Stadt",
        "population": 90164,
        "area_km2": 53.02,
        "density": 1700.6,
        "urbanisation": {"code": 1, "label": "dicht besiedelt"},
        "lat": 54.78252,
        "lon": 9.43751,
        "postcode": "24937",
        "is_kreisfrei": True,
        "is_current": True,
        "parent": {
            "ags": "010010000",
            "key": "010010000",
            "name": "Flensburg, Stadt",
            "level": "gemeindeverband",
        },
    }


def test_urbanisation_labels(client: FlaskClient, register: None) -> None:
    labels = {
        1: "dicht besiedelt",
        2: "mittlere Besiedlungsdichte",
        3: "gering besiedelt",
    }
    for code, label in labels.items():
        items = client.get(f"/api/v1/municipalities?urbanisation={code}&per_page=500").json["items"]
        assert items
        assert {(i["urbanisation"]["code"], i["urbanisation"]["label"]) for i in items} == {
            (code, label)
        }
    kreise = client.get("/api/v1/municipalities?level=kreis").json["items"]
    assert {k["urbanisation"] for k in kreise} == {None}


@pytest.mark.parametrize(
    ("query", "fields"),
    [
        ("page=0", {"query.page"}),
        ("page=abc", {"query.page"}),
        ("per_page=501", {"query.per_page"}),
        ("level=dorf", {"query.level"}),
        ("land=5", {"query.land"}),
        ("land=%D9%A0%D9%A5", {"query.land"}),  # Arabic-Indic digits are not a Land key
        ("urbanisation=4", {"query.urbanisation"}),
        ("sort=name", {"query.sort"}),
        ("q=" + "x" * 101, {"query.q"}),
        (
            "page=0&per_page=0&level=x&land=x",
            {"query.page", "query.per_page", "query.level", "query.land"},
        ),
    ],
)
def test_bad_parameters_are_422_with_every_field(
    client: FlaskClient, register: None, query: str, fields: set[str]
) -> None:
    response = client.get(f"/api/v1/municipalities?{query}")
    assert response.status_code == 422
    assert response.content_type == "application/json"
    body = response.json
    assert body["status"] == 422
    assert body["message"] == "Ungültige Abfrageparameter."
    assert {e["field"] for e in body["errors"]} == fields
    assert all(e["message"] for e in body["errors"])
    Error.model_validate(body)
    assert_matches_document(client, "Error", body)


def test_german_field_messages(client: FlaskClient, register: None) -> None:
    errors = client.get("/api/v1/municipalities?page=abc&per_page=9999&foo=1").json["errors"]
    messages = {e["field"]: e["message"] for e in errors}
    assert messages == {
        "query.page": "Ganze Zahl erwartet.",
        "query.per_page": "Wert ist zu groß.",
        "query.foo": "Unbekanntes Feld.",
    }


# --- detail ---------------------------------------------------------------------------------


def test_detail_of_a_gemeinde(client: FlaskClient, register: None) -> None:
    response = client.get("/api/v1/municipalities/08436064")
    assert response.status_code == 200
    body = response.json
    assert (body["ags"], body["name"], body["level"]) == (
        "08436064",
        "Ravensburg, Stadt",
        "gemeinde",
    )
    assert body["type"] == "Große Kreisstadt" and body["is_kreisfrei"] is False
    assert body["parent"]["key"] == "084365005"
    MunicipalityOut.model_validate(body)
    assert_matches_document(client, "MunicipalityOut", body)


def test_detail_of_a_kreis_by_its_reporting_key(client: FlaskClient, register: None) -> None:
    body = client.get("/api/v1/municipalities/08436000").json
    assert (body["ags"], body["key"], body["level"], body["type"]) == (
        "08436000",
        "08436",
        "kreis",
        "Landkreis",
    )
    assert body["population"] == 683 + 2695 + 50897
    assert body["parent"] == {
        "ags": "0843",
        "key": "0843",
        "name": "Region Bodensee-Oberschwaben",
        "level": "region",
    }
    assert client.get("/api/v1/municipalities/08436").json == body


def test_detail_of_a_land(client: FlaskClient, register: None) -> None:
    body = client.get("/api/v1/municipalities/05").json
    assert (body["ags"], body["name"], body["level"], body["parent"]) == (
        "05",
        "Nordrhein-Westfalen",
        "land",
        None,
    )
    assert body["population"] == 582760 + 1087863 + 248960 + 47149 + 46375 + 56466


def test_detail_of_an_uninhabited_area_has_no_density(client: FlaskClient, register: None) -> None:
    body = client.get("/api/v1/municipalities/09671451").json
    assert body["population"] == 0 and body["area_km2"] == 21.1 and body["density"] is None


@pytest.mark.parametrize("key", ["99999999", "abc", "0", "٠٥"])
def test_unknown_key_is_404_json(client: FlaskClient, register: None, key: str) -> None:
    response = client.get(f"/api/v1/municipalities/{key}")
    assert response.status_code == 404
    assert response.content_type == "application/json"
    assert response.json == {
        "message": "Diesen Schlüssel gibt es im Gemeindeverzeichnis nicht.",
        "status": 404,
    }


# --- bearer tokens ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "header",
    ["Bearer omk_nichtgueltig", "Bearer ", "Basic dXNlcjpwYXNz", "bearer x", "Token abc"],
)
def test_a_present_but_invalid_token_is_401(
    client: FlaskClient, register: None, header: str
) -> None:
    for path in ["/api/v1/municipalities", "/api/v1/municipalities/05", "/api/v1/me"]:
        response = client.get(path, headers={"Authorization": header})
        assert response.status_code == 401, (path, header)
        assert response.content_type == "application/json"
        assert response.json["status"] == 401 and response.json["message"]
        assert response.headers["WWW-Authenticate"] == 'Bearer realm="omk"'


def test_a_valid_token_works(
    app: Flask, client: FlaskClient, make_user: Callable[..., User]
) -> None:
    user = make_user("reporter", municipality="05113000", email="bericht@example.org")
    token = accounts.create_token(None, user, "test")
    headers = {"Authorization": f"Bearer {token}"}

    me = client.get("/api/v1/me", headers=headers)
    assert me.status_code == 200
    assert me.json == {
        "id": user.id,
        "email": "bericht@example.org",
        "role": "reporter",
        "municipality": "05113000",
        "scope": None,
    }
    assert_matches_document(client, "Me", me.json)
    listed = client.get("/api/v1/municipalities?level=land", headers=headers)
    assert listed.status_code == 200 and listed.json["total"] == 5

    row = accounts.tokens_of(user)[0]
    accounts.revoke_token(user, row.id)
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_me_requires_a_token_and_ignores_the_session(
    client: FlaskClient, make_user: Callable[..., User]
) -> None:
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.json["status"] == 401

    user = make_user("staff")
    assert login(client, user).status_code == 302
    assert client.get("/konto/").status_code == 200
    assert client.get("/api/v1/me").status_code == 401  # a session cookie is no API login


# --- OpenAPI --------------------------------------------------------------------------------


def test_openapi_document_is_valid_openapi_31(client: FlaskClient) -> None:
    document = spec(client)
    assert document["openapi"] == "3.1.0"
    validate_openapi(document)
    assert {"/api/v1/municipalities", "/api/v1/municipalities/{ags}", "/api/v1/me"} <= set(
        document["paths"]
    )
    me = document["paths"]["/api/v1/me"]["get"]
    assert me["security"] == [{"bearer": []}]
    assert "401" in me["responses"]
    listing = document["paths"]["/api/v1/municipalities"]["get"]
    assert {p["name"] for p in listing["parameters"]} == {
        "q",
        "land",
        "level",
        "urbanisation",
        "page",
        "per_page",
    }


def test_openapi_schemas_are_generated_from_the_models(client: FlaskClient) -> None:
    components = spec(client)["components"]["schemas"]
    for model in (MunicipalityOut, MunicipalityList, Error):
        generated = model.model_json_schema(ref_template=REF, mode="serialization")
        nested = generated.pop("$defs", {})
        assert components[model.__name__] == generated
        for name, schema in nested.items():
            assert components[name] == schema
    level = components["MunicipalityOut"]["properties"]["level"]
    assert set(level["enum"]) == LEVELS


def test_every_api_route_is_documented(app: Flask, client: FlaskClient) -> None:
    document = spec(client)
    undocumented = {"api.openapi_json", "api.docs"}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/") or rule.endpoint in undocumented:
            continue
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule)
        assert path in document["paths"], rule.rule
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert method.lower() in document["paths"][path], (method, rule.rule)


def test_docs_page_renders_every_path(client: FlaskClient) -> None:
    document = spec(client)
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    html = response.text
    words = " ".join(re.sub(r"<[^>]+>", " ", html).split())
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            assert f"{method.upper()} {path}" in words
            assert " ".join(operation["summary"].split()) in words
    assert "style=" not in html
