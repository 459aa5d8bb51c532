"""/healthz: the database and the search index, as load balancers and monitoring see them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from omk import create_app
from omk.search import ensure_index
from tests.conftest import test_settings as app_settings


def test_ok_with_database_and_index(app: Flask, client: FlaskClient) -> None:
    ensure_index()
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {
        "status": "ok",
        "database": "ok",
        "search": "ok",
        "embeddings": "lexical only: OMK_EMBEDDINGS=off",  # the tests' setting
        "search_outbox": {"pending": 0, "oldest": None},
    }


def test_degraded_when_the_index_is_missing_or_broken(app: Flask, client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json["status"] == "degraded"
    ensure_index()
    for toc in Path(app.config["SEARCH_INDEX"]).rglob("*.toc"):
        toc.write_bytes(b"\x00" * 8)  # a truncated table of contents
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json["status"] == "degraded" and response.json["database"] == "ok"
    assert response.json["search"].startswith("unavailable")


def test_503_only_when_the_database_is_unreachable(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'missing-folder' / 'omk.sqlite3'}"
    app = create_app(app_settings(tmp_path, url))
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json["status"] == "unavailable"
    assert response.json["database"].startswith("unavailable")
    with app.app_context():
        from omk.extensions import db

        db.engine.dispose()


def test_client_address_behind_a_trusted_proxy(make_app: Any) -> None:
    from omk.policy import Action, permission
    from omk.views.helpers import client_address

    app = make_app(PROXY_COUNT=1)
    seen: list[str] = []

    @app.get("/__test__/address")
    @permission(Action.PUBLIC)
    def address() -> str:
        seen.append(client_address())
        return "ok"

    client = app.test_client()
    client.get("/__test__/address", headers={"X-Forwarded-For": "203.0.113.7"})
    assert seen == ["203.0.113.7"]


def test_health_says_when_similarity_is_lexical_only(make_app: Any, monkeypatch: Any) -> None:
    from omk.search import embeddings

    app = make_app(EMBEDDINGS="auto")
    monkeypatch.setattr(embeddings, "cpu_has_avx2", lambda *a: False)
    embeddings.reset()
    try:
        response = app.test_client().get("/healthz")
        assert response.json["embeddings"].startswith("lexical only: RuntimeError")
        assert "AVX2" in response.json["embeddings"]
    finally:
        embeddings.reset()
