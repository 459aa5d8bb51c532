"""GET /api/v1/synthesis (issue 13, item 4): the newest published version by default, older
versions by number, the draft for the region's reviewers only, every table, the files."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from omk.extensions import db
from omk.models import User
from omk.services import accounts, reports
from omk.services import synthesis as service
from tests import factories

ESSEN, KOELN = "05113000", "05315000"
URL = "/api/v1/synthesis"


@pytest.fixture
def tokens(app: Flask, make_user: Callable[..., User]) -> dict[str, str]:
    """Cycle 2025 with Essen and Köln published; region 05 has version 1 and a draft that
    says more."""
    factories.make_cycle("2025")
    admin = make_user("admin")
    for key in (ESSEN, KOELN):
        reports.import_document(admin, factories.document(key), publish=True)
    reviewer = make_user("reviewer", scope="05")
    draft = service.generate(reviewer, "2025", "05")
    draft = service.save_texts(
        reviewer,
        "2025",
        "05",
        introduction="Fassung eins",
        comments={"participation": "Zur Beteiligung."},
        names_shown=False,
        edit_version=draft.edit_version,
    )
    service.publish(reviewer, "2025", "05", edit_version=draft.edit_version)
    draft = service.save_texts(
        reviewer,
        "2025",
        "05",
        introduction="NOCH-NICHT-VEROEFFENTLICHT",
        comments={},
        names_shown=False,
        edit_version=draft.edit_version,
    )
    db.session.rollback()
    users = {
        "reviewer": reviewer,
        "reviewer_06": make_user("reviewer", scope="06"),
        "staff": make_user("staff"),
        "reporter": make_user("reporter", municipality=ESSEN),
        "admin": admin,
    }
    return {name: accounts.create_token(None, user) for name, user in users.items()}


def _get(client: FlaskClient, token: str, **query: Any) -> Any:
    return client.get(URL, query_string=query, headers={"Authorization": f"Bearer {token}"})


def test_the_newest_published_version_with_every_table(
    client: FlaskClient, tokens: dict[str, str]
) -> None:
    response = _get(client, tokens["staff"], cycle="2025", region="05")
    assert response.status_code == 200
    body = response.get_json()
    assert body["state"] == "published"
    assert (body["cycle"], body["region"], body["version"], body["versions"]) == (
        "2025",
        "05",
        1,
        [1],
    )
    assert body["introduction"] == "Fassung eins"
    assert body["comments"] == {"participation": "Zur Beteiligung."}
    assert body["names_shown"] is False
    assert body["region_name"]
    assert body["published_at"] and body["generated_at"]
    document_tables = [t for c in body["document"]["chapters"] for t in c["tables"]]
    assert len(body["tables"]) == len(document_tables) > 0
    for table, original in zip(body["tables"], document_tables, strict=True):
        assert table["id"] == original["id"] and table["rows"] == original["rows"]
        assert set(table) == {"id", "number", "title", "chapter", "columns", "rows", "csv_name"}
    assert "NOCH-NICHT-VEROEFFENTLICHT" not in response.text


def test_the_draft_only_for_the_regions_reviewers(
    client: FlaskClient, tokens: dict[str, str]
) -> None:
    for who in ("reviewer", "admin"):
        response = _get(client, tokens[who], cycle="2025", region="05", state="draft")
        assert response.status_code == 200, who
        body = response.get_json()
        assert body["state"] == "draft" and body["version"] is None
        assert body["introduction"] == "NOCH-NICHT-VEROEFFENTLICHT"
        assert body["document"]["names_shown"] is True  # reviewers see names in the draft
    for who in ("reviewer_06", "staff", "reporter"):
        response = _get(client, tokens[who], cycle="2025", region="05", state="draft")
        assert response.status_code == 403, who
        assert "NOCH-NICHT-VEROEFFENTLICHT" not in response.text
        md = _get(client, tokens[who], cycle="2025", region="05", state="draft", format="md")
        assert md.status_code == 403, who
    assert client.get(URL, query_string={"cycle": "2025", "region": "05"}).status_code == 401


def test_versions_files_and_errors(client: FlaskClient, tokens: dict[str, str]) -> None:
    staff = tokens["staff"]
    assert _get(client, staff, cycle="2025", region="05", version=1).status_code == 200
    assert _get(client, staff, cycle="2025", region="05", version=2).status_code == 404
    assert _get(client, staff, cycle="2025", region="06").status_code == 404  # none published
    assert _get(client, staff, cycle="2025", region="0").status_code == 422
    assert _get(client, staff, cycle="2025", region="05", format="doc").status_code == 422
    assert _get(client, staff, region="05").status_code == 422  # the cycle is required
    assert _get(client, staff, cycle="1999", region="05").status_code == 404
    md = _get(client, staff, cycle="2025", region="05", format="md")
    assert md.status_code == 200 and md.mimetype == "text/markdown"
    assert "Fassung eins" in md.text
    assert "Synthesebericht_2025_05_v1.md" in md.headers["Content-Disposition"]
    archive = _get(client, staff, cycle="2025", region="05", format="zip")
    with zipfile.ZipFile(io.BytesIO(archive.data)) as files:
        names = files.namelist()
    tables = _get(client, staff, cycle="2025", region="05").get_json()["tables"]
    assert sorted(names) == sorted(t["csv_name"] for t in tables)
    html = _get(client, staff, cycle="2025", region="05", format="html")
    assert html.status_code == 200 and "Fassung eins" in html.text
    pdf = _get(client, staff, cycle="2025", region="05", format="pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")


def test_the_operation_is_in_the_openapi_document(client: FlaskClient) -> None:
    document = client.get("/api/v1/openapi.json").get_json()
    operation = document["paths"]["/api/v1/synthesis"]["get"]
    names = {p["name"] for p in operation["parameters"]}
    assert names == {"cycle", "region", "version", "state", "format"}
    assert operation["security"] == [{"bearer": []}]
    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert schema == {"$ref": "#/components/schemas/SynthesisOut"}
    properties = document["components"]["schemas"]["SynthesisOut"]["properties"]
    assert {"tables", "document", "introduction", "comments", "version"} <= set(properties)
