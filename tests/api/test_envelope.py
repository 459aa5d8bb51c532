"""The API list envelope: one shape, strictly parsed and bounded paging."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from pydantic import ValidationError

from omk.api.envelope import MAX_PER_PAGE, PageQuery, envelope


def test_the_envelope_has_the_four_keys() -> None:
    query = PageQuery.model_validate({"page": "2", "per_page": "10"})
    assert query.offset == 10
    assert envelope(42, query, ("a", "b")) == {
        "total": 42,
        "page": 2,
        "per_page": 10,
        "items": ["a", "b"],
    }


@pytest.mark.parametrize(
    "raw", [" 2", "2 ", "+2", "-1", "2.0", "1_0", "0x10", "1e3", "٢", "", "zwei", True]
)
def test_paging_accepts_plain_digits_only(raw: object) -> None:
    with pytest.raises(ValidationError):
        PageQuery.model_validate({"page": raw})


@pytest.mark.parametrize(
    ("field", "raw"), [("page", "0"), ("page", "100001"), ("per_page", "0"), ("per_page", "501")]
)
def test_paging_is_bounded(field: str, raw: str) -> None:
    with pytest.raises(ValidationError):
        PageQuery.model_validate({field: raw})
    assert PageQuery.model_validate({"per_page": str(MAX_PER_PAGE)}).per_page == MAX_PER_PAGE


def test_the_municipality_list_answers_in_the_envelope(client: FlaskClient, register: None) -> None:
    body = client.get("/api/v1/municipalities?level=land&per_page=2&page=2").json
    assert set(body) == {"total", "page", "per_page", "items"}
    assert body["total"] == 5 and body["page"] == 2 and body["per_page"] == 2
    assert len(body["items"]) == 2
    for bad in ("page=%2B2", "page=2.0", "per_page=1_0", "page=%202"):
        response = client.get(f"/api/v1/municipalities?{bad}")
        assert response.status_code == 422, bad
        assert response.json["errors"][0]["message"] == "Ganze Zahl erwartet."
