"""Whether a municipality has a draft is not revealed by any answer (SECURITY.md A): for
everyone outside the municipality, every per-report route answers a draft exactly as it
answers "no report at all" (same status, same message), pages and API alike."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask, url_for
from werkzeug.test import TestResponse

from omk.models import User
from omk.services import accounts, reports
from tests import factories
from tests.conftest import login

ESSEN, ALSDORF = "05113000", "05334004"  # Essen has a draft, Alsdorf no report
OUTSIDERS = {
    "anonymous": None,
    "reporter_same_region": {"role": "reporter", "municipality": "05315000"},
    "reporter_other_region": {"role": "reporter", "municipality": "06632001"},
    "staff": {"role": "staff"},
    "reviewer_05": {"role": "reviewer", "scope": "05"},
    "reviewer_06": {"role": "reviewer", "scope": "06"},
    "admin": {"role": "admin"},
}


def _answer(response: TestResponse) -> tuple[int, str, str]:
    """Status, where it redirects, and the message a person or a program reads."""
    if response.is_json and isinstance(response.json, dict):
        message = str(response.json.get("message") or response.json.get("error"))
    else:
        h1 = re.search(r"<h1[^>]*>(.*?)</h1>", response.get_data(as_text=True), re.S)
        message = h1.group(1).strip() if h1 else ""
    location = re.sub(r"(05113000|05334004)", "<ags>", response.headers.get("Location", ""))
    return response.status_code, location, message


@pytest.mark.parametrize("role", OUTSIDERS)
def test_a_draft_is_answered_like_no_report(
    app: Flask, make_user: Callable[..., User], role: str
) -> None:
    factories.make_cycle("2025")
    owner = make_user("reporter", municipality=ESSEN)
    reports.import_document(owner, factories.document(ESSEN))
    spec = OUTSIDERS[role]
    client = app.test_client()
    headers: dict[str, str] = {}
    if spec is not None:
        user = make_user(**spec)
        login(client, user)
        headers = {"Authorization": f"Bearer {accounts.create_token(None, user)}"}
    rules = [
        r
        for r in app.url_map.iter_rules()
        if {"cycle", "ags"} <= set(r.arguments) and r.endpoint != "static"
    ]
    assert rules, "no per-report routes found"
    differences: list[Any] = []
    for rule in rules:
        for method in sorted((rule.methods or set()) & {"GET", "POST"}):
            answers = []
            for ags in (ESSEN, ALSDORF):
                values = {a: "1" for a in rule.arguments} | {"cycle": "2025", "ags": ags}
                with app.test_request_context():
                    url = url_for(rule.endpoint, **values)
                response = client.open(
                    url,
                    method=method,
                    headers=headers if url.startswith("/api/") else {},
                    json={} if url.startswith("/api/") and method == "POST" else None,
                )
                answers.append(_answer(response))
                assert response.status_code < 500, (method, url)
            if answers[0] != answers[1]:
                differences.append((method, rule.rule, answers))
    assert differences == []
