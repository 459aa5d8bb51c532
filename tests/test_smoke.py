"""The app starts and its public pages answer."""

from flask.testing import FlaskClient


def test_public_pages_answer(client: FlaskClient, register: None) -> None:
    for path in ["/", "/hilfe/", "/kommunen/", "/kommunen/01001000", "/anmelden", "/api/v1/docs"]:
        response = client.get(path)
        assert response.status_code == 200, path


def test_healthz_reports_database_and_search(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json["database"] == "ok"
    # No index created in this test: pages still serve, search is reported unavailable.
    assert response.json["status"] == "degraded"
