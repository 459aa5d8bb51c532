"""The report API: the whole workflow as municipalities' and regional bodies' systems use it."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from omk.services import accounts
from tests import factories

ESSEN = "05113000"


def bearer(user: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {accounts.create_token(None, user)}"}


@pytest.fixture
def world(app: Flask, make_user: Any) -> dict[str, Any]:
    factories.make_cycle("2025")
    reporter = make_user("reporter", municipality=ESSEN)
    return {
        "reporter": bearer(reporter),
        "reviewer": bearer(make_user("reviewer", scope="05")),
        "other_reviewer": bearer(make_user("reviewer", scope="06")),
        "other_reporter": bearer(make_user("reporter", municipality="05315000")),
        "staff": bearer(make_user("staff")),
        "admin": bearer(make_user("admin")),
    }


def test_whole_workflow_through_the_api(client: FlaskClient, world: dict[str, Any]) -> None:
    doc = factories.document(ESSEN)
    pid = doc["practices"][0]["id"]

    r = client.post("/api/v1/reports", json=doc, headers=world["reporter"])
    assert r.status_code == 201, r.json
    assert r.json["state"] == "draft" and r.json["changed"] is True
    # the same document again changes nothing
    r = client.post("/api/v1/reports", json=doc, headers=world["reporter"])
    assert r.status_code == 200 and r.json["changed"] is False

    # the draft is the municipality's own: reviewers and staff see nothing yet
    assert client.get(f"/api/v1/reports/{ESSEN}/2025", headers=world["reviewer"]).status_code in (
        403,
        404,
    )
    assert client.get(f"/api/v1/reports/{ESSEN}/2025", headers=world["staff"]).status_code in (
        403,
        404,
    )
    own = client.get(f"/api/v1/reports/{ESSEN}/2025", headers=world["reporter"])
    assert own.status_code == 200 and own.json["meta"]["content"] == "draft"
    assert own.json["practices"][0]["id"] == pid

    r = client.post(f"/api/v1/reports/{ESSEN}/2025/submit", headers=world["reporter"])
    assert r.status_code == 200, r.json
    assert r.json == {"municipality": ESSEN, "cycle": "2025", "state": "submitted", "revision": 1}

    # a submitted report is not editable
    r = client.post("/api/v1/reports", json=doc, headers=world["reporter"])
    assert r.status_code == 409

    # return without comment: 422; with a field comment: returned
    assert (
        client.post(
            f"/api/v1/reports/{ESSEN}/2025/return", json={"comments": []}, headers=world["reviewer"]
        ).status_code
        == 422
    )
    assert (
        client.post(
            f"/api/v1/reports/{ESSEN}/2025/return",
            json={
                "comments": [
                    {"field": f"practices[{pid}].outcomes", "text": "Bitte Zahlen nennen."}
                ]
            },
            headers=world["other_reviewer"],
        ).status_code
        == 404  # another region does not even learn that the report exists
    )
    r = client.post(
        f"/api/v1/reports/{ESSEN}/2025/return",
        json={
            "comments": [
                {
                    "field": "indicators.unterbringung.zuweisungen",
                    "text": "Die Zahl wirkt zu hoch.",
                },
                {"field": f"practices[{pid}].outcomes", "text": "Bitte Zahlen nennen."},
            ]
        },
        headers=world["reviewer"],
    )
    assert r.status_code == 200, r.json
    assert r.json["state"] == "returned"

    # the municipality edits the next draft
    doc2 = copy.deepcopy(doc)
    doc2["indicators"]["unterbringung.zuweisungen"] = 312
    doc2["practices"][0]["outcomes"] = (
        "Rund 40 Teilnehmende pro Woche, 12 davon in Arbeit vermittelt."
    )
    r = client.post("/api/v1/reports", json=doc2, headers=world["reporter"])
    assert r.status_code == 200 and r.json["changed"] is True
    assert (
        client.post(f"/api/v1/reports/{ESSEN}/2025/submit", headers=world["reporter"]).json[
            "revision"
        ]
        == 2
    )

    versions = client.get(f"/api/v1/reports/{ESSEN}/2025/versions", headers=world["reviewer"]).json[
        "versions"
    ]
    assert [v["number"] for v in versions] == [1, 2]
    assert versions[0]["outcome"] == "returned" and versions[1]["outcome"] is None

    changes = client.get(
        f"/api/v1/reports/{ESSEN}/2025/diff?from=1&to=2", headers=world["reviewer"]
    ).json["changes"]
    assert {c["field"] for c in changes} == {
        "indicators.unterbringung.zuweisungen",
        f"practices[{pid}].outcomes",
    }
    assert {"field": "indicators.unterbringung.zuweisungen", "old": 412, "new": 312} in changes

    # reviewer sees the latest revision, staff still nothing published
    assert (
        client.get(f"/api/v1/reports/{ESSEN}/2025", headers=world["reviewer"]).json["meta"][
            "content"
        ]
        == "revision"
    )
    assert client.get(f"/api/v1/reports/{ESSEN}/2025", headers=world["staff"]).status_code == 404

    r = client.post(f"/api/v1/reports/{ESSEN}/2025/accept", headers=world["reviewer"])
    assert r.status_code == 200 and r.json["state"] == "accepted"
    published = client.get(f"/api/v1/reports/{ESSEN}/2025", headers=world["staff"])
    assert published.status_code == 200
    assert published.json["meta"]["content"] == "published"
    assert published.json["indicators"]["unterbringung.zuweisungen"] == 312
    # accepted twice: conflict
    assert (
        client.post(f"/api/v1/reports/{ESSEN}/2025/accept", headers=world["reviewer"]).status_code
        == 409
    )


def test_if_match_edit_check(client: FlaskClient, world: dict[str, Any]) -> None:
    doc = factories.document(ESSEN)
    client.post("/api/v1/reports", json=doc, headers=world["reporter"])
    tag = client.get(f"/api/v1/reports/{ESSEN}/2025", headers=world["reporter"]).headers["ETag"]
    doc["practices"][0]["title"] = "Erste Änderung"
    r = client.post("/api/v1/reports", json=doc, headers={**world["reporter"], "If-Match": tag})
    assert r.status_code == 200
    doc["practices"][0]["title"] = "Zweite Änderung mit altem Stand"
    r = client.post("/api/v1/reports", json=doc, headers={**world["reporter"], "If-Match": tag})
    assert r.status_code == 409
    assert "geändert" in r.json["message"]


def test_invalid_documents_are_rejected_whole(client: FlaskClient, world: dict[str, Any]) -> None:
    doc = factories.document(ESSEN)
    doc["indicators"]["unbekannt.code"] = 3
    doc["indicators"]["unterbringung.dezentral_anteil"] = 140
    doc["practices"][0]["criterion"] = "wohnen"
    del doc["practices"][0]["summary"]
    doc["practices"].append({"title": "Ohne Pflichtfelder"})
    r = client.post("/api/v1/reports", json=doc, headers=world["reporter"])
    assert r.status_code == 422
    fields = {e["field"] for e in r.json["errors"]}
    pid = doc["practices"][0]["id"]
    assert f"practices[{pid}].criterion" in fields
    assert f"practices[{pid}].summary" in fields
    assert "practices[#2].criterion" in fields
    # nothing was stored
    assert client.get(f"/api/v1/reports/{ESSEN}/2025", headers=world["reporter"]).status_code == 404


def test_a_wrong_value_of_an_optional_field_says_what_is_wrong_with_it(
    client: FlaskClient, world: dict[str, Any]
) -> None:
    """An optional field may be null or a value: a wrong value is named as such ("at least
    0"), not as "null expected"."""
    doc = factories.document(ESSEN)
    doc["practices"][0]["budget_eur"] = -1
    r = client.post("/api/v1/reports", json=doc, headers=world["reporter"])
    assert r.status_code == 422
    pid = doc["practices"][0]["id"]
    [error] = [e for e in r.json["errors"] if e["field"] == f"practices[{pid}].budget_eur"]
    assert "0" in error["message"] and "null" not in error["message"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"municipality": "99999999"}, "municipality"),
        ({"cycle": "1999"}, "cycle"),
        ({"format": "omk-report/2"}, "format"),
    ],
)
def test_unknown_references(
    client: FlaskClient, world: dict[str, Any], change: dict[str, Any], field: str
) -> None:
    doc = factories.document(ESSEN, **change)
    r = client.post("/api/v1/reports", json=doc, headers=world["reporter"])
    assert r.status_code in (403, 422)
    if r.status_code == 422:
        assert field in {e["field"] for e in r.json["errors"]}


