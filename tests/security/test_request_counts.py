"""Every count, index or size taken from a request is parsed strictly and bounded before
anything loops or allocates with it: hostile values get a 4xx (or the default) fast, never a
500 and never a long loop (issue: actor_rows=50000000 stalled a worker for 30 s)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from omk import exchange
from omk.models import User
from omk.services import accounts, reports
from tests import factories
from tests.conftest import login

ESSEN = "05113000"
HOSTILE = ["50000000", "abc", "1e3", "-1", " 5", "+5", "0x10", "9" * 5000, "1.5"]


@pytest.fixture
def reporter(make_user: Callable[..., User]) -> User:
    factories.make_cycle("2025")
    user = make_user("reporter", municipality=ESSEN)
    reports.import_document(user, factories.document(ESSEN))
    return user


@pytest.mark.parametrize("value", HOSTILE)
def test_actor_rows_is_bounded(app: Flask, reporter: User, value: str) -> None:
    client = app.test_client()
    login(client, reporter)
    url = f"/berichte/2025/{ESSEN}/massnahmen/neu"
    client.post(url, data={"title": "X", "actor_rows": "1"})  # warm
    started = time.perf_counter()
    response = client.post(
        url, data={"title": "X", "criterion": "sprache_bildung", "actor_rows": value}
    )
    assert time.perf_counter() - started < 1.0
    assert 400 <= response.status_code < 500, response.status_code


def test_actor_rows_up_to_the_template_bound_still_works(app: Flask, reporter: User) -> None:
    client = app.test_client()
    login(client, reporter)
    response = client.post(
        f"/berichte/2025/{ESSEN}/massnahmen/neu",
        data={"title": "", "actor_rows": str(exchange.MAX_ACTORS)},
    )
    assert response.status_code in (200, 302, 422)  # the form, never a refusal of the count


def test_the_schema_and_the_code_agree_on_the_actor_bound() -> None:
    from omk import paths

    schema = json.loads((paths.CONTENT_DIR / "schema" / "omk-report-1.schema.json").read_text())
    actors = schema["$defs"]["practice"]["properties"]["actors"]
    assert actors["maxItems"] == exchange.MAX_ACTORS


@pytest.mark.parametrize("value", HOSTILE)
@pytest.mark.parametrize(
    "path",
    [
        "/suche?q=Sprachcaf%C3%A9&page={v}",
        "/suche?q=Sprachcaf%C3%A9&per_page={v}",
        "/berichte/?page={v}",
        "/kommunen/?page={v}",
        "/api/v1/search?q=x&page={v}",
        "/api/v1/search?q=x&per_page={v}",
        "/api/v1/municipalities?per_page={v}",
        "/api/v1/reports?page={v}",
    ],
)
def test_paging_parameters_are_bounded(
    app: Flask, make_user: Callable[..., User], path: str, value: str
) -> None:
    user = make_user("staff")
    client = app.test_client()
    login(client, user)
    headers: dict[str, Any] = {}
    if path.startswith("/api/"):
        headers = {"Authorization": f"Bearer {accounts.create_token(None, user)}"}
    client.get(path.format(v="1"), headers=headers)  # warm: first-use costs are not the point
    started = time.perf_counter()
    response = client.get(path.format(v=value), headers=headers)
    assert time.perf_counter() - started < 1.0
    assert response.status_code < 500, (path, value, response.status_code)
