"""A schema-based fuzz of the whole API (schemathesis, offline): every operation of the app's
own OpenAPI document, called through WSGI (no network) with the bearer token of a reporter and
of a reviewer, never answers with a server error (issue 9).

Examples are few per operation and derandomized, so the run is short and the same in CI.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable

from omk.models import User
from omk.services import accounts, reports
from tests import factories

ESSEN, KOELN = "05113000", "05315000"


@pytest.fixture
def api_schema(app: Flask) -> Any:
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


@pytest.fixture
def tokens(make_user: Callable[..., User]) -> dict[str, str]:
    """Bearer tokens of a reporter of Essen (with a draft) and of the NRW reviewer; Köln
    has a published report."""
    factories.make_cycle("2025")
    reporter = make_user("reporter", municipality=ESSEN)
    reviewer = make_user("reviewer", scope="05")
    reports.import_document(make_user("admin"), factories.document(KOELN), publish=True)
    reports.import_document(reporter, factories.document(ESSEN))
    return {
        "reporter": accounts.create_token(None, reporter),
        "reviewer": accounts.create_token(None, reviewer),
    }


# schemathesis.pytest.from_fixture (its lazy loader) breaks on pytest 9 (it sets
# ``request.node._nodeid``), so the operations are walked here, each with a strategy of its own.
EXAMPLES = settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
MODES = (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE)


def _examples(
    operation: Any, mode: Any, token: str, seen: dict[str, set[int]], failures: list[str]
) -> None:
    """One operation in one generation mode; a server error is added to ``failures``."""

    @EXAMPLES
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case: Any) -> None:
        case.headers = dict(case.headers or {})
        # Invalid input may carry a broken Authorization header of its own: keep that one.
        if mode is schemathesis.GenerationMode.POSITIVE or "Authorization" not in case.headers:
            case.headers["Authorization"] = f"Bearer {token}"
        response = case.call()
        seen.setdefault(f"{case.method} {operation.path}", set()).add(response.status_code)
        assert response.status_code < 500, (
            f"{case.method} {case.formatted_path} ({mode.value}) → "
            f"{response.status_code}: {response.text[:300]}"
        )

    try:
        run()
    except Unsatisfiable:
        pass  # nothing to make invalid (an operation without parameters or body)
    except AssertionError as exc:
        failures.append(str(exc).splitlines()[0])


def _fuzz(api_schema: Any, token: str) -> tuple[dict[str, set[int]], list[str]]:
    """Every operation, with valid and invalid input: the statuses seen per operation and
    every server error found (one per operation and mode, hypothesis stops at the first)."""
    failures: list[str] = []
    seen: dict[str, set[int]] = {}
    for result in api_schema.get_all_operations():
        for mode in MODES:
            _examples(result.ok(), mode, token, seen, failures)
    return seen, failures


@pytest.mark.parametrize("role", ["reporter", "reviewer"])
def test_no_operation_answers_with_a_server_error(
    api_schema: Any, tokens: dict[str, str], role: str
) -> None:
    seen, failures = _fuzz(api_schema, tokens[role])
    assert failures == []
    operations = {
        f"{method.upper()} {path}"
        for path, item in api_schema.raw_schema["paths"].items()
        for method in item
        if method in ("get", "post", "put", "patch", "delete")
    }
    assert set(seen) == operations  # every documented operation was called
    # Valid input with a valid token gets past authentication somewhere.
    assert any(s < 400 for statuses in seen.values() for s in statuses)