def test_reporter_cannot_write_for_another_municipality(
    client: FlaskClient, world: dict[str, Any]
) -> None:
    doc = factories.document(ESSEN)
    r = client.post("/api/v1/reports", json=doc, headers=world["other_reporter"])
    assert r.status_code == 403
    assert client.get(f"/api/v1/reports/{ESSEN}/2025", headers=world["reporter"]).status_code == 404


def test_nan_and_infinity_are_refused(client: FlaskClient, world: dict[str, Any]) -> None:
    import json

    doc = factories.document(ESSEN)
    body = json.dumps(doc).replace('"budget_eur": 1500', '"budget_eur": NaN')
    assert "NaN" in body
    r = client.post(
        "/api/v1/reports", data=body, content_type="application/json", headers=world["reporter"]
    )
    assert r.status_code == 422
    assert "NaN" in r.json["errors"][0]["message"]


def test_every_problem_is_reported_at_once(client: FlaskClient, world: dict[str, Any]) -> None:
    doc = factories.document(ESSEN)
    doc["practices"][0]["title"] = ""  # a schema problem …
    doc["indicators"]["unterbringung.dezentral_anteil"] = 140  # … and a template problem
    r = client.post("/api/v1/reports", json=doc, headers=world["reporter"])
    assert r.status_code == 422
    fields = {e["field"] for e in r.json["errors"]}
    pid = doc["practices"][0]["id"]
    assert {f"practices[{pid}].title", "indicators.unterbringung.dezentral_anteil"} <= fields


