"""The TypedDicts of omk/document_types.py say what the JSON Schema says (keys and which are
required), so the types cannot drift from the format."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from omk import exchange
from omk.document_types import (
    ActorEntry,
    AdoptedFrom,
    Change,
    PracticeDocument,
    ReportDocument,
    extra_fields,
    practice_with_extra,
)

SCHEMA_FILE = Path(__file__).parent.parent / "content" / "schema" / "omk-report-1.schema.json"


def _schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    return schema


def _keys(typed: Any) -> tuple[set[str], set[str]]:
    return set(typed.__required_keys__), set(typed.__optional_keys__)


def test_report_document_follows_the_schema() -> None:
    schema = _schema()
    required, optional = _keys(ReportDocument)
    assert required == set(schema["required"])
    assert required | optional == set(schema["properties"])


def test_practice_document_follows_the_schema_and_the_field_list() -> None:
    practice = _schema()["$defs"]["practice"]
    required, optional = _keys(PracticeDocument)
    assert required == set(practice["required"])
    assert list(PracticeDocument.__annotations__) == list(exchange.PRACTICE_FIELDS)
    assert required | optional == set(practice["properties"])


def test_actor_and_adopted_from_follow_the_schema() -> None:
    props = _schema()["$defs"]["practice"]["properties"]
    actor = props["actors"]["items"]
    required, optional = _keys(ActorEntry)
    assert required == set(actor["required"])
    assert required | optional == set(actor["properties"])
    adopted = props["adopted_from"]["anyOf"][0]
    required, optional = _keys(AdoptedFrom)
    assert required == set(adopted["required"]) and not optional
    assert required == set(adopted["properties"])


def test_change_has_field_old_new() -> None:
    assert list(Change.__annotations__) == ["field", "old", "new"]


def test_unknown_keys_ride_along() -> None:
    known = {"title": "T", "criterion": "verwaltung", "summary": "S", "description": "D"}
    practice = practice_with_extra(known, {"title": "ignored", "x_newer": [1, 2]})
    assert practice["title"] == "T"
    assert extra_fields(practice, exchange.PRACTICE_FIELDS) == {"x_newer": [1, 2]}
    canonical = exchange.canonical_practice(practice)
    assert list(canonical)[-1] == "x_newer"
    assert extra_fields(canonical, exchange.PRACTICE_FIELDS) == {"x_newer": [1, 2]}
