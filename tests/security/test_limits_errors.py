"""Limits and errors (SECURITY.md C): oversized bodies, too many or too large fields are
refused fast with 413; a 500 shows no trace, SQL or path and logs its correlation id."""

from __future__ import annotations

import logging
import re
import time
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.datastructures import MultiDict
from werkzeug.test import TestResponse, encode_multipart

from tests.security.conftest import BOOM_SECRETS
from tests.security.test_csrf import state_changing_forms
from tests.security.test_headers import header_problems
from tests.security.world import World

TOO_LARGE = "Die Anfrage ist zu groß."


def timed_post(client: FlaskClient, url: str, **kwargs: Any) -> tuple[float, TestResponse]:
    started = time.perf_counter()
    response = client.post(url, **kwargs)
    return time.perf_counter() - started, response


def post_multipart(app: Flask, fields: dict[str, str]) -> tuple[float, TestResponse]:
    """A multipart form built in memory (the test client would spool a large one to an
    unclosed temporary file)."""
    boundary, body = encode_multipart(MultiDict(fields))
    content_type = f"multipart/form-data; boundary={boundary}"
    return timed_post(app.test_client(), "/anmelden", data=body, content_type=content_type)


def test_an_oversized_body_is_refused_fast_everywhere(app: Flask, world: World) -> None:
    """Every state-changing route, as a role that may use it: a body one byte too large."""
    body = b"x" * (app.config["MAX_CONTENT_LENGTH"] + 1)
    failures = []
    for form in state_changing_forms(world):
        for content_type in ("application/x-www-form-urlencoded", "application/json"):
            client = world.client(form.role)
            seconds, response = timed_post(
                client,
                form.url,
                data=body,
                content_type=content_type,
                headers=world.headers(form.role, form.url),
            )
            if response.status_code != 413 or seconds > 1:
                failures.append(f"{form.url} {content_type}: {response.status_code} {seconds:.2f}s")
            elif header_problems(response, logged_in=True):
                failures.append(f"{form.url}: headers {header_problems(response, logged_in=True)}")
    assert not failures, "\n".join(failures)
    response = app.test_client().post("/anmelden", data=body, content_type="text/plain")
    assert response.status_code == 413 and TOO_LARGE in response.get_data(as_text=True)


def test_too_many_fields_are_refused(app: Flask) -> None:
    parts = app.config["MAX_FORM_PARTS"]
    urlencoded = "&".join(f"f{i}=x" for i in range(parts + 1)).encode()
    seconds, response = timed_post(
        app.test_client(),
        "/anmelden",
        data=urlencoded,
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 413 and seconds < 1
    seconds, response = post_multipart(app, {f"f{i}": "x" for i in range(parts + 1)})
    assert response.status_code == 413 and seconds < 1
    # Forms of normal size still get through to the view.
    fields = {f"f{i}": "x" for i in range(parts - 10)}
    response = app.test_client().post("/anmelden", data=fields)
    assert response.status_code == 422


def test_a_huge_text_field_is_refused(app: Flask) -> None:
    limit = app.config["MAX_FORM_MEMORY_SIZE"]
    huge = "a" * (limit + 1)
    urlencoded = f"email={huge}&password=x".encode()
    seconds, response = timed_post(
        app.test_client(),
        "/anmelden",
        data=urlencoded,
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 413 and seconds < 1
    seconds, response = post_multipart(app, {"email": huge, "password": "x"})
    assert response.status_code == 413 and seconds < 1


@pytest.mark.parametrize("path", ["/_test/fehler", "/api/v1/_test/fehler"])
def test_a_500_shows_no_internals_and_logs_its_correlation_id(
    boom_app: Flask, path: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR)
    response = boom_app.test_client().get(path)
    assert response.status_code == 500
    body = response.get_data(as_text=True)
    for secret in (*BOOM_SECRETS, "Traceback", 'File "', "site-packages", "omk/"):
        assert secret not in body, secret
    # the number the message names (static file names carry hex fingerprints too)
    match = re.search(r"Fehlernummer ([0-9a-f]{12})\b", body) or re.search(
        r'"correlation_id": ?"([0-9a-f]{12})"', body
    )
    assert match, body
    correlation = match.group(1)
    if path.startswith("/api/"):
        assert response.json is not None and response.json["correlation_id"] == correlation
    else:
        assert "Fehlernummer" in body
    logged = [r for r in caplog.records if correlation in r.getMessage()]
    assert logged, "the correlation id is not in the log"
    assert logged[0].exc_info is not None  # the trace goes to the log, not to the page