def test_control_characters_are_refused_not_a_server_error(
    client: FlaskClient, world: dict[str, Any]
) -> None:
    doc = factories.document(ESSEN)
    doc["practices"][0]["title"] = "Sprach\x00café"
    r = client.post("/api/v1/reports", json=doc, headers=world["reporter"])
    assert r.status_code == 422
    doc["practices"][0]["title"] = "Sprach\x07café"
    r = client.post("/api/v1/reports", json=doc, headers=world["reporter"])
    assert r.status_code == 422
    pid = doc["practices"][0]["id"]
    assert r.json["errors"] == [
        {
            "field": f"practices[{pid}].title",
            "message": "Der Text enthält unzulässige Steuerzeichen.",
        }
    ]


def test_reopen_an_accepted_report_through_the_api(
    client: FlaskClient, world: dict[str, Any]
) -> None:
    from omk.services import reports

    url = f"/api/v1/reports/{ESSEN}/2025/reopen"
    client.post("/api/v1/reports", json=factories.document(ESSEN), headers=world["reporter"])
    client.post(f"/api/v1/reports/{ESSEN}/2025/submit", headers=world["reporter"])
    not_yet = client.post(url, json={"reason": "Zahlen prüfen"}, headers=world["reviewer"])
    assert not_yet.status_code == 409  # submitted, not accepted
    client.post(f"/api/v1/reports/{ESSEN}/2025/accept", headers=world["reviewer"])

    for body in ({}, {"reason": ""}, {"reason": "   "}, {"reason": "x", "state": "draft"}):
        refused = client.post(url, json=body, headers=world["reviewer"])
        assert refused.status_code == 422, body
    for who in ("reporter", "staff", "other_reviewer", "other_reporter"):
        denied = client.post(url, json={"reason": "fremd"}, headers=world[who])
        assert denied.status_code == 403, who  # it is published: they may know it exists
    stale = client.post(
        url, json={"reason": "Zahlen prüfen"}, headers={**world["reviewer"], "If-Match": '"1.1"'}
    )
    assert stale.status_code == 409 and "If-Match" in stale.json["message"]

    report = reports.get_report("2025", ESSEN)
    tag = f'"{report.id}.{report.edit_version}"'
    r = client.post(
        url, json={"reason": "Kita-Zahlen prüfen"}, headers={**world["reviewer"], "If-Match": tag}
    )
    assert r.status_code == 200, r.json
    assert r.json == {"municipality": ESSEN, "cycle": "2025", "state": "returned", "revision": 1}
    # the accepted revision stays published while the municipality corrects
    published = client.get(f"/api/v1/reports/{ESSEN}/2025", headers=world["staff"])
    assert published.status_code == 200 and published.json["meta"]["content"] == "published"
    assert (
        client.post(url, json={"reason": "noch einmal"}, headers=world["reviewer"]).status_code
        == 409
    )
    own = client.get(f"/api/v1/reports/{ESSEN}/2025", headers=world["reporter"])
    assert own.json["meta"]["state"] == "returned" and own.headers["ETag"]  # editable again


def test_the_reopen_endpoint_is_in_the_openapi_document(client: FlaskClient) -> None:
    spec = client.get("/api/v1/openapi.json").json
    operation = spec["paths"]["/api/v1/reports/{ags}/{cycle}/reopen"]["post"]
    assert operation["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ReopenRequest"
    }
    assert {"200", "409", "422"} <= set(operation["responses"])
    reason = spec["components"]["schemas"]["ReopenRequest"]["properties"]["reason"]
    assert reason["minLength"] == 1 and reason["maxLength"] == 5000
