"""/healthz: the database and the search index, as load balancers and monitoring see them."""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

import pytest
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
        "synergies_outbox": {"pending": 0, "oldest": None},
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


def test_a_healthy_index_is_checked_without_a_garbage_collection(
    app: Flask, client: FlaskClient, monkeypatch: Any
) -> None:
    """A load balancer calls /healthz every few seconds: a full garbage collection (about
    0.1 s in a warmed-up worker, blocking every thread) is kept for a broken index."""
    import gc

    ensure_index()
    collections: list[int] = []
    monkeypatch.setattr(gc, "collect", lambda *a: collections.append(1) or 0)
    assert client.get("/healthz").json["search"] == "ok"
    assert collections == []
    for toc in Path(app.config["SEARCH_INDEX"]).rglob("*.toc"):
        toc.write_bytes(b"\x00" * 8)
    assert client.get("/healthz").json["search"].startswith("unavailable")
    assert collections == [1]


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


def test_a_fresh_app_loads_the_search_data_before_its_first_request(
    make_app: Any, monkeypatch: Any
) -> None:
    from omk.search import analysis, embeddings, warm

    assert warm.state(make_app()) is None  # tests do not warm up unless they ask
    embeddings.reset()
    analysis.synonyms.cache_clear()  # (the larger data files reload slowly: not these)
    monkeypatch.setattr(embeddings, "cpu_has_avx2", lambda *a: False)  # the fast path
    try:
        app = make_app(WARM_UP="on", EMBEDDINGS="auto")
        loaded = warm.state(app)
        assert loaded is not None and loaded["index"]
        assert analysis.synonyms.cache_info().currsize == 1
        assert embeddings._loaded  # the model's load was tried before any request
        assert loaded["embeddings"] is False
        response = app.test_client().get("/healthz")
        assert response.json["embeddings"].startswith("lexical only: RuntimeError")
    finally:
        embeddings.reset()


def test_warm_up_loads_the_model_when_the_cpu_can(make_app: Any) -> None:
    from omk.search import embeddings, warm

    embeddings.reset()
    try:
        app = make_app(WARM_UP="on", EMBEDDINGS="auto")
        loaded = warm.state(app)
        assert loaded is not None
        assert loaded["embeddings"] == (embeddings.unavailable_reason() is None)
        assert warm.warm_up(app) is loaded  # once per process
        response = app.test_client().get("/healthz")
        assert response.json["embeddings"] == (
            "ok"
            if loaded["embeddings"]
            else "lexical only: " + str(embeddings.unavailable_reason())
        )
    finally:
        embeddings.reset()


@pytest.mark.search_backends
@pytest.mark.fresh_db
def test_warm_up_prefills_the_postings_cache(
    make_app: Any, search_backend: str, caplog: pytest.LogCaptureFixture
) -> None:
    from omk.search import warm

    caplog.set_level(logging.INFO, logger="omk.search")
    app = make_app(WARM_UP="on", EMBEDDINGS="off")
    loaded = warm.state(app)
    assert loaded is not None and loaded["postings_prefill"]
    if search_backend == "postgres":  # once, in a thread of its own
        for thread in threading.enumerate():
            if thread.name == "omk-postings-prefill":
                thread.join(60)
        assert "search postings prefilled" in caplog.text
        assert "prefill failed" not in caplog.text


def test_cli_commands_do_not_warm_up(monkeypatch: Any) -> None:
    import sys

    from omk import cli

    created: list[Any] = []
    monkeypatch.setattr("omk.create_app", lambda overrides=None: created.append(overrides))
    monkeypatch.setattr(sys, "argv", ["omk", "search", "sync"])
    cli._create_app()
    monkeypatch.setattr(sys, "argv", ["omk", "run", "--port", "5000"])
    cli._create_app()
    assert created == [{"WARM_UP": "off"}, None]
