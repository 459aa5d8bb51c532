"""Hostile JSON bodies get a 4xx with the path and a German reason, never a 500, and nothing
is stored (issue: lone surrogates, huge numbers, deep nesting, huge unknown values)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from omk.extensions import db
from omk.models import Report
from omk.services import accounts
from tests import factories

ESSEN = "05113000"


@pytest.fixture
def headers(app: Flask, make_user: Any) -> dict[str, str]:
    factories.make_cycle("2025")
    token = accounts.create_token(None, make_user("reporter", municipality=ESSEN))
    return {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}


def _doc_with(practice_text: str) -> tuple[str, str]:
    """A valid document serialised with ``practice_text`` spliced in as the title's JSON."""
    doc = factories.document(ESSEN)
    pid = doc["practices"][0]["id"]
    doc["practices"][0]["title"] = "@@TITLE@@"
    return json.dumps(doc).replace('"@@TITLE@@"', practice_text), pid


def _deep(levels: int) -> str:
    return '{"x": ' * levels + "1" + "}" * levels


CASES = {
    "lone surrogate": ('"x\\ud800y"', "title"),
    "4,300 digits": ("1" + "0" * 4300, "title"),
    "huge float": ("1e999", "title"),
    "NaN": ("NaN", "title"),
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_hostile_values_are_refused_with_their_path(
    client: FlaskClient, headers: dict[str, str], case: str
) -> None:
    text, field = CASES[case]
    body, pid = _doc_with(text)
    r = client.post("/api/v1/reports", data=body, headers=headers)
    assert r.status_code == 422, r.data[:300]
    fields = {e["field"] for e in r.json["errors"]}
    assert f"practices[{pid}].{field}" in fields
    assert db.session.scalar(select(func.count(Report.id))) == 0


def test_deep_nesting_under_an_unknown_key_is_refused(
    client: FlaskClient, headers: dict[str, str]
) -> None:
    doc = factories.document(ESSEN)
    body = json.dumps(doc)[:-1] + ', "zz": ' + _deep(950) + "}"
    r = client.post("/api/v1/reports", data=body, headers=headers)
    assert r.status_code == 422
    [error] = r.json["errors"]
    # Python's parser may give up first (body), else the depth check does (document).
    assert error["field"] in ("body", "document") and "verschachtelt" in error["message"]


def test_a_large_unknown_value_is_refused_not_stored(
    client: FlaskClient, headers: dict[str, str]
) -> None:
    doc = factories.document(ESSEN)
    doc["practices"][0]["zz_blob"] = "x" * 3_000_000  # under the body limit, over 10 KB
    r = client.post("/api/v1/reports", data=json.dumps(doc), headers=headers)
    assert r.status_code == 422
    pid = doc["practices"][0]["id"]
    assert {e["field"] for e in r.json["errors"]} == {f"practices[{pid}].zz_blob"}
    assert db.session.scalar(select(func.count(Report.id))) == 0


def test_a_body_larger_than_a_report_file_is_refused_before_parsing(
    client: FlaskClient, headers: dict[str, str]
) -> None:
    """A JSON body may be as large as a report file on the upload page (4 MB), no larger:
    refused with 413 and a message naming the limit, before anything parses it."""
    doc = factories.document(ESSEN)
    doc["practices"][0]["zz_blob"] = "x" * 7_000_000
    r = client.post("/api/v1/reports", data=json.dumps(doc), headers=headers)
    assert r.status_code == 413
    [error] = r.json["errors"]
    assert error["field"] == "body" and "höchstens 4 MB" in error["message"]
    assert db.session.scalar(select(func.count(Report.id))) == 0


def test_invalid_utf8_and_broken_json_are_refused(
    client: FlaskClient, headers: dict[str, str]
) -> None:
    for body in (b'{"format": "\xff"}', b'{"format": '):
        r = client.post("/api/v1/reports", data=body, headers=headers)
        assert r.status_code == 422
        assert r.json["errors"][0]["field"] == "body"
